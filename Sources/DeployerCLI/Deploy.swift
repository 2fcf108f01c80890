import ArgumentParser
import Deployer
import Foundation
import Manifests
import Providers
import Synchronization

struct Deploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Roll the fleet to a version, batch by batch, without dropping traffic.",
        discussion: """
            Every target goes through drain (from every load balancer) → wait until its sessions end → \
            update → verify health → restore → confirm. Batches never take more targets out than \
            max-unavailable allows nor leave fewer in service than min-in-service. On a terminal the \
            plan is shown and confirmed first; elsewhere --yes is required. Every step is journaled: \
            after a crash or Ctrl-C, `deployer resume ENV` carries on and `deployer abort ENV` puts \
            everything back.

            Ctrl-C, SIGTERM and SIGHUP stop safely: no new target starts, a target that has not reached \
            its update goes back where it was, one whose update has begun finishes it and is verified \
            and restored (within --grace); then exit 5 with anything left out of service listed. A \
            second signal quits at once, with that list.

            Refused with exit 4 (the holder named) while another deploy, drain or restore holds the \
            lock; --lock-wait waits for it. Exit 5 when a deploy did not finish (resume or abort it).
            """)

    @OptionGroup var target: EnvironmentOptions
    @OptionGroup var deployOptions: DeployOptions
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var stopOptions: StopOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .shortAndLong, help: "Do not ask for confirmation (required when not on a terminal).")
    var yes = false

    @Option(
        help: ArgumentHelp(
            "Write the deploy's report to FILE when it ends, also when it failed or was interrupted (html, svg, .md or .json by extension).",
            valueName: "FILE"))
    var report: String?

    func run() async throws {
        let (control, board, handler) = try Session.begin(target, stop: stopOptions, output: output)
        defer { handler.cancel() }
        let workspace = try Workspace.load(target)
        let version = try deployOptions.version(for: workspace)
        let strategy = try deployOptions.strategy(for: workspace)
        try await Self.roll(
            workspace, to: version, strategy: strategy, command: "deploy", argument: target.environment, yes: yes,
            lockOptions: lockOptions, output: output, control: control, board: board, handler: handler, report: report)
    }

    /// Plans, confirms (on a terminal, without `yes`), locks, journals and rolls the fleet to
    /// `version`: the whole of `deploy`, and of `rollback` once it knows which version.
    static func roll(
        _ workspace: Workspace, to version: String, strategy: Strategy, command: String, argument: String, yes: Bool,
        lockOptions: LockOptions, output: OutputOptions, control: DeployControl, board: FlightBoard, handler: StopSignals,
        report: String? = nil
    ) async throws {
        _ = try lockOptions.timeout()
        let reportFormat = try report.map { try Report.format(nil, file: $0) }
        let context = try workspace.context(events: board, control: control, version: version)
        try await Session.refuseIfBusy(workspace, lock: context.lock, options: lockOptions, argument: argument)
        if let warning = workspace.stateDescription.warning { Console.error("warning: \(warning)") }
        let engine = DeployEngine(context)
        let deployID = Identity.newDeployID()
        let request = workspace.request(version: version, strategy: strategy, deployID: deployID, command: command)

        if !yes {
            guard Console.stdinIsTerminal, output.format == .text else {
                throw CommandFailure(
                    "error: not on a terminal: pass --yes to \(command) without confirmation (see `deployer plan` first)",
                    code: .badInput)
            }
            let plan = try await engine.plan(request)
            Console.out(Reports.plan(plan, strategy: strategy))
            guard plan.blockers.isEmpty else { throw CommandFailure("", code: .failed) }
            if plan.isNoOp {
                Console.out("Nothing to deploy.")
                return
            }
            let verb = command == "rollback" ? "Roll back" : "Deploy"
            print("\n\(verb) \(plan.deployOrder.count) target(s) of \(workspace.environment.name) to \(version)? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                throw CommandFailure("Cancelled; nothing was changed.", code: .failed)
            }
        }

        try Session.refuseIfStopped(control)
        handler.onQuit {
            Session.auditBlocking(
                workspace, command: command, version: version,
                outcome: "interrupted: quit with \(board.outOfService.count) target(s) out of service", deployID: deployID)
        }
        let watch = Session.watch(workspace, holder: request.holder, control: control, deployID: deployID)
        let started = Mutex(false)
        let summary: DeploySummary
        do {
            summary = try await Session.withLockWait(lockOptions, workspace, argument: argument) {
                try await engine.deploy(
                    request, journal: try await workspace.store.journal(deployID, onDurable: Session.checkpoint()),
                    afterLock: {
                        try Session.refuseIfStopped(control)
                        try await Session.refuseUnfinished(workspace, argument: argument)
                        try await workspace.store.clearAbortRequest()
                        // `hooks.pre-deploy`: with the lock held and nothing touched yet; a failure stops here.
                        if let run = await Self.hook(.preDeploy, workspace, version: version, deployID: deployID, board: board),
                            !run.succeeded
                        {
                            await Session.audit(
                                workspace, command: command, version: version, outcome: "refused: \(run.description)", deployID: deployID)
                            throw CommandFailure("error: the pre-deploy hook failed (\(run.status)); nothing was changed", code: .failed)
                        }
                        // Written before anything changes, so that a deploy killed mid-run is in the log too.
                        try await Session.auditOrFail(workspace, command: command, version: version, outcome: "started", deployID: deployID)
                        started.withLock { $0 = true }
                    })
            }
        } catch {
            await Session.endWatch(watch, workspace, holder: request.holder)
            if started.withLock({ $0 }), let report, let reportFormat {
                await Self.writeReport(workspace, deployID: deployID, to: report, format: reportFormat)
            }
            if started.withLock({ $0 }) {
                await Session.audit(workspace, command: command, version: version, outcome: "failed: \(UserFacing.describe(error))", deployID: deployID)
                _ = await Self.hook(
                    .onFailure, workspace, version: version, deployID: deployID, board: board,
                    result: ("failed", ExitStatus.failed.rawValue), journal: true)
            }
            throw error
        }
        await Session.endWatch(watch, workspace, holder: request.holder)
        await Session.audit(workspace, command: command, version: version, outcome: summary.outcome.rawValue, deployID: deployID)
        if let report, let reportFormat, summary.outcome != .nothingToDo {
            await Self.writeReport(workspace, deployID: deployID, to: report, format: reportFormat)
        }
        await Self.endHook(summary, workspace, board: board)
        try Session.finish(summary, output: output)
    }

    /// `post-deploy` after a deploy that succeeded (exit 0 or 3), `on-failure` after one that did not:
    /// at the end of `deploy`, `rollback`, `resume` and `abort`, with how it ended.
    static func endHook(_ summary: DeploySummary, _ workspace: Workspace, board: any EventSink) async {
        let succeeded = [.succeeded, .completedWithFailures, .nothingToDo].contains(summary.outcome)
        _ = await hook(
            succeeded ? .postDeploy : .onFailure, workspace, version: summary.version, deployID: summary.deployID, board: board,
            result: (summary.outcome.rawValue, ExitStatus(summary.outcome).rawValue), journal: summary.outcome != .nothingToDo)
    }

    /// Writes the deploy's report from its journal; a report that cannot be written is a warning (the
    /// deploy's own outcome stands).
    static func writeReport(_ workspace: Workspace, deployID: String, to file: String, format: ReportRenderer.Format) async {
        do {
            guard let built = try await Report.report(workspace, deployID: deployID) else { return }
            try Report.write(ReportRenderer.render(built, as: format), to: file)
            Console.error("Report: \(file)")
        } catch {
            Console.error("warning: the report was not written: \(UserFacing.describe(error))")
        }
    }

    /// Runs a deploy-level hook with what happened in its variables (the result and exit code, once
    /// there is one); its output is shown, and, with `journal`, how it ended goes to the deploy's journal.
    static func hook(
        _ point: HookSpec.Point, _ workspace: Workspace, version: String, deployID: String, board: any EventSink,
        result: (outcome: String, exitCode: Int32)? = nil, journal: Bool = false
    ) async -> HookRun? {
        guard let hooks = workspace.hooks else { return nil }
        var variables = [
            "DEPLOYER_ENVIRONMENT": workspace.environment.name, "DEPLOYER_VERSION": version, "DEPLOYER_DEPLOY_ID": deployID,
            "DEPLOYER_USER": Identity.user,
        ]
        if let result {
            variables["DEPLOYER_RESULT"] = result.outcome
            variables["DEPLOYER_EXIT_CODE"] = String(result.exitCode)
        }
        let source = TargetID("hook \(point.rawValue)")
        guard let run = await hooks.run(point, variables: variables, onLine: { board.emit(.output(target: source, line: $0)) })
        else { return nil }
        if !run.succeeded { board.emit(.notice(Notice(.warning, run.description))) }
        if journal, let stored = try? await workspace.store.journal(deployID) {
            _ = try? await stored.append(
                JournalRecord(
                    at: Date(), kind: .hookRan, deployID: deployID, ok: run.succeeded,
                    message: run.description + (run.tail.isEmpty ? "" : "\n" + run.tail)))
        }
        return run
    }
}
