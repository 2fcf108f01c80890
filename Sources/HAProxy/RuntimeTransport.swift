import Foundation

/// A byte stream to one HAProxy runtime API. Each exchange is one connection: the request is sent,
/// and the reply is everything HAProxy writes until it closes the connection.
public protocol RuntimeTransport: Sendable {
    /// Where it leads, for messages (`/run/haproxy/admin1.sock`, `ipv4@127.0.0.1:9999 via lb-1`).
    var endpoint: String { get }

    /// Opens a connection, sends `request`, and returns all bytes read until the peer closes it.
    /// Throws `HAProxyError` (`.unreachable`, `.timeout`) when that cannot be done within `timeout`;
    /// nothing is left open either way.
    func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8]
}

/// A Unix or TCP socket reached from where deployer runs.
public struct SocketTransport: RuntimeTransport {
    public let address: RuntimeEndpoint
    /// Replies larger than this are refused (a `show stat` of thousands of servers is a few MB).
    public var maximumReply: Int = 64 << 20

    public init(_ address: RuntimeEndpoint) { self.address = address }

    public var endpoint: String { address.description }

    public func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let address = self.address
        let limit = maximumReply
        // The socket calls block (bounded by `timeout`); keep them off the cooperative pool.
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let connection = try BlockingSocket(address, deadline: Date() + timeout.timeInterval)
                    try connection.writeAll(request)
                    continuation.resume(returning: try connection.readToEnd(limit: limit))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
