/// Where an HAProxy runtime API listens, written as in HAProxy's `stats socket` line: a Unix socket
/// path (`/run/haproxy/admin.sock`, or `unix@/path`) or a TCP address (`ipv4@127.0.0.1:9999`,
/// `ipv6@[::1]:9999`).
public enum RuntimeEndpoint: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: UInt16)

    public init(parsing text: String) throws(HAProxyError) {
        func bad(_ why: String) -> HAProxyError {
            HAProxyError(
                .invalidArgument,
                "admin socket \"\(text)\": \(why); write a Unix socket path (/run/haproxy/admin.sock) or "
                    + "ipv4@HOST:PORT / ipv6@[HOST]:PORT")
        }
        if text.hasPrefix("unix@") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { throw bad("the path is empty") }
            self = .unix(path: path)
            return
        }
        for prefix in ["ipv4@", "ipv6@", "tcp@", "tcp4@", "tcp6@"] where text.hasPrefix(prefix) {
            let rest = text.dropFirst(prefix.count)
            guard let colon = rest.lastIndex(of: ":") else { throw bad("the port is missing") }
            var host = String(rest[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw bad("the host is missing") }
            guard let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else { throw bad("the port is not 1…65535") }
            self = .tcp(host: host, port: port)
            return
        }
        guard text.hasPrefix("/") || text.hasPrefix(".") else {
            throw bad("not a path and not an ipv4@/ipv6@ address")
        }
        self = .unix(path: text)
    }

    public var description: String {
        switch self {
        case .unix(let path): return path
        case .tcp(let host, let port): return host.contains(":") ? "ipv6@[\(host)]:\(port)" : "ipv4@\(host):\(port)"
        }
    }
}
