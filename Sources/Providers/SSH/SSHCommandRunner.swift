import Foundation
public import Manifests

/// Commands run on each host over SSH (`connection: ssh`), reusing one connection per host.
public struct SSHCommandRunner: HostCommandRunner {
    public let shell: any RemoteShell

    public init(shell: any RemoteShell) {
        self.shell = shell
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
        let result = try await shell.run(
            remote, on: RemoteHost(address: host.address, vars: host.vars), lane: host.inventoryName, input: input,
            timeout: timeout + .seconds(7), onLine: onLine)
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
    /// Whether `knownHosts` was chosen (environment file or variable) rather than defaulted; the
    /// ssh client is then told, and otherwise follows its own configuration.
    public var knownHostsGiven: Bool
    public var transport: SSHOptions.Transport

    public init(
        knownHosts: String, acceptNewHostKeys: Bool, defaultUser: String, connectTimeout: Duration = .seconds(10),
        knownHostsGiven: Bool = true, transport: SSHOptions.Transport = .libssh2
    ) {
        self.knownHosts = knownHosts
        self.acceptNewHostKeys = acceptNewHostKeys
        self.defaultUser = defaultUser
        self.connectTimeout = connectTimeout
        self.knownHostsGiven = knownHostsGiven
        self.transport = transport
    }

    /// From the environment file's `ssh:` section and the process environment, which wins:
    /// `DEPLOYER_KNOWN_HOSTS` (default ~/.ssh/known_hosts) and `DEPLOYER_ACCEPT_NEW_HOST_KEYS=1`.
    public static func fromEnvironment(
        _ variables: [String: String], user: String, options: SSHOptions = SSHOptions()
    ) -> SSHSettings {
        let home = variables["HOME"] ?? NSHomeDirectory()
        let given = variables["DEPLOYER_KNOWN_HOSTS"] ?? options.knownHosts
        return SSHSettings(
            knownHosts: given ?? home + "/.ssh/known_hosts",
            acceptNewHostKeys: variables["DEPLOYER_ACCEPT_NEW_HOST_KEYS"] == "1" || options.acceptNewHostKeys == true,
            defaultUser: user, connectTimeout: options.connectTimeout ?? .seconds(10), knownHostsGiven: given != nil,
            transport: options.transport)
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
