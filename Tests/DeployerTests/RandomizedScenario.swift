import Deployer
import Foundation
import Manifests
import Providers

/// SplitMix64: a small, fast, fully deterministic generator, so a seed replays the same run on every
/// platform and toolchain.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `range` (the modulo bias is irrelevant for ranges this small).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    mutating func pick<T>(_ choices: [T]) -> T { choices[int(0...(choices.count - 1))] }
}

/// Everything one randomized run is made of, drawn from its seed.
struct RandomizedScenario: CustomStringConvertible {
    let seed: UInt64
    let fleet: SimulatedFleetState
    let strategy: Strategy
    let faults: SimulatedFaults
    let hasPrepare: Bool

    static let oldVersion = "v1"
    static let newVersion = "v2"

    init(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        self.seed = seed
        let count = rng.int(3...12)
        let pools = (0..<rng.int(0...3)).map { PoolID("lb-\($0 + 1)") }
        let names = (1...count).map { String(format: "t%02d", $0) }
        let sessions = rng.chance(0.5) ? rng.int(1...5) : 0
        var fleet = SimulatedFleetState(
            names: names, version: Self.oldVersion, pools: pools, sessionsPerTarget: sessions,
            sessionSeconds: sessions > 0 ? Double(rng.int(1...40)) : 0)

        // What operators and earlier deploys left behind.
        let currentRate = rng.pick([0, 0.1, 0.3])
        let outRate = rng.pick([0, 0.1, 0.2])
        let unhealthyRate = rng.pick([0, 0.1, 0.2])
        for index in fleet.targets.indices {
            if rng.chance(currentRate) { fleet.targets[index].version = Self.newVersion }
            if !pools.isEmpty, rng.chance(outRate) {
                let state: MemberState = rng.pick([.drain, .maint])
                let all = rng.chance(0.5)
                for pool in pools where all || rng.chance(0.5) {
                    fleet.targets[index].members[pool.rawValue]?.state = state
                }
            }
            if rng.chance(unhealthyRate) { fleet.targets[index].healthy = false }
        }
        self.fleet = fleet

        func quantity(count range: ClosedRange<Int>, percent: ClosedRange<Int>) -> Quantity {
            rng.chance(0.5) ? .count(rng.int(range)) : .percent(Double(rng.int(percent)))
        }
        let floor: Quantity =
            rng.chance(0.5)
            ? .count(rng.int(0...max(0, count - 3)))
            : .percent(Double(rng.pick([0, 25, 50, 60, 75, 90])))
        let batches = (0..<rng.int(1...3)).map { _ in quantity(count: 1...3, percent: 10...40) }
        self.strategy = Strategy(
            batches: batches,
            maxUnavailable: rng.chance(0.3) ? nil : quantity(count: 1...5, percent: 10...60),
            maxFailures: rng.int(0...3),
            minInService: floor,
            drainTimeout: .seconds(rng.int(5...60)),
            healthTimeout: .seconds(rng.int(5...60)),
            pause: rng.chance(0.2) ? .seconds(rng.int(1...30)) : .zero,
            onFailure: rng.pick(Strategy.FailurePolicy.allCases),
            onDrainTimeout: rng.pick(Strategy.DrainTimeoutPolicy.allCases))

        self.faults = SimulatedFaults(
            seed: rng.next(),
            updateFailureRate: rng.pick([0, 0, 0.05, 0.15, 0.3]),
            unhealthyRate: rng.pick([0, 0, 0.05, 0.15, 0.3]),
            lbErrorRate: rng.pick([0, 0, 0.1, 0.3, 0.5]),
            lbLatency: rng.chance(0.3) ? .milliseconds(rng.int(10...2_000)) : .zero,
            updateDuration: .seconds(rng.int(0...20)))
        self.hasPrepare = rng.chance(0.3)
    }

    var description: String {
        let states = fleet.targets.map { target in
            let pools = fleet.pools.map { target.members[$0.rawValue]?.state.rawValue ?? "absent" }
            return "\(target.id)=\(target.version)\(target.healthy ? "" : "!")[\(pools.joined(separator: ","))]"
        }
        return """
            seed \(seed): \(fleet.targets.count) targets, pools \(fleet.pools.map(\.rawValue)), \
            sessions \(fleet.sessionsPerTarget)×\(fleet.sessionSeconds)s, prepare \(hasPrepare)
              strategy: batches \(strategy.batches), max-unavailable \(strategy.maxUnavailable.map { "\($0)" } ?? "-"), \
            min-in-service \(strategy.minInService), max-failures \(strategy.maxFailures), \
            on-failure \(strategy.onFailure.rawValue), on-drain-timeout \(strategy.onDrainTimeout.rawValue), \
            drain \(strategy.drainTimeout.manifestText), health \(strategy.healthTimeout.manifestText)
              faults: update \(faults.updateFailureRate), unhealthy \(faults.unhealthyRate), \
            lb \(faults.lbErrorRate), latency \(faults.lbLatency), update takes \(faults.updateDuration)
              start: \(states.joined(separator: " "))
            """
    }

    /// Targets in service at the start (healthy, not updating, ready in every pool), and serving in
    /// each pool — counted here from the simulator's own state, independently of the planner.
    var startingCapacity: (fleet: Int, perPool: [PoolID: Int]) {
        var perPool: [PoolID: Int] = [:]
        var inService = 0
        for target in fleet.targets where target.healthy && !target.updating {
            if fleet.pools.allSatisfy({ target.members[$0.rawValue]?.state == .ready }) { inService += 1 }
            for pool in fleet.pools where target.members[pool.rawValue]?.state == .ready {
                perPool[pool, default: 0] += 1
            }
        }
        return (inService, perPool)
    }
}
