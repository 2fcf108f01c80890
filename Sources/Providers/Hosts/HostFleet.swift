import Foundation
import Synchronization
import Digests
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
    /// Runs `command` (already rendered for `host`) within `timeout`, with sudo when `become`, with
    /// `input` on its stdin. `onLine` receives each output line as it is printed. Throws only when
    /// the command could not be run at all (no connection); a failing command is an outcome.
    func run(
        _ command: String, on host: HostTarget, become: Bool, input: [UInt8], timeout: Duration,
        onLine: @escaping @Sendable (String) -> Void
    ) async throws -> CommandOutcome
}

/// What updating a host means: a command (`deploy.run`), or a compose service (`deploy.compose`).
public enum HostAction: Sendable {
    case run(RunAction)
    case compose(ComposeAction)

    /// The action of an environment file, when it applies to inventory hosts.
    public init?(_ action: DeployAction) {
        switch action {
        case .run(let run): self = .run(run)
        case .compose(let compose): self = .compose(compose)
        case .vmssModelUpdate, .simulated: return nil
        }
    }
}

/// Inventory hosts updated by a command (`deploy.run`) or a compose service (`deploy.compose`), each
/// step run by a `HostCommandRunner`.
///
/// The version a host runs: for `deploy.compose`, the tag of the image its service's container was
/// started from (`compose ps` on the host, read once per command and kept up to date as hosts are
/// updated); for `deploy.run`, which no host can be asked about, the version deployer last deployed
/// there successfully, kept in the environment's deploy state (`versions`, seen by every machine that
/// shares it). A host whose version cannot be known is always deployed.
public struct HostFleet: Fleet {
    public let hosts: [HostTarget]
    public let action: HostAction
    public let prepareAction: HostAction?
    public let versions: StateStore
    /// Runs `connection: local` commands.
    public let local: any HostCommandRunner
    /// Runs `connection: ssh` commands and compose steps; nil when SSH is not available.
    public let remote: (any HostCommandRunner)?
    public let events: any EventSink
    /// What compose hosts were seen running, asked once per command.
    private let running = RunningVersions()

    public init(
        hosts: [HostTarget], action: HostAction, prepare: HostAction?, versions: StateStore,
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
        let known: [String: String]
        if case .compose(let compose) = action {
            known = await running.versions { await runningTags(compose) }
        } else {
            known = try await versions.versions()
        }
        return hosts.map { TargetSnapshot(id: TargetID($0.name), version: known[$0.name], health: .unknown) }
    }

    /// The image tag each host's service container runs, asked on every host at once.
    private func runningTags(_ compose: ComposeAction) async -> [String: String] {
        guard let remote else { return [:] }
        return await withTaskGroup(of: (String, String?).self) { group in
            for host in hosts {
                group.addTask {
                    let directory = host.render(compose.projectDirectory, version: nil)
                    let command = "cd \(Shell.quoteIfNeeded(directory)) && \(compose.command) -f \(Shell.quoteIfNeeded(compose.remoteFile)) "
                        + "ps --format '{{.Image}}' \(Shell.quoteIfNeeded(compose.service))"
                    let outcome = try? await remote.run(
                        command, on: host, become: compose.become, input: [], timeout: .seconds(15), onLine: { _ in })
                    guard let outcome, outcome.succeeded else { return (host.name, nil) }
                    let image = outcome.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                        .last { !$0.isEmpty }
                    return (host.name, image.flatMap { ComposeImage.tag(of: $0) })
                }
            }
            var tags: [String: String] = [:]
            for await (name, tag) in group { if let tag { tags[name] = tag } }
            return tags
        }
    }

    public func prepare(_ target: TargetID, version: String) async throws {
        guard let prepareAction else { return }
        try await perform(prepareAction, on: target, version: version, what: "prepare")
    }

    public func update(_ target: TargetID, to version: String) async throws {
        try await perform(action, on: target, version: version, what: "deploy")
        running.record(version, for: target.rawValue)
        try await versions.recordVersion(version, for: target.rawValue)
    }

    public func describeUpdate(_ target: TargetID, version: String) -> [String] {
        guard let host = hosts.first(where: { $0.name == target.rawValue }) else { return [] }
        return (prepareAction.map { steps($0, on: host, version: version) } ?? []).map { "before drain: \($0.display)" }
            + steps(action, on: host, version: version).map(\.display)
    }

    /// One command of an action, as run and as shown.
    struct Step {
        var command: String
        var display: String
        var input: [UInt8] = []
        var become: Bool
        var connection: RunAction.Connection
    }

    func steps(_ action: HostAction, on host: HostTarget, version: String) -> [Step] {
        switch action {
        case .run(let run):
            let command = host.renderCommand(run.command, version: version)
            let place = run.connection == .local ? "locally" : "on \(host.address)"
            return [Step(command: command, display: "\(place)\(run.become ? " (sudo)" : ""): \(command)", become: run.become, connection: run.connection)]
        case .compose(let compose):
            return ComposeSteps(compose, host: host, version: version).steps
        }
    }

    private func perform(_ action: HostAction, on target: TargetID, version: String, what: String) async throws {
        guard let host = hosts.first(where: { $0.name == target.rawValue }) else {
            throw DeployerError("no host \(target) in the inventory")
        }
        let events = self.events
        let timeout: Duration
        switch action {
        case .run(let run): timeout = run.timeout
        case .compose(let compose): timeout = compose.timeout
        }
        let deadline = ContinuousClock.now + timeout
        let steps = steps(action, on: host, version: version)
        for step in steps {
            let runner: any HostCommandRunner
            switch step.connection {
            case .local: runner = local
            case .ssh:
                guard let remote else { throw DeployerError("\(what) on \(target): SSH is not available") }
                runner = remote
            }
            if steps.count > 1 { events.emit(.output(target: target, line: "$ " + step.display)) }
            let left = deadline - ContinuousClock.now
            let result = try await runner.run(
                step.command, on: host, become: step.become, input: step.input, timeout: max(left, .seconds(1)),
                onLine: { events.emit(.output(target: target, line: $0)) })
            if result.succeeded { continue }
            let tail = result.tail(20)
            let why: String
            if result.timedOut {
                why = "timed out (\(timeout.manifestText) for the whole \(what)) and was stopped"
            } else if let signal = result.signal {
                why = "was killed by signal \(signal)"
            } else {
                why = "exited with status \(result.exitStatus.map(String.init) ?? "unknown")"
            }
            let name = steps.count > 1 ? "\(what) step `\(step.display)`" : "\(what) command"
            throw DeployerError("\(name) on \(target) \(why)" + (tail.isEmpty ? "" : ":\n" + tail))
        }
    }
}

/// The versions compose hosts run, read from the hosts once and then kept as deployer updates them.
final class RunningVersions: Sendable {
    private let state = Mutex<[String: String]?>(nil)

    func versions(read: () async -> [String: String]) async -> [String: String] {
        if let known = state.withLock({ $0 }) { return known }
        let read = await read()
        return state.withLock { current in
            if let current { return current }
            current = read
            return read
        }
    }

    func record(_ version: String, for host: String) {
        state.withLock { $0?[host] = version }
    }
}

/// The commands of `deploy.compose` on one host: upload the rendered compose file (to a temporary
/// file, checked against its SHA-256, then renamed over the old one), pull the service's image,
/// recreate the service alone.
struct ComposeSteps {
    let steps: [HostFleet.Step]

    init(_ compose: ComposeAction, host: HostTarget, version: String) {
        let directory = host.render(compose.projectDirectory, version: version)
        let slashed = directory.hasSuffix("/") ? directory : directory + "/"
        let file = compose.remoteFile
        let text = Array(compose.rendered(version: version).utf8)
        // `$$` stays outside the quotes so each upload gets its own temporary file.
        let upload = [
            "set -e", "umask 022", "mkdir -p \(Shell.quote(directory))",
            "tmp=\(Shell.quote(slashed + "." + file + ".deployer-"))$$", "trap 'rm -f \"$tmp\"' EXIT", "cat > \"$tmp\"",
            "echo \(Digests.sha256Hex(text))'  '\"$tmp\" | sha256sum -c --status - || { echo 'the uploaded file does not match: "
                + "the transfer was cut; nothing was replaced' >&2; exit 1; }",
            "mv -f \"$tmp\" \(Shell.quote(slashed + file))",
        ].joined(separator: "; ")
        let sudo = compose.become ? " (sudo)" : ""
        func step(_ command: String, display: String, input: [UInt8] = []) -> HostFleet.Step {
            HostFleet.Step(
                command: command, display: "on \(host.address)\(sudo): \(display)", input: input, become: compose.become,
                connection: .ssh)
        }
        let cd = "cd \(Shell.quoteIfNeeded(directory)) && \(compose.command) -f \(Shell.quoteIfNeeded(file))"
        let pull = "\(cd) pull \(Shell.quoteIfNeeded(compose.service))"
        let up = "\(cd) up -d --no-deps \(Shell.quoteIfNeeded(compose.service))"
        steps = [
            step(
                upload,
                display: "upload \(slashed + file) with image \(compose.image(version: version)) (\(text.count) bytes, "
                    + "written to a temporary file, checked, renamed)",
                input: text),
            step(pull, display: pull),
            step(up, display: up),
        ]
    }
}

/// Quoting for /bin/sh.
enum Shell {
    static func quote(_ text: String) -> String { ShellQuoting.quote(text) }

    /// `text` as is when the shell would read it unchanged, quoted otherwise (for commands people read).
    static func quoteIfNeeded(_ text: String) -> String { ShellQuoting.quoteIfNeeded(text) }

    /// `command` run by /bin/sh, through `sudo -n` when `become`.
    static func wrap(_ command: String, become: Bool) -> String {
        become ? "sudo -n -- /bin/sh -c \(quote(command))" : command
    }
}

/// Commands run where deployer runs (`connection: local`).
public struct LocalCommandRunner: HostCommandRunner {
    public init() {}

    public func run(
        _ command: String, on host: HostTarget, become: Bool, input: [UInt8], timeout: Duration,
        onLine: @escaping @Sendable (String) -> Void
    ) async throws -> CommandOutcome {
        let result = try await LocalCommand.run(
            Shell.wrap(command, become: become), input: input, timeout: timeout, onLine: onLine)
        return CommandOutcome(
            exitStatus: result.exitStatus, signal: result.signal.map(String.init), timedOut: result.timedOut,
            output: result.output)
    }
}
