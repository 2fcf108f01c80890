import Foundation
public import HAProxy

/// Open SSH connections, one per host and user, reused across steps and commands; a connection that
/// broke is opened again on next use.
public actor SSHConnections {
    private var sessions: [SSHTarget: SSHSession] = [:]
    private var opening: [SSHTarget: Task<SSHSession, any Error>] = [:]

    public init() {}

    func session(_ target: SSHTarget) async throws -> SSHSession {
        if let session = sessions[target], !session.broken { return session }
        if let pending = opening[target] { return try await pending.value }
        let task = Task { try await SSHSession.connect(target) }
        opening[target] = task
        defer { opening[target] = nil }
        let session = try await task.value
        sessions[target] = session
        return session
    }

    /// Runs a command on the host.
    public func run(
        _ command: String, on target: SSHTarget, input: [UInt8] = [], timeout: Duration,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> RemoteResult {
        let session = try await session(target)
        return try await session.execute(command, input: input, timeout: timeout, onLine: onLine)
    }

    /// A transport to an HAProxy admin socket on the host.
    public nonisolated func transport(to endpoint: RuntimeEndpoint, on target: SSHTarget) -> any RuntimeTransport {
        SSHRuntimeTransport(connections: self, target: target, endpoint: endpoint)
    }

    fileprivate func exchange(_ request: [UInt8], endpoint: RuntimeEndpoint, target: SSHTarget, timeout: Duration) async throws -> [UInt8] {
        let session = try await session(target)
        switch endpoint {
        case .tcp(let host, let port):
            return try await session.forward(to: host, port: Int(port), request: request, timeout: timeout)
        case .unix(let path):
            // libssh2 1.10 has no streamlocal (Unix socket) forwarding: socat on the host bridges to it.
            let result = try await session.execute(
                "socat - UNIX-CONNECT:\(Shell.quote(path))", input: request, timeout: timeout, keep: 64 << 20)
            if result.timedOut { throw HAProxyError(.timeout, "\(endpoint) on \(target.label): no answer in time") }
            switch result.exitStatus {
            case 0: return Array(result.stdout.utf8)
            case 127:
                throw HAProxyError(
                    .unreachable,
                    "\(endpoint) on \(target.label): socat is not installed there; deployer needs it to reach a Unix admin "
                        + "socket over SSH (apt-get install socat), or use a TCP `stats socket`")
            default:
                let why = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
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

    var endpoint: String { "\(address) on \(target.label)" }

    func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        do {
            return try await connections.exchange(request, endpoint: address, target: target, timeout: timeout)
        } catch let error as SSHError {
            throw HAProxyError(error.kind == .timeout ? .timeout : .unreachable, error.message)
        }
    }
}
