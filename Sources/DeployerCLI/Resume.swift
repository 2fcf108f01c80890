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
        let (control, board, handler) = try Session.begin(target, stop: stopOptions, output: output)
        defer { handler.cancel() }
        let workspace = try Workspace.load(target)
        guard let unfinished = try await workspace.unfinishedJournal() else {
            throw CommandFailure(
                "error: no unfinished deploy of \(workspace.environment.name) to resume; `deployer status \(target.environment)` shows where every target stands"
                    + (await Session.goneLockHint(workspace, argument: target.environment)),
                code: .failed)
        }
        try await Session.refuseIfRunning(workspace, deployID: unfinished.deployID, argument: target.environment)
        try await workspace.store.clearAbortRequest()
        let context = try workspace.context(events: board, control: control, version: unfinished.replay.version)
        let request = workspace.request(
            version: unfinished.replay.version, strategy: workspace.environment.strategy,
            deployID: unfinished.deployID, command: "resume")
        let replay = unfinished.replay
        try Session.refuseIfStopped(control)
        handler.onQuit {
            Session.auditBlocking(
                workspace, command: "resume", version: replay.version,
                outcome: "interrupted: quit with \(board.outOfService.count) target(s) out of service", deployID: replay.deployID)
        }
        let watch = Session.watch(workspace, holder: request.holder, control: control, deployID: replay.deployID)
        let summary: DeploySummary
        do {
            summary = try await DeployEngine(context).resume(
                request, journal: try await workspace.store.journal(unfinished.deployID, onDurable: Session.checkpoint()))
        } catch {
            await Session.endWatch(watch, workspace, holder: request.holder)
            _ = await Deploy.hook(
                .onFailure, workspace, version: replay.version, deployID: replay.deployID, board: board,
                result: ("failed", ExitStatus.failed.rawValue), journal: true)
            throw error
        }
        await Session.endWatch(watch, workspace, holder: request.holder)
        await Session.audit(workspace, command: "resume", version: summary.version, outcome: summary.outcome.rawValue, deployID: summary.deployID)
        await Deploy.endHook(summary, workspace, board: board)
        try Session.finish(summary, output: output)
    }
}
