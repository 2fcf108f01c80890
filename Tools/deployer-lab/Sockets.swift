import Foundation
import Glibc

/// A TCP endpoint the lab may use: 127.0.0.0/8 or ::1, nothing else.
struct LoopbackEndpoint: Sendable, Equatable, CustomStringConvertible {
    enum Host: Sendable, Equatable {
        case ipv4(String)
        case ipv6Loopback
    }

    let host: Host
    let port: UInt16

    /// Accepts `127.x.y.z`, `localhost` (as 127.0.0.1), `::1` and `[::1]`; refuses any other host.
    init(host text: String, port: UInt16) throws(LabError) {
        var bare = text.lowercased()
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        self.port = port
        if bare == "localhost" {
            host = .ipv4("127.0.0.1")
            return
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            guard UInt32(bigEndian: v4.s_addr) >> 24 == 127 else { throw Self.refusal(text) }
            host = .ipv4(bare)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            guard bytes == Array(repeating: 0, count: 15) + [1] else { throw Self.refusal(text) }
            host = .ipv6Loopback
            return
        }
        throw Self.refusal(text)
    }

    static func local(_ port: UInt16) -> LoopbackEndpoint {
        // 127.0.0.1 always passes the check above.
        (try? LoopbackEndpoint(host: "127.0.0.1", port: port))!
    }

    private static func refusal(_ host: String) -> LabError {
        LabError("refusing \(host): the lab only talks to 127.0.0.0/8, localhost and ::1")
    }

    var description: String {
        switch host {
        case .ipv4(let address): return "\(address):\(port)"
        case .ipv6Loopback: return "[::1]:\(port)"
        }
    }
}

/// How an attempt to talk over a socket ended, when it did not succeed.
enum SocketFailure: Error, Sendable, Equatable {
    case timeout
    case system(Int32)

    var reason: String {
        switch self {
        case .timeout: return "timeout"
        case .system(let code): return SystemError.describe(code)
        }
    }
}

/// Thin wrappers over the POSIX socket calls; every blocking step is bounded by a deadline.
enum Sockets {
    /// A listening TCP socket on 127.0.0.1:port with SO_REUSEADDR, non-blocking, close-on-exec.
    static func listen(port: UInt16) throws(LabError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LabError.system("cannot create a socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 512) == 0 else {
            let code = errno
            close(fd)
            throw LabError.system("cannot listen on 127.0.0.1:\(port)", errno: code)
        }
        setNonBlocking(fd, true)
        return fd
    }

    /// Connects to a loopback endpoint; the returned descriptor is blocking and close-on-exec.
    static func connect(to endpoint: LoopbackEndpoint, deadline: ContinuousClock.Instant) -> Result<Int32, SocketFailure> {
        switch endpoint.host {
        case .ipv4(let text):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = endpoint.port.bigEndian
            inet_pton(AF_INET, text, &address.sin_addr)
            return connect(family: AF_INET, address: &address, deadline: deadline)
        case .ipv6Loopback:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = endpoint.port.bigEndian
            inet_pton(AF_INET6, "::1", &address.sin6_addr)
            return connect(family: AF_INET6, address: &address, deadline: deadline)
        }
    }

    /// Connects to a Unix stream socket (HAProxy's admin socket).
    static func connect(unixPath path: String, deadline: ContinuousClock.Instant) -> Result<Int32, SocketFailure> {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return .failure(.system(ENAMETOOLONG)) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return connect(family: AF_UNIX, address: &address, deadline: deadline)
    }

    private static func connect<Address>(
        family: Int32, address: inout Address, deadline: ContinuousClock.Instant
    ) -> Result<Int32, SocketFailure> {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(.system(errno)) }
        setNonBlocking(fd, true)
        let size = socklen_t(MemoryLayout<Address>.size)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, size) }
        }
        if result != 0 {
            guard errno == EINPROGRESS else {
                let code = errno
                close(fd)
                return .failure(.system(code))
            }
            switch wait(fd, for: Int16(POLLOUT), deadline: deadline) {
            case .failure(let failure):
                close(fd)
                return .failure(failure)
            case .success:
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                if code != 0 {
                    close(fd)
                    return .failure(.system(code))
                }
            }
        }
        setNonBlocking(fd, false)
        return .success(fd)
    }

    /// Waits until fd is ready for `events` or the deadline passes.
    static func wait(_ fd: Int32, for events: Int16, deadline: ContinuousClock.Instant) -> Result<Void, SocketFailure> {
        while true {
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, min(deadline.millisecondsLeft, 1000))
            if ready > 0 { return .success(()) }
            if ready < 0, errno != EINTR { return .failure(.system(errno)) }
            if ready == 0, deadline.hasPassed { return .failure(.timeout) }
        }
    }

    /// Writes every byte, or fails; never raises SIGPIPE.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8], deadline: ContinuousClock.Instant) -> Result<Void, SocketFailure> {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                offset += sent
                continue
            }
            if sent < 0, errno == EINTR { continue }
            if sent < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                if case .failure(let failure) = wait(fd, for: Int16(POLLOUT), deadline: deadline) { return .failure(failure) }
                continue
            }
            return .failure(.system(sent < 0 ? errno : EPIPE))
        }
        return .success(())
    }

    /// One read of up to 16 KiB, waiting at most until the deadline; an empty array means EOF.
    static func receive(_ fd: Int32, deadline: ContinuousClock.Instant) -> Result<[UInt8], SocketFailure> {
        if case .failure(let failure) = wait(fd, for: Int16(POLLIN), deadline: deadline) { return .failure(failure) }
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return .success(Array(chunk[0..<count])) }
            if errno == EINTR { continue }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { return .failure(.system(errno)) }
            if case .failure(let failure) = wait(fd, for: Int16(POLLIN), deadline: deadline) { return .failure(failure) }
        }
    }

    /// True when something accepts TCP connections on 127.0.0.1:port.
    static func isAccepting(port: UInt16, timeout: Duration = .milliseconds(500)) -> Bool {
        switch connect(to: .local(port), deadline: .now + timeout) {
        case .success(let fd):
            close(fd)
            return true
        case .failure:
            return false
        }
    }

    static func setNonBlocking(_ fd: Int32, _ on: Bool) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }
}
