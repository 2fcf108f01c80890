import CSSL
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// HTTPS on 127.0.0.1 in front of the simulator's own HTTP listener: accepts TLS connections (OpenSSL,
/// TLS 1.2 or later, the given certificate and key), and relays each one's bytes, both ways, to a
/// plain connection on `upstream`. One thread per connection; the listener stops with `stop()`.
public final class TLSTerminator: @unchecked Sendable {
    public let port: UInt16
    private let context: OpaquePointer
    private let listener: Int32
    private let upstream: UInt16
    private let stopped = NSLock()
    private var isStopped = false

    /// Listens on 127.0.0.1:`port` (0: a free one) with the PEM certificate chain and key given.
    public init(port: UInt16, certificate: String, key: String, upstream: UInt16) throws {
        guard let method = TLS_server_method(), let context = SSL_CTX_new(method) else {
            throw SimulatorError("cannot set up TLS: \(Self.lastError())")
        }
        guard deployer_ssl_ctx_set_min_tls12(context) == 1,
            SSL_CTX_use_certificate_chain_file(context, certificate) == 1
        else {
            SSL_CTX_free(context)
            throw SimulatorError("cannot use the certificate \(certificate): \(Self.lastError())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(context) == 1 else {
            SSL_CTX_free(context)
            throw SimulatorError("cannot use the key \(key) with \(certificate): \(Self.lastError())")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            SSL_CTX_free(context)
            throw SimulatorError("cannot listen on 127.0.0.1:\(port) for HTTPS: \(reason) (is the port already in use?)")
        }
        self.context = context
        self.listener = fd
        self.upstream = upstream
        self.port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "tls-accept"
        thread.start()
    }

    /// Stops accepting; connections already open finish on their own.
    public func stop() {
        stopped.withLock { isStopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if stopped.withLock({ isStopped }) { return }
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            let thread = Thread { [self] in serve(client) }
            thread.name = "tls-connection"
            thread.start()
        }
    }

    /// One connection: the TLS handshake, then bytes relayed until either side closes.
    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let ssl = SSL_new(context) else { return }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, client)
        guard SSL_accept(ssl) == 1 else { return }
        // Handshake done: no read timeout on the client any more (long polls and `delay` faults).
        timeout = timeval(tv_sec: 0, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard server >= 0 else { return }
        defer { close(server) }
        var address = Self.loopback(upstream)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: server, events: Int16(POLLIN), revents: 0)]
        while true {
            // Bytes OpenSSL has already decrypted are not visible to poll().
            if SSL_pending(ssl) == 0 {
                fds[0].revents = 0
                fds[1].revents = 0
                guard poll(&fds, 2, -1) > 0 else {
                    if errno == EINTR { continue }
                    break
                }
            } else {
                fds[0].revents = Int16(POLLIN)
            }
            if fds[0].revents != 0 {
                let count = SSL_read(ssl, &buffer, Int32(buffer.count))
                guard count > 0, Self.writeAll(server, buffer, count: Int(count)) else { break }
            }
            if fds[1].revents != 0 {
                let count = read(server, &buffer, buffer.count)
                guard count > 0 else { break }
                var written = 0
                while written < count {
                    let sent = buffer.withUnsafeBufferPointer { SSL_write(ssl, $0.baseAddress! + written, Int32(count - written)) }
                    guard sent > 0 else { return }
                    written += Int(sent)
                }
            }
        }
        SSL_shutdown(ssl)
    }

    private static func writeAll(_ fd: Int32, _ buffer: [UInt8], count: Int) -> Bool {
        var written = 0
        while written < count {
            let sent = buffer.withUnsafeBufferPointer { write(fd, $0.baseAddress! + written, count - written) }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            written += sent
        }
        return true
    }

    private static func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return address
    }

    private static func lastError() -> String { String(cString: deployer_ssl_error_text()) }

    deinit { SSL_CTX_free(context) }
}
