import ArgumentParser
import Deployer
import Foundation
import Manifests

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Carry on with a deploy that was interrupted or whose process died.",
        discussion: """
            Reads the deploy's journal: targets it had taken out are finished first, using the pool \
            states recorded before the deploy touched them (a target an operator had drained stays \
            drained), then the targets not started yet. Refused while the deploy's process is still running.
            """)

    @OptionGroup var target: EnvironmentOptions
    @OptionGroup var stopOptions: StopOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let workspace = try Workspace.load(target)
        let grace = try stopOptions.duration()
        guard let unfinished = try workspace.unfinishedJournal() else {
            throw CommandFailure(
                "error: no unfinished deploy of \(workspace.environment.name) to resume; `deployer status \(target.environment)` shows where every target stands"
                    + (await Session.goneLockHint(workspace, argument: target.environment)),
                code: .failed)
        }
        let control = DeployControl(externalAbort: { FileManager.default.fileExists(atPath: workspace.abortMarker) })
        try? FileManager.default.removeItem(atPath: workspace.abortMarker)
        let board = FlightBoard(Renderers.make(output))
        let context = try workspace.context(events: board, control: control, version: unfinished.replay.version)
        let request = workspace.request(
            version: unfinished.replay.version, strategy: workspace.environment.strategy,
            deployID: unfinished.replay.deployID, command: "resume")
        let replay = unfinished.replay
        let audit: @Sendable (String) -> Void = { outcome in
            Session.audit(workspace, command: "resume", version: replay.version, outcome: outcome, deployID: replay.deployID)
        }
        let handler = Session.installStopHandler(
            control, board: board, environment: target.environment, grace: grace,
            onQuit: { audit("interrupted: quit with \(board.outOfService.count) target(s) out of service") })
        defer { handler.cancel() }
        let summary = try await DeployEngine(context).resume(
            request, journal: try FileJournal(path: unfinished.path, onDurable: Session.checkpoint()))
        audit(summary.outcome.rawValue)
        try Session.finish(summary, output: output)
    }
}
