import Deployer
import Foundation
import Manifests
import Providers
import Testing

@Suite struct FailureBudgetTests {
    /// The budget is checked before every batch; a failure in the last batch must be counted too.
    @Test func failurePastTheBudgetInTheLastBatchStopsTheDeploy() async throws {
        let rig = SimulatedRig(
            count: 3, pools: ["lb"], strategy: Strategy(batches: [.count(1)], maxFailures: 0),
            faults: SimulatedFaults(failingTargets: ["web-03"]))
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.failed.map(\.target) == ["web-03"])
        #expect(summary.outcome == .stopped)
        #expect(JournalReplay(try await rig.journal.records())?.outcome == "stopped")
    }

    /// Rolling a batch back does not refund the failures that triggered it.
    @Test func rollbackOfTheLastBatchStillStopsTheDeploy() async throws {
        let rig = SimulatedRig(
            count: 2, pools: ["lb"],
            strategy: Strategy(
                batches: [.count(2)], maxUnavailable: .count(2), maxFailures: 0, minInService: .count(0),
                onFailure: .rollbackBatch),
            faults: SimulatedFaults(failingTargets: ["web-02"]))
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.targets.first { $0.target == "web-01" }?.outcome == .rolledBack)
        #expect(summary.outcome == .stopped)
        let after = try await rig.world.snapshot()
        #expect(after.targets[0].version == "v1" && after.targets[0].members["lb"]?.state == .ready)
    }

    /// `on-failure: rollback`: a deploy that stops is undone, every target it updated put back on its
    /// previous version, one at a time within the floor; the failed one (its rollback fails too)
    /// stays out, reported.
    @Test func onFailureRollbackUndoesTheWholeDeploy() async throws {
        let rig = SimulatedRig(
            strategy: Strategy(
                batches: [.count(1)], maxUnavailable: .count(2), maxFailures: 0, minInService: .count(4), onFailure: .rollback),
            faults: SimulatedFaults(failingTargets: ["web-04"]))
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .stopped)
        #expect(summary.targets.map(\.outcome) == [.rolledBack, .rolledBack, .rolledBack, .failed])
        let after = try await rig.world.snapshot()
        #expect(after.targets.allSatisfy { $0.version == "v1" })
        #expect(after.targets.filter { $0.id != "web-04" }.allSatisfy { $0.members.values.allSatisfy { $0.state == .ready } })
        #expect(try await rig.journal.records().contains { $0.kind == .deployRollingBack })
        #expect(await rig.world.violations == [])
    }

    /// The floor holds while a deploy is undone: with max-unavailable 1 and the failed target out,
    /// no other can be taken out again, so they stay on the new version, reported.
    @Test func onFailureRollbackNeverBreaksTheFloor() async throws {
        let rig = SimulatedRig(
            strategy: Strategy(batches: [.count(1)], maxFailures: 0, minInService: .count(4), onFailure: .rollback),
            faults: SimulatedFaults(failingTargets: ["web-04"]))
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .stopped)
        #expect(await rig.world.violations == [])
        let kept = summary.targets.filter { $0.outcome == .updated }
        #expect(kept.count == 3 && kept.allSatisfy { $0.message?.contains("would break min-in-service or max-unavailable") == true })
    }

    /// A deploy stopped while it was being undone has its undoing finished by `resume`.
    @Test func anInterruptedRollbackOfTheWholeDeployIsFinishedByResume() async throws {
        let rig = SimulatedRig(
            strategy: Strategy(
                batches: [.count(1)], maxUnavailable: .count(2), maxFailures: 0, minInService: .count(4), onFailure: .rollback),
            faults: SimulatedFaults(failingTargets: ["web-04"]),
            events: { InterruptOnNotice(control: $0, containing: "rolling back the 3 target(s)") })
        let first = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(first.outcome == .interrupted, "\(first.targets.map { "\($0.target) \($0.outcome) \($0.message ?? "")" })")
        let engine = DeployEngine(
            DeployContext(
                fleet: rig.world, traffic: rig.world, health: rig.world, lock: rig.lock, clock: rig.clock, pollInterval: .seconds(1),
                metrics: rig.world))
        let summary = try await engine.resume(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .stopped)
        let after = try await rig.world.snapshot()
        #expect(after.targets.allSatisfy { $0.version == "v1" }, "\(after.targets.map(\.version))")
        #expect(try await rig.lock.current() == nil)
    }
}

/// Interrupts the deploy at the first notice containing `text`.
private struct InterruptOnNotice: EventSink {
    let control: DeployControl
    let containing: String
    func emit(_ event: DeployEvent) {
        if case .notice(let notice) = event, notice.message.contains(containing) { control.requestInterrupt() }
    }
}
