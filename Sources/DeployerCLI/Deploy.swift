import ArgumentParser
import Deployer
import Foundation
import Manifests

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
            """)

    @OptionGroup var target: EnvironmentOptions
    @OptionGroup var deployOptions: DeployOptions
    @OptionGroup var lockOptions: LockOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .shortAndLong, help: "Do not ask for confirmation (required when not on a terminal).")
    var yes = false

    func run() async throws {
        let workspace = try Workspace.load(target)
        let version = try deployOptions.version(for: workspace)
        let strategy = try deployOptions.strategy(for: workspace)
        if let unfinished = try workspace.unfinishedJournal() {
            throw CommandFailure(
                "error: deploy \(unfinished.replay.deployID) of \(unfinished.replay.version) did not finish.\n"
                    + "Run `deployer resume \(target.environment)` to carry on, or `deployer abort \(target.environment)` to put everything back.",
                code: .interrupted)
        }
        let control = DeployControl(externalAbort: { FileManager.default.fileExists(atPath: workspace.abortMarker) })
        try? FileManager.default.removeItem(atPath: workspace.abortMarker)
        let events = Renderers.make(output)
        let context = try workspace.context(events: events, control: control, version: version)
        let engine = DeployEngine(context)
        let deployID = Identity.newDeployID()
        let request = workspace.request(version: version, strategy: strategy, deployID: deployID, command: "deploy")

        if !yes {
            guard Console.stdinIsTerminal, output.output == .text else {
                throw CommandFailure(
                    "error: not on a terminal: pass --yes to deploy without confirmation (see `deployer plan` first)",
                    code: .badInput)
            }
            let plan = try await engine.plan(request)
            Console.out(Reports.plan(plan, strategy: strategy))
            guard plan.blockers.isEmpty else { throw CommandFailure("", code: .failed) }
            if plan.isNoOp {
                Console.out("Nothing to deploy.")
                return
            }
            print("\nDeploy \(version) to \(plan.deployOrder.count) target(s) of \(workspace.environment.name)? [y/N] ", terminator: "")
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                throw CommandFailure("Cancelled; nothing was changed.", code: .failed)
            }
        }

        let handler = Session.installInterruptHandler(control)
        defer { handler.cancel() }
        let summary = try await Session.withLockWait(lockOptions) {
            try await engine.deploy(request, journal: try workspace.newJournal(deployID: deployID, onDurable: Session.checkpoint()))
        }
        Session.audit(workspace, command: "deploy", version: version, outcome: summary.outcome.rawValue, deployID: deployID)
        try Session.finish(summary, output: output)
    }
}
