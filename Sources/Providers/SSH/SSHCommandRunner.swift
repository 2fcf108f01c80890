import Foundation
public import Manifests

/// Commands run on each host over SSH (`connection: ssh`), reusing one connection per host.
public struct SSHCommandRunner: HostCommandRunner {
    public let connections: SSHConnections
    public let settings: SSHSettings

    public init(connections: SSHConnections, settings: SSHSettings) {
        self.connections = connections
        self.settings = settings
    }

    public func run(
        _ command: String, on host: HostTarget, become: Bool, input: [UInt8], timeout: Duration,
        onLine: @escaping @Sendable (String) -> Void
    ) async throws -> CommandOutcome {
        // `timeout` on the host stops the command itself at its deadline (closing the channel would
        // leave it running); deployer's own deadline is a little later.
        let seconds = max(1, Int(timeout.seconds.rounded(.up)))
        let bounded = "timeout -k 5 \(seconds) /bin/sh -c \(Shell.quote(command))"
        let remote = become ? "sudo -n -- \(bounded)" : bounded
        let result = try await connections.run(
            remote, on: settings.target(for: host.address, vars: host.vars), lane: host.inventoryName, input: input, timeout: timeout + .seconds(7),
            onLine: onLine)
        var outcome = CommandOutcome(
            exitStatus: result.exitStatus, signal: result.signal, timedOut: result.timedOut,
            output: result.stdout + result.stderr)
        // GNU timeout exits 124 when it stopped the command (137 after its KILL).
        if result.exitStatus == 124 || result.exitStatus == 137 { outcome.timedOut = true }
        return outcome
    }
}

/// How deployer reaches hosts over SSH, beyond what the inventory says.
public struct SSHSettings: Sendable {
    /// OpenSSH known_hosts file used to check host keys.
    public var knownHosts: String
    /// Record unknown host keys instead of refusing them (an explicit opt-in; never a changed key).
    public var acceptNewHostKeys: Bool
    public var defaultUser: String
    public var connectTimeout: Duration

    public init(knownHosts: String, acceptNewHostKeys: Bool, defaultUser: String, connectTimeout: Duration = .seconds(10)) {
        self.knownHosts = knownHosts
        self.acceptNewHostKeys = acceptNewHostKeys
        self.defaultUser = defaultUser
        self.connectTimeout = connectTimeout
    }

    /// From the environment: `DEPLOYER_KNOWN_HOSTS` (default ~/.ssh/known_hosts) and
    /// `DEPLOYER_ACCEPT_NEW_HOST_KEYS=1`.
    public static func fromEnvironment(_ variables: [String: String], user: String) -> SSHSettings {
        let home = variables["HOME"] ?? NSHomeDirectory()
        return SSHSettings(
            knownHosts: variables["DEPLOYER_KNOWN_HOSTS"] ?? home + "/.ssh/known_hosts",
            acceptNewHostKeys: variables["DEPLOYER_ACCEPT_NEW_HOST_KEYS"] == "1", defaultUser: user)
    }

    /// Where and as whom to connect to a host, the way Ansible reads its variables.
    public func target(for address: String, vars: [String: String]) -> SSHTarget {
        SSHTarget(
            host: address, port: vars["ansible_port"].flatMap { Int($0) } ?? vars["ansible_ssh_port"].flatMap { Int($0) } ?? 22,
            user: vars["ansible_user"] ?? vars["ansible_ssh_user"] ?? defaultUser,
            keyFile: vars["ansible_ssh_private_key_file"], knownHosts: knownHosts, acceptNewHostKey: acceptNewHostKeys,
            connectTimeout: connectTimeout)
    }
}
