/// Where an environment keeps its deploy state (lock, journals, audit log, versions): `state:` in
/// the environment file, or the default for its kind.
public enum StateSpec: Sendable, Equatable {
    /// A directory of this machine: only this machine sees it. nil: `.deployer/<environment>` beside the
    /// environment file (or `--state-dir`, `$DEPLOYER_STATE_DIR`).
    case local(directory: String?)
    /// A directory on a host of the environment, reached over SSH: every machine that can reach the
    /// host sees the same state.
    case ssh(SSHStateSpec)
}

/// A state directory on an inventory host.
public struct SSHStateSpec: Sendable, Equatable {
    /// The inventory host's name (`lb-1`).
    public var host: String
    /// Its address and variables (how SSH reaches it: `ansible_port`, `ansible_user`, …).
    public var address: String
    public var vars: [String: String]
    /// The directory on the host; relative to the SSH user's home unless absolute.
    public var directory: String

    public init(host: String, address: String, vars: [String: String], directory: String) {
        self.host = host
        self.address = address
        self.vars = vars
        self.directory = directory
    }
}
