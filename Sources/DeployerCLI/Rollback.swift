import ArgumentParser
import Deployer
import Foundation
import Manifests

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put the previous version back on the whole fleet, as a deploy does.",
        discussion: """
            The version is the one the fleet ran before the last deploy, as that deploy's journal \
            recorded it in the deploy state (wherever the state lives), or --to VERSION. Then it is a \
            deploy of that version in every respect: planned and confirmed (--yes off a terminal), \
            the same lock, floor and max-unavailable, drain → update → verify → restore for every \
            target not on it, journaled, resumable and abortable. No canary stage: the version ran \
            before. Exit codes as for `deploy`.

            When the last deploy left its targets on different versions, say which with --to.
            """)

    @OptionGroup var target: EnvironmentOptions
    @Option(help: ArgumentHelp("The version to go back to (default: the one before the last deploy).", valueName: "version"))
    var to: String?
    @Option(help: ArgumentHelp("Batch size for this run: a count or a percentage (e.g. 2, 25%).", valueName: "N|P%"))
    var batch: String?
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var stopOptions: StopOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .shortAndLong, help: "Do not ask for confirmation (required when not on a terminal).")
    var yes = false

    func run() async throws {
        let (control, board, handler) = try Session.begin(target, stop: stopOptions, output: output)
        defer { handler.cancel() }
        let workspace = try Workspace.load(target)
        var options = DeployOptions()
        options.batch = batch
        var strategy = try options.strategy(for: workspace)
        strategy.canary = nil
        let version: String
        if let to {
            if let problem = DeployVersion.problem(to) {
                throw CommandFailure("error: --to: \(problem); nothing was changed", code: .badInput)
            }
            version = to
        } else {
            version = try await Self.previousVersion(workspace, argument: target.environment)
        }
        Console.error("Rolling \(workspace.environment.name) back to \(version).")
        try await Deploy.roll(
            workspace, to: version, strategy: strategy, command: "rollback", argument: target.environment, yes: yes,
            lockOptions: lockOptions, output: output, control: control, board: board, handler: handler)
    }

    /// The version the targets ran before the last deploy that changed any, from its journal.
    static func previousVersion(_ workspace: Workspace, argument: String) async throws -> String {
        let store = workspace.store
        let names = try await store.backend.list("journal").filter { $0.hasSuffix(".jsonl") }.sorted().reversed()
        for name in names {
            let deployID = String(name.dropLast(".jsonl".count))
            let records = try await store.journal(deployID).records()
            guard let replay = JournalReplay(records) else { continue }
            guard replay.isFinished else {
                throw CommandFailure(
                    "error: deploy \(deployID) of \(replay.version) has not finished: `deployer resume \(argument)` or "
                        + "`deployer abort \(argument)` first",
                    code: .interrupted)
            }
            let before = Set(replay.original.values.compactMap(\.version)).subtracting([replay.version])
            let changed = replay.finished.values.contains { $0.outcome == .updated }
            guard changed, !before.isEmpty else { continue }
            guard before.count == 1, let version = before.first else {
                throw CommandFailure(
                    "error: before deploy \(deployID) of \(replay.version), the targets ran different versions ("
                        + before.sorted().joined(separator: ", ") + "): say which with --to",
                    code: .badInput)
            }
            return version
        }
        throw CommandFailure(
            "error: no deploy of \(workspace.environment.name) that changed a target is recorded at \(store.backend.location): "
                + "say which version with --to",
            code: .badInput)
    }
}
