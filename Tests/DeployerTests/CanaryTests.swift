import Deployer
import Foundation
import Manifests
import Providers
import Synchronization
import Testing

/// The canary stage on the simulated fleet with the virtual clock: every target in a pool serves 20
/// requests a second, a share of them 5xx as its version says.
@Suite struct CanaryTests {
    /// Keeps the canary's events; interrupts `control` at the first event `interruptWhen` picks.
    final class Recorder: EventSink {
        private let events = Mutex<[DeployEvent]>([])
        let control = Mutex<DeployControl?>(nil)
        let interruptWhen: @Sendable (DeployEvent, [DeployEvent]) -> Bool
        init(interruptWhen: @escaping @Sendable (DeployEvent, [DeployEvent]) -> Bool = { _, _ in false }) {
            self.interruptWhen = interruptWhen
        }
        func emit(_ event: DeployEvent) {
            let seen = events.withLock {
                $0.append(event)
                return $0
            }
            if interruptWhen(event, seen) { control.withLock { $0?.requestInterrupt() } }
        }
        var samples: [CanarySample] {
            events.withLock { $0 }.compactMap { if case .canarySample(let sample) = $0 { sample } else { nil } }
        }
        var verdicts: [CanaryVerdict] {
            events.withLock { $0 }.compactMap { if case .canaryFinished(let verdict) = $0 { verdict } else { nil } }
        }
    }

    static func strategy(_ canary: CanarySpec) -> Strategy {
        var strategy = Strategy(batches: [.count(2)], maxUnavailable: .count(2), minInService: .count(4))
        strategy.canary = canary
        return strategy
    }

    static let spec = CanarySpec(targets: .count(1), bake: .seconds(60), interval: .seconds(10), minRequests: 300)

    func makeRig(_ canary: CanarySpec = spec, faults: SimulatedFaults = SimulatedFaults(), recorder: Recorder) -> SimulatedRig {
        SimulatedRig(strategy: Self.strategy(canary), faults: faults, events: { _ in recorder })
    }

    @Test func aGoodVersionPassesItsCanaryAndTheDeployCarriesOn() async throws {
        let recorder = Recorder()
        let rig = makeRig(recorder: recorder)
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .succeeded)
        #expect(summary.targets.allSatisfy { $0.outcome == .updated && $0.version == "v2" })
        #expect(recorder.samples.map(\.verdict) == [.notEnoughRequests] + Array(repeating: .healthy, count: 5))
        #expect(recorder.samples.map { Int($0.elapsed) } == [10, 20, 30, 40, 50, 60])
        let last = try #require(recorder.samples.last)
        #expect(last.canary.requests == 1200 && last.canary.errors == 0, "20 requests a second for 60 s")
        #expect(last.baseline.requests == 5 * 1200, "the five targets not yet deployed, over the same window")
        #expect(recorder.verdicts.map(\.passed) == [true])
        #expect(try await rig.journal.records().contains { $0.kind == .canaryFinished && $0.ok == true })
    }

    @Test func aFaultyVersionFailsAtTheFirstSampleWithEnoughRequestsAndIsRolledBack() async throws {
        let recorder = Recorder()
        let rig = makeRig(recorder: recorder)
        let summary = try await rig.engine.deploy(rig.request("v2-faulty"), journal: rig.journal)
        #expect(summary.outcome == .canaryFailed)
        // 200 requests at 10 s (fewer than 300: no verdict), 400 at 20 s: 20% errors.
        #expect(recorder.samples.map(\.verdict) == [.notEnoughRequests, .failing])
        #expect(recorder.samples.last?.canary == TrafficWindow(requests: 400, errors: 80, responseMilliseconds: 20))
        let verdict = try #require(recorder.verdicts.first)
        #expect(!verdict.passed && verdict.reason.contains("error rate 20.0% (80 of 400)"), "\(verdict.reason)")
        #expect(summary.targets.map(\.outcome) == [.rolledBack])
        let state = try await rig.world.snapshot()
        #expect(state.targets.allSatisfy { $0.version == "v1" && $0.members.values.allSatisfy { $0.state == .ready } })
        #expect(await rig.world.violations == [])
        #expect(try await rig.lock.current() == nil)
        #expect(summary.nextSteps.contains { $0.contains("5 target(s) were not touched") })
    }

    @Test func aBorderlineVersionDoesNotFlap() async throws {
        // Exactly at the threshold: never above it, so every sample says the same.
        let recorder = Recorder()
        var faults = SimulatedFaults()
        faults.versionErrorRates = ["v2": 0.01]
        let rig = makeRig(faults: faults, recorder: recorder)
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .succeeded)
        #expect(recorder.samples.dropFirst().allSatisfy { $0.verdict == .healthy && $0.canary.errorRate == 0.01 })

        // Just above it: fails at the first sample with enough requests, and the bake stops there.
        let above = Recorder()
        faults.versionErrorRates = ["v2": 0.015]
        let rigAbove = makeRig(faults: faults, recorder: above)
        let failed = try await rigAbove.engine.deploy(rigAbove.request(), journal: rigAbove.journal)
        #expect(failed.outcome == .canaryFailed)
        #expect(above.samples.map(\.verdict) == [.notEnoughRequests, .failing])
    }

    @Test func aBaselineThatDegradesAsWellDoesNotFailTheCanary() async throws {
        let recorder = Recorder()
        var faults = SimulatedFaults()
        faults.versionErrorRates = ["v1": 0.05, "v2": 0.05]
        let rig = makeRig(faults: faults, recorder: recorder)
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .succeeded, "5% errors everywhere is not the canary's fault")
        #expect(recorder.samples.last?.baseline.errorRate == 0.05)
    }

    @Test func aSlowVersionFailsOnItsResponseTime() async throws {
        let recorder = Recorder()
        let rig = makeRig(recorder: recorder)
        let summary = try await rig.engine.deploy(rig.request("v2-slow"), journal: rig.journal)
        #expect(summary.outcome == .canaryFailed)
        #expect(recorder.verdicts.first?.reason.contains("response time 80 ms is more than 2 × the baseline's 20 ms") == true)
    }

    @Test(arguments: [CanarySpec.NoVerdict.fail, .pass, .wait])
    func tooLittleTrafficGivesNoVerdictAndTheConfiguredChoice(_ choice: CanarySpec.NoVerdict) async throws {
        let recorder = Recorder()
        var faults = SimulatedFaults()
        faults.requestsPerSecond = 1
        var spec = Self.spec
        spec.noVerdict = choice
        spec.maxBake = .seconds(120)
        let rig = makeRig(spec, faults: faults, recorder: recorder)
        let summary = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(recorder.samples.allSatisfy { $0.verdict == .notEnoughRequests })
        switch choice {
        case .fail:
            #expect(summary.outcome == .canaryFailed && recorder.samples.count == 6)
            #expect(recorder.verdicts.first?.reason.contains("no verdict: 60 of the 300 canary requests") == true)
        case .pass:
            #expect(summary.outcome == .succeeded && recorder.samples.count == 6)
        case .wait:
            #expect(summary.outcome == .canaryFailed && recorder.samples.count == 12, "sampled up to max-bake")
        }
    }

    @Test func aDeployInterruptedWhileBakingIsJudgedAgainOnResume() async throws {
        let recorder = Recorder { event, seen in
            guard case .canarySample = event else { return false }
            return seen.filter { if case .canarySample = $0 { true } else { false } }.count == 2
        }
        let rig = makeRig(recorder: recorder)
        recorder.control.withLock { $0 = rig.control }
        let first = try await rig.engine.deploy(rig.request(), journal: rig.journal)
        #expect(first.outcome == .interrupted)
        let resumed = Recorder()
        let engine = DeployEngine(
            DeployContext(
                fleet: rig.world, traffic: rig.world, health: rig.world, lock: rig.lock, clock: rig.clock, events: resumed,
                pollInterval: .seconds(1), metrics: rig.world))
        let summary = try await engine.resume(rig.request(), journal: rig.journal)
        #expect(summary.outcome == .succeeded)
        #expect(resumed.samples.count == 6, "a fresh bake, from the start")
        let state = try await rig.world.snapshot()
        #expect(state.targets.allSatisfy { $0.version == "v2" })
    }

    @Test func aRollbackInterruptedMidwayIsFinishedByResume() async throws {
        let recorder = Recorder { event, seen in
            guard case .notice = event else { return false }
            return seen.contains { if case .canaryFinished = $0 { true } else { false } }
        }
        let rig = makeRig(recorder: recorder)
        recorder.control.withLock { $0 = rig.control }
        let first = try await rig.engine.deploy(rig.request("v2-faulty"), journal: rig.journal)
        #expect(first.outcome == .interrupted)
        #expect(try await rig.world.snapshot().targets[0].version == "v2-faulty", "stopped before its rollback began")
        let engine = DeployEngine(
            DeployContext(
                fleet: rig.world, traffic: rig.world, health: rig.world, lock: rig.lock, clock: rig.clock, events: Recorder(),
                pollInterval: .seconds(1), metrics: rig.world))
        let summary = try await engine.resume(rig.request("v2-faulty"), journal: rig.journal)
        #expect(summary.outcome == .canaryFailed)
        let state = try await rig.world.snapshot()
        #expect(state.targets.allSatisfy { $0.version == "v1" && $0.members.values.allSatisfy { $0.state == .ready } })
        #expect(try await rig.lock.current() == nil)
    }
}

/// A fleet that cannot tell which version its targets run (a host deployer never deployed).
private struct VersionlessFleet: Fleet {
    let world: SimulatedWorld
    func targets() async throws -> [TargetSnapshot] {
        try await world.targets().map {
            var target = $0
            target.version = nil
            return target
        }
    }
    func prepare(_ target: TargetID, version: String) async throws { try await world.prepare(target, version: version) }
    func update(_ target: TargetID, to version: String) async throws { try await world.update(target, to: version) }
}

@Suite struct CanaryUnknownVersionTests {
    @Test func aFailedCanaryWhosePreviousVersionIsUnknownIsTakenOutOfService() async throws {
        var strategy = Strategy(batches: [.count(2)], maxUnavailable: .count(2), minInService: .count(4))
        strategy.canary = CanaryTests.spec
        let rig = SimulatedRig(strategy: strategy)
        let engine = DeployEngine(
            DeployContext(
                fleet: VersionlessFleet(world: rig.world), traffic: rig.world, health: rig.world, lock: rig.lock, clock: rig.clock,
                pollInterval: .seconds(1), metrics: rig.world))
        let summary = try await engine.deploy(rig.request("v2-faulty"), journal: rig.journal)
        #expect(summary.outcome == .canaryFailed)
        let canary = try #require(summary.targets.first)
        #expect(canary.outcome == .failed && !canary.restored)
        #expect(canary.message?.contains("cannot be rolled back: taken out of service instead") == true, "\(canary.message ?? "")")
        let state = try await rig.world.snapshot()
        #expect(state.targets[0].members.values.allSatisfy { $0.state == .maint }, "the faulty version serves no one")
        #expect(state.targets.dropFirst().allSatisfy { $0.version == "v1" && $0.members.values.allSatisfy { $0.state == .ready } })
        #expect(summary.nextSteps.contains { $0.contains("deployer restore sim web-01") })
    }
}

@Suite struct CanaryAbortTests {
    /// An abort of a deploy stopped in the middle of its canary's rollback finishes the rollback: a
    /// faulty version is never left in service.
    @Test func abortingAfterAFailedVerdictFinishesTheRollback() async throws {
        let recorder = CanaryTests.Recorder { event, seen in
            guard case .notice = event else { return false }
            return seen.contains { if case .canaryFinished = $0 { true } else { false } }
        }
        var strategy = Strategy(batches: [.count(2)], maxUnavailable: .count(2), minInService: .count(4))
        strategy.canary = CanaryTests.spec
        let rig = SimulatedRig(strategy: strategy, events: { _ in recorder })
        recorder.control.withLock { $0 = rig.control }
        let first = try await rig.engine.deploy(rig.request("v2-faulty"), journal: rig.journal)
        #expect(first.outcome == .interrupted)
        let engine = DeployEngine(
            DeployContext(
                fleet: rig.world, traffic: rig.world, health: rig.world, lock: rig.lock, clock: rig.clock, pollInterval: .seconds(1),
                metrics: rig.world))
        let summary = try await engine.abort(rig.request("v2-faulty"), journal: rig.journal)
        #expect(summary.outcome == .canaryFailed)
        let state = try await rig.world.snapshot()
        #expect(state.targets.allSatisfy { $0.version == "v1" && $0.members.values.allSatisfy { $0.state == .ready } })
        #expect(try await rig.lock.current() == nil)
    }
}
