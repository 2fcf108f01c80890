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
    /// Requests each target serves per second while it is ready in a pool (its traffic, for canaries).
    public var requestsPerSecond: Double = 20
    /// The share of requests a version answers with a 5xx: given per version, else `faultyErrorRate`
    /// for a version whose name ends in `-faulty`, else none.
    public var versionErrorRates: [String: Double] = [:]
    public var faultyErrorRate: Double = 0.2
    /// Mean response time, in milliseconds; a version whose name ends in `-slow` takes 4 times as long.
    public var responseMilliseconds: Double = 20

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

    /// The share of `version`'s requests answered with a 5xx.
    public func errorRate(of version: String) -> Double {
        versionErrorRates[version] ?? (version.hasSuffix("-faulty") ? faultyErrorRate : 0)
    }

    /// `version`'s mean response time.
    public func responseTime(of version: String) -> Double {
        version.hasSuffix("-slow") ? responseMilliseconds * 4 : responseMilliseconds
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
