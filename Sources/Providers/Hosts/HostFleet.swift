import Foundation
public import Deployer
public import Manifests

/// What a command did on a host, wherever it ran.
public struct CommandOutcome: Sendable, Equatable {
    public var exitStatus: Int32?
    /// The signal that ended it (`TERM`, or a number when run locally).
    public var signal: String?
    public var timedOut: Bool
    /// The end of its output (stdout and stderr), for a message.
    public var output: String

    public init(exitStatus: Int32?, signal: String?, timedOut: Bool, output: String) {
        self.exitStatus = exitStatus
        self.signal = signal
        self.timedOut = timedOut
        self.output = output
    }

    public var succeeded: Bool { exitStatus == 0 && !timedOut }

    /// The last `lines` lines of the output, for a message.
    public func tail(_ lines: Int) -> String {
        output.split(separator: "\n", omittingEmptySubsequences: true).suffix(lines).joined(separator: "\n")
    }
}

/// Runs a deploy command for a host: where deployer runs (`connection: local`) or on the host over SSH.
public protocol HostCommandRunner: Sendable {
    /// Runs `command` (already rendered for `host`) within `timeout`, with sudo when `become`.
    /// `onLine` receives each output line as it is printed. Throws only when the command could not
    /// be run at all (no connection); a failing command is an outcome.
    func run(
        _ command: String, on host: HostTarget, become: Bool, timeout: Duration, onLine: @escaping @Sendable (String) -> Void
    ) async throws -> CommandOutcome
}

/// Inventory hosts updated by a command (`deploy.run`), run by a `HostCommandRunner`.
///
/// A host cannot be asked which version it runs, so the version shown is the one deployer last
/// deployed there successfully, kept in the state directory (`versions`); a host never deployed
/// by deployer has no known version and is always deployed.
public struct HostFleet: Fleet {
    public let hosts: [HostTarget]
    public let action: RunAction
    public let prepareAction: RunAction?
    public let versions: VersionRecord
    /// Runs `connection: local` commands.
    public let local: any HostCommandRunner
    /// Runs `connection: ssh` commands; nil when SSH is not available.
    public let remote: (any HostCommandRunner)?
    public let events: any EventSink

    public init(
        hosts: [HostTarget], action: RunAction, prepare: RunAction?, versions: VersionRecord,
        local: any HostCommandRunner = LocalCommandRunner(), remote: (any HostCommandRunner)?, events: any EventSink
    ) {
        self.hosts = hosts
        self.action = action
        self.prepareAction = prepare
        self.versions = versions
        self.local = local
        self.remote = remote
        self.events = events
    }

    public func targets() async throws -> [TargetSnapshot] {
        let known = try versions.read()
        return hosts.map { TargetSnapshot(id: TargetID($0.name), version: known[$0.name], health: .unknown) }
    }

    public func prepare(_ target: TargetID, version: String) async throws {
        guard let prepareAction else { return }
        try await run(prepareAction, on: target, version: version, what: "prepare")
    }

    public func update(_ target: TargetID, to version: String) async throws {
        try await run(action, on: target, version: version, what: "deploy command")
        try versions.record(version, for: target.rawValue)
    }

    private func run(_ action: RunAction, on target: TargetID, version: String, what: String) async throws {
        guard let host = hosts.first(where: { $0.name == target.rawValue }) else {
            throw DeployerError("no host \(target) in the inventory")
        }
        let events = self.events
        let runner: any HostCommandRunner
        switch action.connection {
        case .local: runner = local
        case .ssh:
            guard let remote else { throw DeployerError("\(what) on \(target): SSH is not available") }
            runner = remote
        }
        let result = try await runner.run(
            host.render(action.command, version: version), on: host, become: action.become, timeout: action.timeout,
            onLine: { events.emit(.output(target: target, line: $0)) })
        if result.succeeded { return }
        let tail = result.tail(20)
        let why: String
        if result.timedOut {
            why = "timed out after \(action.timeout.manifestText) and was stopped"
        } else if let signal = result.signal {
            why = "was killed by signal \(signal)"
        } else {
            why = "exited with status \(result.exitStatus.map(String.init) ?? "unknown")"
        }
        throw DeployerError("\(what) on \(target) \(why)" + (tail.isEmpty ? "" : ":\n" + tail))
    }
}

/// The version deployer last put on each host, in a small JSON file of the state directory.
public struct VersionRecord: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func read() throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    /// Records `version` for `host`, replacing the file atomically.
    public func record(_ version: String, for host: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw DeployerError("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        var all = try read()
        all[host] = version
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(all).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Quoting for /bin/sh.
enum Shell {
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `command` run by /bin/sh, through `sudo -n` when `become`.
    static func wrap(_ command: String, become: Bool) -> String {
        become ? "sudo -n -- /bin/sh -c \(quote(command))" : command
    }
}

/// Commands run where deployer runs (`connection: local`).
public struct LocalCommandRunner: HostCommandRunner {
    public init() {}

    public func run(
        _ command: String, on host: HostTarget, become: Bool, timeout: Duration, onLine: @escaping @Sendable (String) -> Void
    ) async throws -> CommandOutcome {
        let result = try await LocalCommand.run(Shell.wrap(command, become: become), timeout: timeout)
        for line in result.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast(result.output.hasSuffix("\n") ? 1 : 0) {
            onLine(String(line))
        }
        return CommandOutcome(
            exitStatus: result.exitStatus, signal: result.signal.map(String.init), timedOut: result.timedOut,
            output: result.output)
    }
}
