public import Deployer

/// Faults a simulated fleet injects, decided per target from a seed so a run can be replayed whatever
/// order concurrent tasks take.
public struct SimulatedFaults: Sendable, Equatable {
    public var seed: UInt64
    /// Probability that an update fails (the target is left unhealthy on its old version).
    public var updateFailureRate: Double
    /// Probability that an updated target never becomes healthy.
    public var unhealthyRate: Double
    /// Probability that a load-balancer call fails (a transient error; a retry may succeed).
    public var lbErrorRate: Double
    /// Extra time every load-balancer call takes.
    public var lbLatency: Duration
    /// Time an update takes.
    public var updateDuration: Duration
    /// Targets whose update always fails, and those that never turn healthy.
    public var failingTargets: Set<TargetID>
    public var unhealthyTargets: Set<TargetID>

    public init(
        seed: UInt64 = 0, updateFailureRate: Double = 0, unhealthyRate: Double = 0, lbErrorRate: Double = 0,
        lbLatency: Duration = .zero, updateDuration: Duration = .zero, failingTargets: Set<TargetID> = [],
        unhealthyTargets: Set<TargetID> = []
    ) {
        self.seed = seed
        self.updateFailureRate = updateFailureRate
        self.unhealthyRate = unhealthyRate
        self.lbErrorRate = lbErrorRate
        self.lbLatency = lbLatency
        self.updateDuration = updateDuration
        self.failingTargets = failingTargets
        self.unhealthyTargets = unhealthyTargets
    }

    /// A uniform draw in [0, 1) for (target, what, attempt): the same arguments always give the same draw.
    func draw(_ target: TargetID, _ what: String, _ attempt: Int) -> Double {
        var hash: UInt64 = seed ^ 0x9E37_79B9_7F4A_7C15
        for byte in target.rawValue.utf8 + Array(what.utf8) {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash ^= UInt64(truncatingIfNeeded: attempt) &* 0xBF58_476D_1CE4_E5B9
        // SplitMix64 finaliser.
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Double(hash >> 11) / Double(1 << 53)
    }
}
