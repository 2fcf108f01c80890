import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One connected socket with a deadline for everything done on it. Owned by one thread at a time;
/// closed when released.
final class BlockingSocket {
    private let fd: Int32
    private let deadline: Date
    private let address: RuntimeEndpoint

    init(_ address: RuntimeEndpoint, deadline: Date) throws(HAProxyError) {
        self.address = address
        self.deadline = deadline
        switch address {
        case .unix(let path):
            var storage = sockaddr_un()
            storage.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: storage.sun_path)
            guard bytes.count < capacity else {
                throw HAProxyError(.invalidArgument, "admin socket path \(path) is longer than \(capacity - 1) bytes")
            }
            withUnsafeMutableBytes(of: &storage.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            fd = try BlockingSocket.open(family: AF_UNIX, address)
            let length = socklen_t(MemoryLayout<sockaddr_un>.size)
            let result = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
            }
            try finishConnect(result)
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = AI_NUMERICSERV
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &list)
            guard status == 0, let first = list else {
                throw HAProxyError(.unreachable, "\(address): cannot resolve \(host): \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(list) }
            fd = try BlockingSocket.open(family: first.pointee.ai_family, address)
            try finishConnect(connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen))
        }
    }

    deinit { close(fd) }

    private static func open(family: Int32, _ address: RuntimeEndpoint) throws(HAProxyError) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HAProxyError(.unreachable, "\(address): socket(): \(String(cString: strerror(errno)))") }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    private func finishConnect(_ result: Int32) throws(HAProxyError) {
        if result == 0 { return }
        guard errno == EINPROGRESS || errno == EAGAIN else { throw unreachable(errno) }
        try wait(for: Int16(POLLOUT), doing: "connecting")
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if error != 0 { throw unreachable(error) }
    }

    private func unreachable(_ code: Int32) -> HAProxyError {
        HAProxyError(.unreachable, "\(address): \(String(cString: strerror(code)))")
    }

    /// Waits until the socket is ready for `events`, or throws `.timeout` at the deadline.
    private func wait(for events: Int16, doing what: String) throws(HAProxyError) {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw HAProxyError(.timeout, "\(address): no answer in time while \(what)") }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(left * 1000, 60_000).rounded(.up)))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw unreachable(errno) }
        }
    }

    func writeAll(_ bytes: [UInt8]) throws(HAProxyError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
            } else if count < 0, errno == EAGAIN || errno == EINTR {
                try wait(for: Int16(POLLOUT), doing: "sending")
            } else {
                throw unreachable(errno)
            }
        }
    }

    func readToEnd(limit: Int) throws(HAProxyError) -> [UInt8] {
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                reply.append(contentsOf: buffer[..<count])
                if reply.count > limit {
                    throw HAProxyError(.unexpectedReply, "\(address): the reply is larger than \(limit >> 20) MB")
                }
            } else if count == 0 {
                return reply
            } else if errno == EAGAIN || errno == EINTR {
                try wait(for: Int16(POLLIN), doing: "reading the reply")
            } else {
                throw unreachable(errno)
            }
        }
    }
}
