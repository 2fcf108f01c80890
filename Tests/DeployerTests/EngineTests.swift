import Deployer
import Foundation
import Manifests
import Providers
import Testing

@Suite struct EngineTests {
    @Test func rollsEveryTargetAndKeepsTheFloor() async throws {
        let rig = SimulatedRig(
            strategy: Strategy(batches: [.count(2)], maxUnavailable: .count(2), minInService: .count(4)),
            sessions: 3, sessionSeconds: 5)
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .succeeded)
        #expect(summary.targets.count == 6)
        #expect(summary.targets.allSatisfy { $0.outcome == .updated && $0.version == "v2" })
        #expect(await rig.world.violations == [])
        #expect(await rig.world.lowestInService == 4)
        let state = try await rig.world.snapshot()
        #expect(state.targets.allSatisfy { $0.version == "v2" && $0.members.values.allSatisfy { $0.state == .ready } })
        #expect(try await rig.lock.current() == nil)
    }

    @Test func planShowsBatchesAndSkipsCurrentTargets() async throws {
        var state = SimulatedFleetState(names: ["a", "b", "c", "d", "e"], version: "v1", pools: ["lb"])
        state.targets[1].version = "v2"
        let rig = SimulatedRig(
            count: 5, pools: ["lb"], strategy: Strategy(batches: [.count(1), .percent(50)], maxUnavailable: .count(2)),
            prepared: state)
        let plan = try await rig.engine.plan(rig.request())
        #expect(plan.batches == [["a"], ["c", "d"], ["e"]])
        #expect(plan.targets.first { $0.id == "b" }?.action == .skipCurrent)
        #expect(plan.limits.batchSizes == [1, 3])
        #expect(plan.steps == [.drain, .waitDrained, .update, .verify, .restore, .confirm])
        #expect(plan.notes.contains { $0.contains("batch 2 holds 2 instead of 3") })
    }

    @Test func failedTargetStaysOutAndStopsTheDeployPastTheBudget() async throws {
        let rig = SimulatedRig(
            strategy: Strategy(batches: [.count(1)], maxFailures: 0, minInService: .count(4)),
            faults: SimulatedFaults(failingTargets: ["web-02"]))
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .stopped)
        #expect(summary.targets.map(\.target) == ["web-01", "web-02"])
        #expect(summary.failed.map(\.target) == ["web-02"])
        let state = try await rig.world.snapshot()
        let failed = state.targets[1]
        #expect(failed.members.values.allSatisfy { $0.state == .maint })
        #expect(state.targets[2].version == "v1")
        #expect(summary.nextSteps.contains { $0.contains("deployer restore sim web-02") })
    }

    @Test func operatorDrainedTargetIsDeployedFirstAndStaysDrained() async throws {
        var state = SimulatedFleetState(names: ["a", "b", "c"], version: "v1", pools: ["lb"])
        state.targets[2].members["lb"]?.state = .maint
        let rig = SimulatedRig(
            count: 3, pools: ["lb"], strategy: Strategy(batches: [.count(1)], maxUnavailable: .count(2), minInService: .count(1)),
            prepared: state)
        let plan = try await rig.engine.plan(rig.request())
        #expect(plan.batches.first == ["c"])
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .succeeded)
        let after = try await rig.world.snapshot()
        #expect(after.targets.map(\.version) == ["v2", "v2", "v2"])
        #expect(after.targets[2].members["lb"]?.state == .maint)
    }

    @Test func drainTimeoutWithFailPolicyPutsTheTargetBackUntouched() async throws {
        let rig = SimulatedRig(
            count: 3, pools: ["lb"],
            strategy: Strategy(batches: [.count(1)], maxFailures: 5, drainTimeout: .seconds(10)),
            sessions: 10, sessionSeconds: 600)
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .completedWithFailures)
        #expect(summary.targets.allSatisfy { $0.outcome == .failed && $0.restored })
        let after = try await rig.world.snapshot()
        #expect(after.targets.allSatisfy { $0.version == "v1" && $0.members["lb"]?.state == .ready })
    }

    @Test func secondDeployIsRefusedWithTheHolder() async throws {
        let rig = SimulatedRig(strategy: Strategy())
        let other = LockInfo(user: "alice", host: "ops-1", pid: 42, since: Date(), deployID: "x", command: "deploy")
        _ = try await rig.lock.acquire(other)
        await #expect(throws: LockHeld.self) { try await rig.engine.deploy(rig.request(), journal: rig.journal) }
        #expect(try await rig.world.snapshot().targets.allSatisfy { $0.version == "v1" })
    }
}

/// Ctrl-C, SIGTERM or SIGHUP reach the engine as an interrupt request: a target that has not begun its
/// update goes back where it was and counts as not started; one whose update has begun is finished.
@Suite struct InterruptTests {
    /// Requests an interrupt when it sees `target` start `step`.
    struct InterruptAt: EventSink {
        let control: DeployControl
        let target: TargetID
        let step: Step
        func emit(_ event: DeployEvent) {
            if case .stepStarted(target, step, _) = event { control.requestInterrupt() }
        }
    }

    static let strategy = Strategy(batches: [.count(1)], maxUnavailable: .count(1), minInService: .count(4))

    @Test func aTargetInterruptedWhileDrainingIsPutBackAndLeftForResume() async throws {
        let rig = SimulatedRig(
            strategy: Self.strategy, sessions: 3, sessionSeconds: 5,
            events: { InterruptAt(control: $0, target: "web-02", step: .waitDrained) })
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .interrupted)
        #expect(summary.targets.map(\.outcome) == [.updated, .interrupted])
        #expect(summary.targets[1].restored && summary.targets[1].version == "v1")
        let state = try await rig.world.snapshot()
        #expect(state.targets.allSatisfy { $0.members.values.allSatisfy { $0.state == .ready } }, "every target back in service")
        #expect(state.targets[1].version == "v1")
        let replay = try #require(JournalReplay(try await rig.journal.records()))
        #expect(!replay.isFinished)
        #expect(replay.inFlight.isEmpty, "nothing is half done")
        #expect(replay.notStarted == ["web-02", "web-03", "web-04", "web-05", "web-06"])
        #expect(summary.nextSteps.contains { $0.contains("5 target(s) not deployed yet") && $0.contains("deployer resume sim") })
    }

    @Test func aTargetInterruptedDuringItsUpdateIsFinishedVerifiedAndRestored() async throws {
        let rig = SimulatedRig(
            strategy: Self.strategy, faults: SimulatedFaults(updateDuration: .seconds(30)),
            events: { InterruptAt(control: $0, target: "web-01", step: .update) })
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .interrupted)
        #expect(summary.targets.map(\.outcome) == [.updated])
        let state = try await rig.world.snapshot()
        #expect(state.targets[0].version == "v2")
        #expect(state.targets.allSatisfy { $0.members.values.allSatisfy { $0.state == .ready } })
        let replay = try #require(JournalReplay(try await rig.journal.records()))
        #expect(replay.finished["web-01"]?.outcome == .updated && replay.inFlight.isEmpty)
        #expect(replay.notStarted.count == 5)
        // Resume (a new process: no interrupt asked) carries on with the rest.
        let fresh = DeployEngine(
            DeployContext(
                fleet: rig.world, traffic: rig.world, health: rig.world, lock: rig.lock, clock: rig.clock,
                pollInterval: .seconds(1)))
        let resumed = try await fresh.resume(rig.request(), journal: rig.journal)
        #expect(resumed.outcome == .succeeded && resumed.targets.count == 5)
    }
}
