import CSSL
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a TLS client trusts and what it shows: PEM files.
public struct TLSClientFiles: Sendable, Equatable {
    /// The certificate authorities a server's certificate must chain to; nil: the system's.
    public var ca: String?
    /// The client certificate (chain) and its key, shown when the server asks for one.
    public var certificate: String?
    public var key: String?

    public init(ca: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
    }
}

/// An OpenSSL client context, made once from `TLSClientFiles`: TLS 1.2 or later, the server's
/// certificate verified against the CA and against the host name or address connected to, the client
/// certificate shown when asked.
final class TLSClientContext: @unchecked Sendable {
    private let context: OpaquePointer

    init(_ files: TLSClientFiles) throws {
        guard let method = TLS_client_method(), let context = SSL_CTX_new(method) else {
            throw TransportFailure("cannot set up TLS: \(Self.lastError())")
        }
        self.context = context
        guard deployer_ssl_ctx_set_min_tls12(context) == 1 else { throw TransportFailure("cannot set up TLS: \(Self.lastError())") }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let ca = files.ca {
            guard SSL_CTX_load_verify_locations(context, ca, nil) == 1 else {
                throw TransportFailure("cannot read the CA certificate \(ca): \(Self.lastError())")
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw TransportFailure("cannot read the system's CA certificates: \(Self.lastError())")
        }
        if let certificate = files.certificate {
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw TransportFailure("cannot read the client certificate \(certificate): \(Self.lastError())")
            }
            let key = files.key ?? certificate
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(context) == 1 else {
                throw TransportFailure("cannot use the key \(key) with the client certificate \(certificate): \(Self.lastError())")
            }
        }
    }

    deinit { SSL_CTX_free(context) }

    /// A TLS session over the connected (non-blocking) socket `fd`, its handshake done and the server
    /// verified as `host`, all before `deadline`.
    func open(_ fd: Int32, host: String, deadline: Date) throws -> TLSChannel {
        guard let ssl = SSL_new(context) else { throw TransportFailure("cannot set up TLS: \(Self.lastError())") }
        let channel = TLSChannel(ssl: ssl, fd: fd)
        SSL_set_fd(ssl, fd)
        var address = in6_addr()
        let isAddress = inet_pton(AF_INET, host, &address) == 1 || inet_pton(AF_INET6, host, &address) == 1
        let named = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) : SSL_set1_host(ssl, host)
        guard named == 1 else { throw TransportFailure("cannot set up TLS for \(host): \(Self.lastError())") }
        if !isAddress { _ = deployer_ssl_set_server_name(ssl, host) }
        do {
            _ = try channel.drive(deadline) { SSL_connect(ssl) }
        } catch let failure as TransportFailure {
            let verdict = SSL_get_verify_result(ssl)
            guard verdict != X509_V_OK else { throw failure }
            throw TransportFailure("the server's certificate is not trusted: \(String(cString: X509_verify_cert_error_string(verdict)))")
        }
        return channel
    }

    static func lastError() -> String { String(cString: deployer_ssl_error_text()) }
}

/// One TLS session on a socket: bytes written and read through OpenSSL, waiting on the socket
/// whenever OpenSSL wants it readable or writable.
final class TLSChannel: ByteChannel {
    private let ssl: OpaquePointer
    private let fd: Int32

    init(ssl: OpaquePointer, fd: Int32) {
        self.ssl = ssl
        self.fd = fd
    }

    deinit { SSL_free(ssl) }

    func write(_ bytes: [UInt8], deadline: Date) throws {
        var sent = 0
        while sent < bytes.count {
            let count = try bytes.withUnsafeBufferPointer { buffer in
                try drive(deadline) { SSL_write(ssl, buffer.baseAddress! + sent, Int32(bytes.count - sent)) }
            }
            guard count > 0 else { throw TransportFailure("connection closed while sending") }
            sent += Int(count)
        }
    }

    func readToEnd(deadline: Date) throws -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try drive(deadline) { SSL_read(ssl, &buffer, Int32(buffer.count)) }
            if count == 0 { return result }
            result += buffer[0..<Int(count)]
            guard result.count < SocketHTTPTransport.largestAnswer else { throw TransportFailure("an answer larger than 64 MiB") }
        }
    }

    /// Runs `operation` until it makes progress: its positive result, or 0 at the end of the stream
    /// (the server closed, with or without TLS's close_notify; the HTTP framing tells a cut-short answer).
    func drive(_ deadline: Date, _ operation: () -> Int32) throws -> Int32 {
        while true {
            ERR_clear_error()
            errno = 0
            let result = operation()
            if result > 0 { return result }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ: try SocketHTTPTransport.wait(fd, for: Int16(POLLIN), deadline: deadline)
            case SSL_ERROR_WANT_WRITE: try SocketHTTPTransport.wait(fd, for: Int16(POLLOUT), deadline: deadline)
            case SSL_ERROR_ZERO_RETURN: return 0
            case SSL_ERROR_SYSCALL where ERR_peek_error() == 0 && errno == 0: return 0
            case SSL_ERROR_SYSCALL where ERR_peek_error() == 0:
                throw TransportFailure("TLS connection lost: \(String(cString: strerror(errno)))")
            default:
                throw TransportFailure("TLS failed: \(TLSClientContext.lastError())")
            }
        }
    }
}
