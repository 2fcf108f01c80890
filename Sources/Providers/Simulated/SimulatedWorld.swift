public import Deployer
import Foundation
import Manifests

/// An in-memory fleet behind simulated load balancers: the fleet, traffic controller and health probe
/// of a simulated environment. With a store, its state lives in a file that every deployer process of
/// the environment shares (a `status` in another terminal, a `resume` after kill -9).
///
/// It also watches itself: after every change it counts the targets in service, in the fleet and in
/// every pool, and records each moment that count is below `floor`.
public actor SimulatedWorld: Fleet, TrafficController, HealthProbe, TrafficMetrics {
    public nonisolated let pools: [PoolID]
    public nonisolated var timing: HealthTiming { .beforeRestore }
    private let clock: any DeployClock
    private let store: SimulatedStore?
    private let faults: SimulatedFaults
    private let floor: Int?
    private var memory: SimulatedFleetState
    private var attempts: [String: Int] = [:]
    /// What each target has served so far (`counters`), and when that was last brought up to date.
    private var served: [TargetID: (counters: (responses: Double, errors: Double), at: Date)] = [:]
    /// Position of every target in `targets` (the fleet's membership never changes).
    private let positions: [TargetID: Int]
    /// Every moment capacity fell below the floor: "12:00:03 lb-1: 1 in service, floor 2".
    public private(set) var violations: [String] = []
    /// The fewest targets in service seen in the fleet (and in every pool) after any change.
    public private(set) var lowestInService: Int

    public init(
        state: SimulatedFleetState, clock: any DeployClock, faults: SimulatedFaults = SimulatedFaults(),
        floor: Int? = nil, store: SimulatedStore? = nil
    ) {
        self.pools = state.pools
        self.clock = clock
        self.faults = faults
        self.floor = floor
        self.store = store
        self.memory = state
        self.lowestInService = state.targets.count
        self.positions = Dictionary(
            state.targets.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    /// The current state (read from the store when there is one).
    public func snapshot() throws -> SimulatedFleetState {
        // In memory, `update` settles what it started; a stored fleet may hold updates started by a
        // process that is gone, which finish on their own when their time is up.
        guard let store, var state = try store.read() else { return memory }
        let now = clock.now()
        state.targets = state.targets.map { $0.settled(at: now) }
        return state
    }

    // MARK: Traffic

    /// Steady traffic: every target ready in at least one pool serves `requestsPerSecond`, a share
    /// of them 5xx as its version says (`SimulatedFaults.errorRate`), on the deploy's clock.
    public func counters(_ targets: [TargetID]) async throws -> [TargetID: TrafficCounters] {
        let state = try snapshot()
        let now = clock.now()
        var result: [TargetID: TrafficCounters] = [:]
        for target in state.targets {
            var entry = served[target.id] ?? ((0, 0), now)
            let seconds = max(0, now.timeIntervalSince(entry.at))
            let ready = target.members.values.contains { $0.state == .ready } || target.members.isEmpty
            if ready, target.pending == nil {
                let requests = faults.requestsPerSecond * seconds
                entry.counters.responses += requests
                entry.counters.errors += requests * faults.errorRate(of: target.version)
            }
            entry.at = now
            served[target.id] = entry
            if targets.contains(target.id) {
                result[target.id] = TrafficCounters(
                    responses: Int(entry.counters.responses), serverErrors: Int(entry.counters.errors), failures: 0,
                    responseMilliseconds: faults.responseTime(of: target.version))
            }
        }
        return result
    }

    // MARK: Fleet

    public func targets() async throws -> [TargetSnapshot] {
        try snapshot().targets.map {
            TargetSnapshot(id: $0.id, version: $0.version, health: $0.healthy ? .healthy : .unhealthy, updating: $0.updating)
        }
    }

    public func prepare(_ target: TargetID, version: String) async throws {
        _ = try mutate(target) { _ in }
    }

    public func update(_ target: TargetID, to version: String) async throws {
        let attempt = nextAttempt(target, "update")
        let fails =
            faults.failingTargets.contains(target) || faults.draw(target, "update", attempt) < faults.updateFailureRate
        let unhealthy =
            faults.unhealthyTargets.contains(target) || faults.draw(target, "health", attempt) < faults.unhealthyRate
        let finishesAt = clock.now().addingTimeInterval(faults.updateDuration.seconds)
        try mutate(target) {
            $0.pending = PendingUpdate(version: version, finishesAt: finishesAt, fails: fails, unhealthy: unhealthy)
        }
        try await clock.sleep(for: faults.updateDuration)
        let now = max(clock.now(), finishesAt)
        try mutate(target) { $0 = $0.settled(at: now) }
        if fails {
            throw DeployerError("simulated update of \(target) to \(version) failed (injected fault)")
        }
    }

    // MARK: TrafficController

    public func members() async throws -> [TargetID: [PoolID: PoolMember]] {
        let state = try snapshot()
        let now = clock.now()
        var result: [TargetID: [PoolID: PoolMember]] = [:]
        result.reserveCapacity(state.targets.count)
        for target in state.targets { result[target.id] = members(of: target, state: state, now: now) }
        return result
    }

    public func members(of target: TargetID) async throws -> [PoolID: PoolMember] {
        let state = try snapshot()
        guard let index = position(target, in: state) else { throw unknown(target) }
        return members(of: state.targets[index], state: state, now: clock.now())
    }

    public func setState(_ newState: MemberState, of target: TargetID, in pool: PoolID) async throws {
        try await lbCall(target, "set-\(newState.rawValue)-\(pool)")
        let now = clock.now()
        let sessions = try snapshot().sessionsPerTarget
        try mutate(target) { simulated in
            guard var member = simulated.members[pool.rawValue] else {
                throw DeployerError("\(target) is not a member of \(pool)")
            }
            if newState == .drain || newState == .maint, member.state == .ready {
                member.drainStarted = now
                member.sessionsAtDrain = sessions
                member.sessionsCut = false
            }
            if newState == .ready {
                member.drainStarted = nil
                member.sessionsAtDrain = 0
                member.sessionsCut = false
            }
            member.state = newState
            simulated.members[pool.rawValue] = member
        }
    }

    public func shutdownSessions(of target: TargetID, in pool: PoolID) async throws {
        try await lbCall(target, "shutdown-\(pool)")
        try mutate(target) { $0.members[pool.rawValue]?.sessionsCut = true }
    }

    // MARK: HealthProbe

    public func check(_ target: TargetID) async throws -> HealthObservation {
        let state = try snapshot()
        guard let index = position(target, in: state) else { throw unknown(target) }
        let simulated = state.targets[index]
        if simulated.updating { return HealthObservation(healthy: false, detail: "updating") }
        return simulated.healthy
            ? HealthObservation(healthy: true, detail: "")
            : HealthObservation(healthy: false, detail: "simulated health check failing")
    }

    // MARK: Internals

    private func members(of target: SimulatedTarget, state: SimulatedFleetState, now: Date) -> [PoolID: PoolMember] {
        var result: [PoolID: PoolMember] = [:]
        for pool in state.pools {
            guard let member = target.members[pool.rawValue] else {
                result[pool] = PoolMember(state: .absent, sessions: nil)
                continue
            }
            result[pool] = PoolMember(
                state: member.state, sessions: member.sessions(at: now, duration: state.sessionSeconds),
                checkUp: target.healthy && !target.updating)
        }
        return result
    }

    private func lbCall(_ target: TargetID, _ what: String) async throws {
        if faults.lbLatency > .zero { try await clock.sleep(for: faults.lbLatency) }
        let attempt = nextAttempt(target, what)
        if faults.lbErrorRate > 0, faults.draw(target, what, attempt) < faults.lbErrorRate {
            throw DeployerError("simulated load balancer error on \(what) for \(target) (injected fault)")
        }
    }

    private func nextAttempt(_ target: TargetID, _ what: String) -> Int {
        let key = "\(target.rawValue)|\(what)"
        attempts[key, default: 0] += 1
        return attempts[key]!
    }

    @discardableResult
    private func mutate(_ target: TargetID, _ change: (inout SimulatedTarget) throws -> Void) throws -> SimulatedFleetState {
        if let store {
            memory = try store.update { state in
                guard let index = position(target, in: state) else { throw unknown(target) }
                try change(&state.targets[index])
            }
        } else {
            guard let index = position(target, in: memory) else { throw unknown(target) }
            try change(&memory.targets[index])
        }
        monitor(memory)
        return memory
    }

    private func position(_ target: TargetID, in state: SimulatedFleetState) -> Int? {
        if let index = positions[target], index < state.targets.count, state.targets[index].id == target { return index }
        return state.index(of: target)
    }

    /// Counts capacity after a change. Skipped without a floor: it costs a pass over the fleet.
    private func monitor(_ state: SimulatedFleetState) {
        guard let floor else { return }
        let inService = state.targets.filter { target in
            target.healthy && !target.updating && state.pools.allSatisfy { target.members[$0.rawValue]?.state == .ready }
        }.count
        lowestInService = min(lowestInService, inService)
        var low: [String] = []
        if inService < floor { low.append("fleet: \(inService) in service") }
        for pool in state.pools {
            let serving = state.targets.filter {
                $0.healthy && !$0.updating && $0.members[pool.rawValue]?.state == .ready
            }.count
            if serving < floor { low.append("\(pool): \(serving) in service") }
        }
        if !low.isEmpty {
            violations.append("\(clock.now().formatted(.iso8601)) \(low.joined(separator: ", ")), floor \(floor)")
        }
    }

    private nonisolated func unknown(_ target: TargetID) -> DeployerError {
        DeployerError("no target named \(target) in the simulated fleet")
    }
}
