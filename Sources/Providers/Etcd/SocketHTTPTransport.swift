import Foundation
import Manifests

#if canImport(Glibc)
    import Glibc
#endif

/// HTTP/1.1 over a TCP connection of its own, plain or TLS (OpenSSL), one connection per request
/// (`Connection: close`), for etcd's JSON gateway. Not URLSession: etcd answers errors with chunked
/// bodies and HTTP trailers, and FoundationNetworking stops the whole process on those ("Transfer
/// completed, but there's no response"). Each request runs on a thread of its own, bounded by
/// `timeout` from connect to the last byte.
public struct SocketHTTPTransport: HTTPTransport {
    public let timeout: Duration
    private let tls: TLSClientContext?
    static let largestAnswer = 64 * 1024 * 1024

    /// http:// only.
    public init(timeout: Duration = .seconds(10)) {
        self.timeout = timeout
        tls = nil
    }

    /// http:// and https://, the server verified against `tls.ca` (or the system's CAs) and shown
    /// `tls.certificate` when it asks. Throws when a file cannot be read or the key does not match.
    public init(timeout: Duration = .seconds(10), tls: TLSClientFiles) throws {
        self.timeout = timeout
        self.tls = try TLSClientContext(tls)
    }

    public func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
        let timeout = timeout
        let tls = tls
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.exchange(request, timeout: timeout, tls: tls) })
            }
        }
    }

    static func exchange(_ request: HTTPExchangeRequest, timeout: Duration, tls: TLSClientContext?) throws -> HTTPExchangeResponse {
        guard let host = request.url.host, request.url.scheme == "http" || (request.url.scheme == "https" && tls != nil) else {
            let supported = tls == nil ? "http://" : "http:// and https://"
            throw TransportFailure("only \(supported) URLs are supported (\(request.url.absoluteString))")
        }
        let secure = request.url.scheme == "https"
        let port = request.url.port ?? (secure ? 443 : 80)
        let deadline = Date().addingTimeInterval(timeout.seconds)
        let fd = try connect(host: host, port: port, deadline: deadline)
        defer { close(fd) }
        let channel: any ByteChannel = if let tls, secure { try tls.open(fd, host: host, deadline: deadline) } else { SocketChannel(fd: fd) }
        var path = request.url.path.isEmpty ? "/" : request.url.path
        if let query = request.url.query { path += "?" + query }
        var head = "\(request.method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in request.headers { head += "\(name): \(value)\r\n" }
        let body = request.body ?? Data()
        head += "Content-Length: \(body.count)\r\n\r\n"
        try channel.write(Array(head.utf8) + Array(body), deadline: deadline)
        return try parse(channel.readToEnd(deadline: deadline))
    }

    private static func connect(host: String, port: Int, deadline: Date) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let info = found else {
            throw TransportFailure("unknown host \(host)")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw TransportFailure("no socket: \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let reason = errno == ECONNREFUSED ? "connection refused" : String(cString: strerror(errno))
                close(fd)
                throw TransportFailure(reason)
            }
            do {
                try wait(fd, for: Int16(POLLOUT), deadline: deadline)
            } catch {
                close(fd)
                throw error
            }
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
            guard code == 0 else {
                close(fd)
                throw TransportFailure(code == ECONNREFUSED ? "connection refused" : String(cString: strerror(code)))
            }
        }
        return fd
    }

    static func wait(_ fd: Int32, for events: Int16, deadline: Date) throws {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw TransportFailure("no answer in time") }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left, 60) * 1000) + 1)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw TransportFailure(String(cString: strerror(errno))) }
        }
    }

    /// Status line, headers, and a body by Content-Length, chunks (trailers dropped) or to the end.
    static func parse(_ bytes: [UInt8]) throws -> HTTPExchangeResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.firstRange(of: separator) else { throw TransportFailure("connection lost before the answer") }
        let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
            throw TransportFailure("not an HTTP answer")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var rest = Array(bytes[end.upperBound...])
        var body: [UInt8] = []
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                guard let lineEnd = rest.firstRange(of: [13, 10]) else { throw TransportFailure("a chunked answer cut short") }
                let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw TransportFailure("a chunked answer with a bad chunk size")
                }
                rest.removeFirst(lineEnd.upperBound)
                if size == 0 { break }
                guard rest.count >= size else { throw TransportFailure("a chunked answer cut short") }
                body += rest[..<size]
                rest.removeFirst(min(rest.count, size + 2))
            }
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard rest.count >= length else { throw TransportFailure("an answer cut short") }
            body = Array(rest[..<length])
        } else {
            body = rest
        }
        return HTTPExchangeResponse(status: status, headers: headers, body: Data(body))
    }
}

/// Bytes to and from one connection, within a deadline.
protocol ByteChannel {
    func write(_ bytes: [UInt8], deadline: Date) throws
    /// Everything the other side sends until it closes.
    func readToEnd(deadline: Date) throws -> [UInt8]
}

/// A plain TCP connection (non-blocking, waited on with poll).
struct SocketChannel: ByteChannel {
    let fd: Int32

    func write(_ bytes: [UInt8], deadline: Date) throws {
        var sent = 0
        while sent < bytes.count {
            try SocketHTTPTransport.wait(fd, for: Int16(POLLOUT), deadline: deadline)
            let count = bytes.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw TransportFailure("connection lost while sending: \(String(cString: strerror(errno)))")
            }
            sent += count
        }
    }

    func readToEnd(deadline: Date) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            try SocketHTTPTransport.wait(fd, for: Int16(POLLIN), deadline: deadline)
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { return result }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw TransportFailure("connection lost before the answer: \(String(cString: strerror(errno)))")
            }
            result += buffer[0..<count]
            guard result.count < SocketHTTPTransport.largestAnswer else { throw TransportFailure("an answer larger than 64 MiB") }
        }
    }
}
