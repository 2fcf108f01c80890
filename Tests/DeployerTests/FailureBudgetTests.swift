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
}
