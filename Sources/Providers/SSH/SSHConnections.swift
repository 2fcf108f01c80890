import Foundation
public import HAProxy

/// Open SSH connections, reused across steps and commands; a connection that broke is opened again
/// on next use.
///
/// There is one connection per host, user and lane: each inventory host's commands have their own
/// lane, and admin-socket requests another, so a long deploy command never holds up a load
/// balancer read on the same machine (a host may run HAProxy and the app, or, in tests, every
/// "host" is 127.0.0.1).
public actor SSHConnections {
    struct Key: Hashable {
        var target: SSHTarget
        var lane: String
    }

    private var sessions: [Key: SSHSession] = [:]
    private var opening: [Key: Task<SSHSession, any Error>] = [:]

    public init() {}

    func session(_ target: SSHTarget, lane: String = "") async throws -> SSHSession {
        let key = Key(target: target, lane: lane)
        if let session = sessions[key], !session.broken { return session }
        if let pending = opening[key] { return try await pending.value }
        let task = Task { try await SSHSession.connect(target) }
        opening[key] = task
        defer { opening[key] = nil }
        let session = try await task.value
        sessions[key] = session
        return session
    }

    /// Runs a command on the host, on the connection of `lane`.
    public func run(
        _ command: String, on target: SSHTarget, lane: String = "", input: [UInt8] = [], timeout: Duration,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> RemoteResult {
        let session = try await session(target, lane: lane)
        return try await session.execute(command, input: input, timeout: timeout, onLine: onLine)
    }

    /// A transport to an HAProxy admin socket on the host.
    public nonisolated func transport(to endpoint: RuntimeEndpoint, on target: SSHTarget) -> any RuntimeTransport {
        SSHRuntimeTransport(connections: self, target: target, endpoint: endpoint)
    }

    fileprivate func exchange(_ request: [UInt8], endpoint: RuntimeEndpoint, target: SSHTarget, timeout: Duration) async throws -> [UInt8] {
        let session = try await session(target, lane: "admin sockets")
        switch endpoint {
        case .tcp(let host, let port):
            // A forwarded exchange occasionally stalls on the sshd side (seen with OpenSSH 9.2: HAProxy
            // has answered and closed, sshd sits in CLOSE-WAIT without passing the answer on). Every
            // runtime-API command deployer sends is idempotent (reads, `set server … state/weight`,
            // `shutdown sessions`), so a stalled attempt is dropped and the request sent again on a
            // fresh channel, until the caller's deadline.
            let deadline = ContinuousClock.now + timeout
            let attempt = min(timeout, .seconds(1))
            while true {
                let left = deadline - ContinuousClock.now
                do {
                    return try await session.forward(to: host, port: Int(port), request: request, timeout: min(attempt, left))
                } catch let error as SSHError where error.kind == .timeout && deadline - ContinuousClock.now > .milliseconds(100) {
                    continue
                }
            }
        case .unix(let path):
            // libssh2 1.10 has no streamlocal (Unix socket) forwarding: socat on the host bridges to
            // it, started by the connection's relay shell, one socket connection per request.
            let delimiter = "DEPLOYER_REQUEST_" + UUID().uuidString.replacingOccurrences(of: "-", with: "_")
            var text = String(decoding: request, as: UTF8.self)
            if !text.hasSuffix("\n") { text += "\n" }
            let script = "socat - UNIX-CONNECT:\(Shell.quote(path)) <<'\(delimiter)'\n\(text)\(delimiter)"
            let result: (output: [UInt8], status: Int32)
            do {
                result = try await session.relay(script, timeout: timeout)
            } catch let error as SSHError where error.kind == .timeout {
                throw HAProxyError(.timeout, "\(endpoint) on \(target.label): no answer in time")
            }
            switch result.status {
            case 0: return result.output
            case 127:
                throw HAProxyError(
                    .unreachable,
                    "\(endpoint) on \(target.label): socat is not installed there; deployer needs it to reach a Unix admin "
                        + "socket over SSH (apt-get install socat), or use a TCP `stats socket`")
            default:
                let why = String(decoding: result.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw HAProxyError(.unreachable, "\(endpoint) on \(target.label): \(why.isEmpty ? "socat failed" : why)")
            }
        }
    }
}

/// The runtime API of an HAProxy whose admin socket is on another host, reached over SSH: a TCP
/// socket through direct-tcpip forwarding, a Unix socket through `socat` run on the host.
struct SSHRuntimeTransport: RuntimeTransport {
    let connections: SSHConnections
    let target: SSHTarget
    /// The admin socket as seen from the host.
    let address: RuntimeEndpoint

    init(connections: SSHConnections, target: SSHTarget, endpoint: RuntimeEndpoint) {
        self.connections = connections
        self.target = target
        self.address = endpoint
    }

    /// Where, and by which path: users see it in `status` and in every error about this LB.
    var endpoint: String {
        switch address {
        case .tcp: return "\(address) on \(target.label) (SSH port forwarding)"
        case .unix: return "\(address) on \(target.label) (socat on the host; libssh2 has no Unix-socket forwarding)"
        }
    }

    func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        do {
            return try await connections.exchange(request, endpoint: address, target: target, timeout: timeout)
        } catch let error as SSHError {
            throw HAProxyError(error.kind == .timeout ? .timeout : .unreachable, error.message)
        }
    }
}
