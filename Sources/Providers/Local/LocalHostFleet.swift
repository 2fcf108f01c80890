import Foundation
public import Deployer
public import Manifests

/// Inventory hosts whose deploy command runs where deployer runs (`connection: local`): the command
/// is rendered for each host (its inventory variables and `{{ version }}`) and run by /bin/sh.
///
/// A host cannot be asked which version it runs, so the version shown is the one deployer last
/// deployed there successfully, kept in the state directory (`versions`); a host never deployed
/// by deployer has no known version and is always deployed.
public struct LocalHostFleet: Fleet {
    public let hosts: [HostTarget]
    public let action: RunAction
    public let prepareAction: RunAction?
    public let versions: VersionRecord

    public init(hosts: [HostTarget], action: RunAction, prepare: RunAction?, versions: VersionRecord) {
        self.hosts = hosts
        self.action = action
        self.prepareAction = prepare
        self.versions = versions
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
        var command = host.render(action.command, version: version)
        if action.become { command = "sudo -n -- /bin/sh -c \(Shell.quote(command))" }
        let result = try await LocalCommand.run(command, timeout: action.timeout)
        if result.succeeded { return }
        let tail = result.tail(20)
        let why: String
        if result.timedOut {
            why = "timed out after \(action.timeout.manifestText) and was stopped"
        } else if let signal = result.signal {
            why = "was killed by signal \(signal)"
        } else {
            why = "exited with status \(result.exitStatus ?? -1)"
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
        let lock = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw DeployerError("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        var all = try read()
        all[host] = version
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try encoder.encode(all).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Quoting for /bin/sh.
enum Shell {
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
