import Deployer
import Foundation
import Manifests
import Providers
import Testing

/// Seeded deploys of small simulated fleets with faults, checked against invariants that must hold
/// whatever the draw. A failure prints the seed and the scenario; `replaysPinnedSeeds` replays one.
@Suite struct RandomizedDeployTests {
    /// Runs that must reach the engine (draws whose plan has blockers do not count).
    static let runs = 2_000

    /// Seeds that once broke an invariant, kept as regressions: 40 (failures of the last batch not
    /// counted against the budget), 147 (a rollback ending `succeeded`), 10 (a rolled-back target left
    /// in maint, reported restored), 897 (a drain timeout reported restored while left draining).
    static let pinned: [UInt64] = [10, 40, 147, 897]

    @Test func invariantsHoldOverSeededRuns() async throws {
        var executed = 0
        var blocked = 0
        var seed: UInt64 = 1
        while executed < Self.runs {
            let outcome = try await Self.run(seed: seed)
            if outcome.blocked { blocked += 1 } else { executed += 1 }
            seed += 1
        }
        // The draws are meant to exercise the engine; a generator that mostly produces refused plans
        // would prove little.
        #expect(blocked < executed, "\(blocked) of \(executed + blocked) draws were refused")
    }

    @Test(arguments: pinned) func replaysPinnedSeeds(seed: UInt64) async throws {
        _ = try await Self.run(seed: seed)
    }

    /// One run; records an issue naming the seed for every invariant it breaks.
    static func run(seed: UInt64) async throws -> (blocked: Bool, problems: [String]) {
        let scenario = RandomizedScenario(seed: seed)
        let start = scenario.fleet
        let fleetSize = start.targets.count
        let floor = scenario.strategy.minInService.resolve(of: fleetSize, rounding: .down)
        let capacity = scenario.startingCapacity
        // The deploy must not push capacity below the floor, nor below what was already in service
        // when an operator had left the fleet under it.
        let monitoredFloor = min(floor, capacity.fleet)
        let clock = VirtualClock()
        let world = SimulatedWorld(state: start, clock: clock, faults: scenario.faults, floor: monitoredFloor)
        let lock = InMemoryDeployLock()
        let journal = InMemoryJournal()
        let engine = DeployEngine(
            DeployContext(
                fleet: world, traffic: world, health: world, lock: lock, clock: clock, pollInterval: .seconds(1)))
        let request = DeployRequest(
            environment: "sim", version: RandomizedScenario.newVersion, strategy: scenario.strategy,
            hasPrepare: scenario.hasPrepare, deployID: "d\(seed)",
            holder: LockInfo(
                user: "test", host: "here", pid: 1, since: Date(timeIntervalSince1970: 0), deployID: "d\(seed)",
                command: "deploy"))

        var problems: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { problems.append(message()) }
        }
        defer {
            if !problems.isEmpty {
                Issue.record(
                    Comment(
                        rawValue: "\(scenario)\n  " + problems.joined(separator: "\n  ")
                            + "\n  replay: add \(seed) to RandomizedDeployTests.pinned"))
            }
        }

        let plan = try await engine.plan(request)
        check(
            plan.blockers.isEmpty == !Self.capacityForbidsProgress(scenario, floor: floor, capacity: capacity),
            "blockers \(plan.blockers) disagree with the capacity (floor \(floor), \(capacity.fleet) in service)")
        if !plan.blockers.isEmpty {
            do {
                _ = try await engine.deploy(request, journal: journal)
                check(false, "a plan with blockers was deployed")
            } catch is DeployerError {}
            check(try await world.snapshot() == start, "a refused deploy changed the fleet")
            check(try await lock.current() == nil, "a refused deploy kept the lock")
            return (true, problems)
        }

        let summary = try await engine.deploy(request, journal: journal)
        if plan.isNoOp {
            check(summary.outcome == .nothingToDo, "nothing to deploy, yet the deploy ended \(summary.outcome)")
            check(try await world.snapshot() == start, "a deploy with nothing to do changed the fleet")
            check(try await lock.current() == nil, "a deploy with nothing to do kept the lock")
            return (false, problems)
        }
        let end = try await world.snapshot()
        let records = try await journal.records()
        let violations = await world.violations

        // (a) Capacity never fell below the floor because of the deploy.
        check(violations.isEmpty, "capacity fell below \(monitoredFloor): \(violations.prefix(3))")

        // (b) Every planned target ended somewhere the summary accounts for, and the world agrees.
        let results = Dictionary(summary.targets.map { ($0.target, $0) }, uniquingKeysWith: { _, last in last })
        let planned = Set(plan.deployOrder)
        for (before, after) in zip(start.targets, end.targets) {
            let id = before.id
            let states = { (target: SimulatedTarget) in target.members.mapValues(\.state) }
            guard planned.contains(id) else {
                check(after == before, "\(id) was not planned but was touched")
                continue
            }
            guard let result = results[id] else {
                check(summary.outcome == .stopped, "\(id) was never started, yet the deploy ended \(summary.outcome)")
                check(
                    after.version == before.version && after.healthy == before.healthy && states(after) == states(before),
                    "\(id) was not started but was touched")
                continue
            }
            check(after.version == result.version, "\(id): summary says \(result.version ?? "nil"), world has \(after.version)")
            switch result.outcome {
            case .updated:
                check(
                    after.version == RandomizedScenario.newVersion && after.healthy && states(after) == states(before),
                    "\(id) reported updated but is \(after.version), healthy \(after.healthy), pools \(states(after))")
            case .failed:
                if result.restored {
                    check(
                        states(after) == states(before),
                        "\(id) failed and reported restored, but its pools are \(states(after)), were \(states(before))")
                }
            case .rolledBack:
                check(after.version == before.version, "\(id) reported rolled back but runs \(after.version)")
                if result.restored {
                    check(
                        states(after) == states(before),
                        "\(id) rolled back and reported restored, but its pools are \(states(after)), were \(states(before))")
                }
            case .aborted, .interrupted:
                check(false, "\(id) ended \(result.outcome) although nothing stopped the deploy")
            }
        }

        // (c) The journal tells the same story as the world, and nothing is left in flight.
        if let replay = JournalReplay(records) {
            check(replay.isFinished, "the journal does not record the end of the deploy")
            check(replay.inFlight.isEmpty, "left in flight: \(replay.inFlight.keys.sorted())")
            check(replay.outcome == summary.outcome.rawValue, "journal outcome \(replay.outcome ?? "nil") vs \(summary.outcome)")
            for (id, finished) in replay.finished {
                let version = end.targets.first { $0.id == id }?.version
                check(finished.version == version, "journal ends \(id) on \(finished.version ?? "nil"), world has \(version ?? "nil")")
                check(finished.outcome == results[id]?.outcome, "journal ends \(id) \(finished.outcome), summary \(results[id]?.outcome as Any)")
            }
        } else {
            check(false, "the journal does not start with deploy-started")
        }

        // (d) The lock is released.
        check(try await lock.current() == nil, "the lock is still held")

        // (e) The outcome follows from failures against the budget and from what was deployed.
        let failures = Self.failuresCounted(records)
        let allStarted = planned.allSatisfy { results[$0] != nil }
        let expected: DeploySummary.Outcome
        if failures > scenario.strategy.maxFailures || !allStarted {
            expected = .stopped
        } else if failures == 0 && summary.failed.isEmpty {
            expected = .succeeded
        } else {
            expected = .completedWithFailures
        }
        check(
            summary.outcome == expected,
            "outcome \(summary.outcome), expected \(expected): \(failures) failure(s), max-failures "
                + "\(scenario.strategy.maxFailures), all started \(allStarted)")
        return (false, problems)
    }

    /// Targets whose first end in the journal was a failure: what the failure budget is spent on (a
    /// later rollback of the same target does not refund it).
    static func failuresCounted(_ records: [JournalRecord]) -> Int {
        var first: [TargetID: String] = [:]
        for record in records where record.kind == .targetFinished {
            guard let target = record.target, first[target] == nil else { continue }
            first[target] = record.outcome
        }
        return first.values.filter { $0 == TargetResult.Outcome.failed.rawValue }.count
    }

    /// Whether the strategy cannot be run on this fleet: a batch larger than the floor leaves room for,
    /// or targets in service that must be deployed while no target may be taken out.
    static func capacityForbidsProgress(
        _ scenario: RandomizedScenario, floor: Int, capacity: (fleet: Int, perPool: [PoolID: Int])
    ) -> Bool {
        let fleet = scenario.fleet
        let size = fleet.targets.count
        let strategy = scenario.strategy
        let batches = strategy.batches.map { max(1, $0.resolve(of: size, rounding: .upAtLeastOne)) }
        if (batches.max() ?? 1) > size - floor { return true }
        let maxUnavailable = strategy.maxUnavailable?.resolve(of: size, rounding: .upAtLeastOne) ?? (batches.max() ?? 1)
        var room = min(maxUnavailable - (size - capacity.fleet), capacity.fleet - floor)
        for pool in fleet.pools {
            let serving = capacity.perPool[pool] ?? 0
            room = min(room, maxUnavailable - (size - serving), serving - floor)
        }
        let inServiceToDeploy = fleet.targets.contains { target in
            target.version != RandomizedScenario.newVersion && target.healthy && !target.updating
                && fleet.pools.allSatisfy { target.members[$0.rawValue]?.state == .ready }
        }
        return inServiceToDeploy && room <= 0
    }
}
