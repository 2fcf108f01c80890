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
        guard let unfinished = try workspace.unfinishedJournal() else {
            throw CommandFailure(
                "error: no unfinished deploy of \(workspace.environment.name) to abort; `deployer status \(target.environment)` shows where every target stands, `deployer restore` puts one back"
                    + (await Session.goneLockHint(workspace, argument: target.environment)),
                code: .failed)
        }
        let context = try workspace.context(events: Renderers.make(output), version: unfinished.replay.version)
        if let holder = try await context.lock.current(), holder.deployID == unfinished.replay.deployID,
            holder.host == ProcessInfo.processInfo.hostName, ProcessLiveness.isAlive(holder.pid)
        {
            try await stopRunning(workspace, holder: holder, deployID: unfinished.replay.deployID, context: context)
            return
        }
        let request = workspace.request(
            version: unfinished.replay.version, strategy: workspace.environment.strategy,
            deployID: unfinished.replay.deployID, command: "abort")
        let summary = try await DeployEngine(context).abort(request, journal: try FileJournal(path: unfinished.path))
        Session.audit(workspace, command: "abort", version: summary.version, outcome: summary.outcome.rawValue, deployID: summary.deployID)
        if output.output == .text {
            Console.out(Reports.summary(summary))
            Console.out(try await Versions.table(context))
        }
        if summary.targets.contains(where: { !$0.restored }) { throw CommandFailure("", code: .failed) }
    }

    /// Asks the running deploy to stop (a marker file it checks between steps) and waits for it.
    private func stopRunning(_ workspace: Workspace, holder: LockInfo, deployID: String, context: DeployContext) async throws {
        guard let limit = Duration(manifestText: wait) else {
            throw CommandFailure("error: --wait \(wait) is not a duration", code: .badInput)
        }
        _ = FileManager.default.createFile(atPath: workspace.abortMarker, contents: Data(deployID.utf8))
        Console.out("Asked deploy \(deployID) (pid \(holder.pid)) to stop and put back what it took out; waiting…")
        let deadline = Date().addingTimeInterval(limit.seconds)
        while Date() < deadline {
            if try await context.lock.current()?.deployID != deployID || !ProcessLiveness.isAlive(holder.pid) {
                try? FileManager.default.removeItem(atPath: workspace.abortMarker)
                Session.audit(workspace, command: "abort", outcome: "aborted", deployID: deployID)
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
