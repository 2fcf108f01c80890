import ArgumentParser
import Deployer
import Foundation
import Manifests

struct Abort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop a deploy and put back every target it had taken out.",
        discussion: """
            If the deploy is running (in another terminal), it is asked to stop: it starts nothing new, \
            lets the targets in flight finish or undo their current step, puts them back where they \
            were and releases the lock; this command waits for that. If its process is gone (crash, \
            kill -9, Ctrl-C), this command does the same from the journal. Targets that were updated \
            but are not healthy are left out and reported. Prints the version every target was left on.
            """)

    @OptionGroup var target: EnvironmentOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("How long to wait for a running deploy to stop.", valueName: "duration"))
    var wait: String = "5m"

    func run() async throws {
        let workspace = try Workspace.load(target)
        guard let unfinished = try await workspace.unfinishedJournal() else {
            throw CommandFailure(
                "error: no unfinished deploy of \(workspace.environment.name) to abort; `deployer status \(target.environment)` shows where every target stands, `deployer restore` puts one back"
                    + (await Session.goneLockHint(workspace, argument: target.environment)),
                code: .failed)
        }
        let events = Renderers.make(output)
        let context = try workspace.context(events: events, version: unfinished.replay.version)
        if let holder = try await context.lock.current(), holder.deployID == unfinished.deployID,
            !(await Identity.isGone(holder, in: workspace.store))
        {
            try await stopRunning(workspace, holder: holder, deployID: unfinished.deployID, context: context)
            return
        }
        let request = workspace.request(
            version: unfinished.replay.version, strategy: workspace.environment.strategy,
            deployID: unfinished.deployID, command: "abort")
        let watch = Session.watch(workspace, holder: request.holder)
        let summary: DeploySummary
        do {
            summary = try await DeployEngine(context).abort(request, journal: try await workspace.store.journal(unfinished.deployID))
        } catch {
            await Session.endWatch(watch, workspace, holder: request.holder)
            throw error
        }
        await Session.endWatch(watch, workspace, holder: request.holder)
        await Session.audit(workspace, command: "abort", version: summary.version, outcome: summary.outcome.rawValue, deployID: summary.deployID)
        await Deploy.endHook(summary, workspace, board: events)
        if output.format != .json {
            Console.out(Reports.summary(summary))
            Console.out(try await Versions.table(context))
        }
        if summary.targets.contains(where: { !$0.restored }) { throw CommandFailure("", code: .failed) }
    }

    /// Asks the running deploy to stop, through the deploy state (it looks every second, from whichever
    /// machine it runs on), and waits for it to let the lock go.
    private func stopRunning(_ workspace: Workspace, holder: LockInfo, deployID: String, context: DeployContext) async throws {
        guard let limit = Duration(manifestText: wait) else {
            throw CommandFailure("error: --wait \(wait) is not a duration", code: .badInput)
        }
        try await workspace.store.requestAbort(deployID)
        Console.out("Asked deploy \(deployID) (\(holder.user) on \(holder.host), pid \(holder.pid)) to stop and put back what it took out; waiting…")
        let deadline = Date().addingTimeInterval(limit.seconds)
        while Date() < deadline {
            let current = try await context.lock.current()
            var stopped = current?.deployID != deployID
            if !stopped, let current { stopped = await Identity.isGone(current, in: workspace.store) }
            if stopped {
                try? await workspace.store.clearAbortRequest()
                await Session.audit(workspace, command: "abort", outcome: "aborted", deployID: deployID)
                Console.out("Deploy \(deployID) stopped.")
                Console.out(try await Versions.table(context))
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CommandFailure("error: deploy \(deployID) did not stop within \(wait); it is still asked to", code: .failed)
    }
}

/// Which version every target runs, and whether it is in service.
enum Versions {
    static func table(_ context: DeployContext) async throws -> String {
        let state = try await context.readState()
        let rows = state.targets.map { [$0.id.rawValue, $0.version ?? "?", state.isInService($0) ? "in service" : "OUT of service"] }
        return (["Targets now:"] + Format.table(rows)).joined(separator: "\n")
    }
}
