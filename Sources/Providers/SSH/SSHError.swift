/// What went wrong on an SSH connection, in words for the user (never a bare libssh2 code).
public struct SSHError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case unreachable
        case hostKeyUnknown
        case hostKeyChanged
        case authentication
        case timeout
        case connectionLost
        case channel
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Where and as whom to connect, from the inventory (`ansible_host`, `ansible_port`, `ansible_user`,
/// `ansible_ssh_private_key_file`) and deployer's settings.
public struct SSHTarget: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    /// A private key file; nil means ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa.
    public var keyFile: String?
    /// Where host keys are checked (OpenSSH format).
    public var knownHosts: String
    /// Add an unknown host's key to `knownHosts` instead of refusing it (never a changed key).
    public var acceptNewHostKey: Bool
    public var connectTimeout: Duration

    public init(
        host: String, port: Int = 22, user: String, keyFile: String? = nil, knownHosts: String,
        acceptNewHostKey: Bool = false, connectTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.keyFile = keyFile
        self.knownHosts = knownHosts
        self.acceptNewHostKey = acceptNewHostKey
        self.connectTimeout = connectTimeout
    }

    /// `user@host:port` for messages.
    public var label: String { "\(user)@\(host)\(port == 22 ? "" : ":\(port)")" }
}
