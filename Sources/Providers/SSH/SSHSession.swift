import CLibSSH2
import Foundation
import Synchronization
import Manifests

#if canImport(Glibc)
    import Glibc
#endif

/// One authenticated SSH connection to one host, over libssh2 in non-blocking mode.
///
/// libssh2 sessions are not thread-safe, and their calls block: every use of the session runs on
/// this object's own serial queue, off Swift's cooperative pool, bounded by a deadline.
/// `@unchecked Sendable`: the session, its socket and `broken` are touched only on `queue`.
final class SSHSession: @unchecked Sendable {
    let target: SSHTarget
    private let queue: DispatchQueue
    private var fd: Int32 = -1
    private var session: OpaquePointer?
    /// Set when the connection failed mid-use; the pool then opens a new one.
    private(set) var broken = false
    /// The host key's SHA-256 fingerprint, as OpenSSH prints it.
    private(set) var fingerprint = ""
    /// The long-lived `/bin/sh` that relays admin-socket requests (see `relay`); touched only on `queue`.
    var relayShell: OpaquePointer?

    private static let initialised: Int32 = libssh2_init(0)

    private init(target: SSHTarget) {
        self.target = target
        queue = DispatchQueue(label: "deployer.ssh.\(target.label)")
    }

    deinit {
        if let session {
            _ = libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "done", "")
            libssh2_session_free(session)
        }
        if fd >= 0 { close(fd) }
    }

    /// Connects, checks the host key and authenticates.
    static func connect(_ target: SSHTarget) async throws -> SSHSession {
        let session = SSHSession(target: target)
        try await session.onQueue { () throws(SSHError) in
            let deadline = Date() + target.connectTimeout.seconds
            try session.openSocket(deadline: deadline)
            try session.handshake(deadline: deadline)
            try session.checkHostKey()
            try session.authenticate(deadline: deadline)
        }
        return session
    }

    /// Runs `body` on the session's queue.
    func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws(SSHError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    // MARK: Connecting (on the queue)

    private func openSocket(deadline: Date) throws(SSHError) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let first = list else {
            throw SSHError(.unreachable, "\(target.label): cannot resolve \(target.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SSHError(.unreachable, "\(target.label): socket(): \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        // Requests are small and wait for their answer: without this, Nagle's algorithm and delayed
        // ACKs hold each SSH packet for ~40 ms (as OpenSSH, which sets it for the same reason).
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { throw unreachable(errno) }
            try poll(Int16(POLLOUT), deadline: deadline, doing: "connecting")
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { throw unreachable(error) }
        }
        _ = Self.initialised
        session = libssh2_session_init_ex(nil, nil, nil, nil)
        guard let session else { throw SSHError(.unreachable, "\(target.label): libssh2 could not start a session") }
        libssh2_session_set_blocking(session, 0)
    }

    private func unreachable(_ code: Int32) -> SSHError {
        SSHError(.unreachable, "\(target.label): \(String(cString: strerror(code)))")
    }

    private func poll(_ events: Int16, deadline: Date, doing what: String) throws(SSHError) {
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw SSHError(.timeout, "\(target.label): no answer in time while \(what)") }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = Glibc.poll(&descriptor, 1, Int32(min(left * 1000, 1000).rounded(.up)))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw unreachable(errno) }
        }
    }

    /// Repeats a libssh2 call while it would block, waiting on the socket in the direction it needs.
    func retrying(_ what: String, deadline: Date, _ call: () -> Int32) throws(SSHError) -> Int32 {
        while true {
            let result = call()
            guard result == LIBSSH2_ERROR_EAGAIN else { return result }
            try waitSocket(deadline: deadline, doing: what)
        }
    }

    func waitSocket(deadline: Date, doing what: String) throws(SSHError) {
        let directions = session.map { libssh2_session_block_directions($0) } ?? 0
        var events: Int16 = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        if events == 0 { events = Int16(POLLIN) }
        try poll(events, deadline: deadline, doing: what)
    }

    /// The session's last error, for a message.
    func lastError() -> String {
        guard let session else { return "no session" }
        var text: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        libssh2_session_last_error(session, &text, &length, 0)
        return text.map { String(cString: $0) } ?? "unknown error"
    }

    /// Marks the connection unusable after an error that is not the command's own.
    func fail(_ kind: SSHError.Kind, _ what: String) -> SSHError {
        broken = true
        return SSHError(kind, "\(target.label): \(what): \(lastError())")
    }

    var handle: OpaquePointer? { session }

    private func handshake(deadline: Date) throws(SSHError) {
        guard let session else { return }
        let result = try retrying("handshaking", deadline: deadline) { libssh2_session_handshake(session, fd) }
        if result != 0 {
            throw SSHError(.unreachable, "\(target.label): SSH handshake failed: \(lastError())")
        }
    }

    private func checkHostKey() throws(SSHError) {
        guard let session else { return }
        var length = 0
        var type: Int32 = 0
        guard let key = libssh2_session_hostkey(session, &length, &type) else {
            throw SSHError(.unreachable, "\(target.label): the server sent no host key")
        }
        if let hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256) {
            let bytes = Data(bytes: hash, count: 32)
            fingerprint = "SHA256:" + bytes.base64EncodedString().replacingOccurrences(of: "=", with: "")
        }
        guard let known = libssh2_knownhost_init(session) else {
            throw SSHError(.hostKeyUnknown, "\(target.label): cannot check host keys")
        }
        defer { libssh2_knownhost_free(known) }
        if FileManager.default.fileExists(atPath: target.knownHosts) {
            _ = libssh2_knownhost_readfile(known, target.knownHosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH)
        }
        let keyType = Self.knownHostKeyType(type)
        let flags = Int32(LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW) | keyType
        var found: UnsafeMutablePointer<libssh2_knownhost>?
        let check = libssh2_knownhost_checkp(known, target.host, Int32(target.port), key, length, flags, &found)
        switch check {
        case LIBSSH2_KNOWNHOST_CHECK_MATCH:
            return
        case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
            throw SSHError(
                .hostKeyChanged,
                "\(target.label): the host key has CHANGED (now \(fingerprint)); it does not match \(target.knownHosts). "
                    + "This may be an attack, or the host was rebuilt. Nothing was run. If the change is expected, remove "
                    + "the old key (ssh-keygen -R \(knownHostsName)) and connect again.")
        default:
            guard target.acceptNewHostKey else {
                throw SSHError(
                    .hostKeyUnknown,
                    "\(target.label): unknown host key \(fingerprint), not in \(target.knownHosts). Nothing was run. "
                        + "Check the fingerprint, then add it (ssh-keyscan, or connect once with ssh), or accept new "
                        + "keys explicitly with DEPLOYER_ACCEPT_NEW_HOST_KEYS=1.")
            }
            let name = knownHostsName
            let comment = "added by deployer"
            let added = libssh2_knownhost_addc(
                known, name, nil, key, length, comment, comment.utf8.count, flags, nil)
            let directory = (target.knownHosts as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if added != 0 || libssh2_knownhost_writefile(known, target.knownHosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0 {
                throw SSHError(.hostKeyUnknown, "\(target.label): could not record the new host key in \(target.knownHosts)")
            }
        }
    }

    private var knownHostsName: String { target.port == 22 ? target.host : "[\(target.host)]:\(target.port)" }

    private static func knownHostKeyType(_ hostKeyType: Int32) -> Int32 {
        switch hostKeyType {
        case LIBSSH2_HOSTKEY_TYPE_RSA: return 2 << 18
        case LIBSSH2_HOSTKEY_TYPE_DSS: return 3 << 18
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return 4 << 18
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return 5 << 18
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return 6 << 18
        case LIBSSH2_HOSTKEY_TYPE_ED25519: return 7 << 18
        default: return 15 << 18
        }
    }

    private func authenticate(deadline: Date) throws(SSHError) {
        guard let session else { return }
        let user = target.user
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        var tried: [String] = []
        var rsaRefused = false
        let files: [String]
        if let keyFile = target.keyFile {
            files = [(keyFile as NSString).expandingTildeInPath]
        } else {
            if try authenticateWithAgent(deadline: deadline) { return }
            tried.append("ssh-agent")
            files = ["id_ed25519", "id_ecdsa", "id_rsa"].map { "\(home)/.ssh/\($0)" }
                .filter { FileManager.default.fileExists(atPath: $0) }
        }
        for file in files {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw SSHError(.authentication, "\(target.label): cannot read the private key \(file)")
            }
            let publicFile = FileManager.default.fileExists(atPath: file + ".pub") ? file + ".pub" : nil
            let passphrase = KeyPassphrase.passphrase(for: file)
            let result = try retrying("authenticating", deadline: deadline) {
                libssh2_userauth_publickey_fromfile_ex(
                    session, user, UInt32(user.utf8.count), publicFile, file, passphrase)
            }
            if result == 0 { return }
            tried.append(file)
            let publicKey = publicFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            if publicKey.hasPrefix("ssh-rsa") { rsaRefused = true }
        }
        var message = "\(target.label): authentication failed (tried \(tried.isEmpty ? "no key" : tried.joined(separator: ", ")))"
        if rsaRefused {
            message += ". This libssh2 signs RSA keys with SHA-1 (`ssh-rsa`), which OpenSSH 8.8 and later refuse by "
                + "default: use an ed25519 key (ssh-keygen -t ed25519), or set `ssh: {transport: openssh}` in the "
                + "environment file to use the system ssh client"
        } else {
            message += ". Check ansible_user and ansible_ssh_private_key_file, the key's passphrase "
                + "(DEPLOYER_SSH_PASSPHRASE), or ssh-agent"
        }
        throw SSHError(.authentication, message)
    }

    /// Tries every identity of ssh-agent; false when there is no agent or none was accepted.
    private func authenticateWithAgent(deadline: Date) throws(SSHError) -> Bool {
        guard let session, ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil,
            let agent = libssh2_agent_init(session)
        else { return false }
        defer { libssh2_agent_free(agent) }
        // The agent is a local socket: these calls do not wait on the network.
        libssh2_session_set_blocking(session, 1)
        defer { libssh2_session_set_blocking(session, 0) }
        libssh2_session_set_timeout(session, Int(max(1, deadline.timeIntervalSinceNow) * 1000))
        guard libssh2_agent_connect(agent) == 0 else { return false }
        defer { libssh2_agent_disconnect(agent) }
        guard libssh2_agent_list_identities(agent) == 0 else { return false }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        while libssh2_agent_get_identity(agent, &identity, previous) == 0 {
            if libssh2_agent_userauth(agent, target.user, identity) == 0 { return true }
            previous = identity
        }
        return false
    }
}

/// Passphrases of encrypted private keys: `DEPLOYER_SSH_PASSPHRASE`, or asked once per key on the
/// terminal (never echoed, kept in memory only for this process). Without a terminal, nothing is asked.
enum KeyPassphrase {
    private static let asked = Mutex<[String: String]>([:])

    static func passphrase(for file: String) -> String? {
        if let given = ProcessInfo.processInfo.environment["DEPLOYER_SSH_PASSPHRASE"] { return given }
        guard isEncrypted(file), isatty(STDIN_FILENO) == 1 else { return nil }
        return asked.withLock { known in
            if let passphrase = known[file] { return passphrase }
            guard let typed = getpass("Passphrase for \(file): ") else { return nil }
            let passphrase = String(cString: typed)
            known[file] = passphrase
            return passphrase
        }
    }

    /// Whether the key file is encrypted: PEM keys say so in a header; OpenSSH keys name their cipher.
    static func isEncrypted(_ file: String) -> Bool {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return false }
        if text.contains("ENCRYPTED") { return true }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { return false }
        // openssh-key-v1\0, then the cipher name as a length-prefixed string ("none" when not encrypted).
        let magic = Array("openssh-key-v1\0".utf8)
        let bytes = [UInt8](data)
        guard bytes.count > magic.count + 4, Array(bytes[..<magic.count]) == magic else { return false }
        let lengthBytes = bytes[magic.count..<(magic.count + 4)]
        let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
        let start = magic.count + 4
        guard bytes.count >= start + length else { return false }
        return String(decoding: bytes[start..<(start + length)], as: UTF8.self) != "none"
    }
}
