public import Deployer
public import Foundation

/// The whole state of a simulated fleet: what the simulator would be asked about by `status`, and
/// what it keeps in the state directory so that other processes see the same fleet.
public struct SimulatedFleetState: Sendable, Equatable, Codable {
    public var targets: [SimulatedTarget]
    public var pools: [PoolID]
    public var sessionsPerTarget: Int
    public var sessionSeconds: Double

    public init(targets: [SimulatedTarget], pools: [PoolID], sessionsPerTarget: Int = 0, sessionSeconds: Double = 0) {
        self.targets = targets
        self.pools = pools
        self.sessionsPerTarget = sessionsPerTarget
        self.sessionSeconds = sessionSeconds
    }

    /// A fleet of `names`, all healthy on `version` and ready in every pool.
    public init(names: [String], version: String, pools: [PoolID], sessionsPerTarget: Int = 0, sessionSeconds: Double = 0) {
        self.init(
            targets: names.map { name in
                SimulatedTarget(
                    id: TargetID(name), version: version, healthy: true, pending: nil,
                    members: Dictionary(uniqueKeysWithValues: pools.map { ($0.rawValue, SimulatedMember(state: .ready)) }))
            },
            pools: pools, sessionsPerTarget: sessionsPerTarget, sessionSeconds: sessionSeconds)
    }

    func index(of target: TargetID) -> Int? { targets.firstIndex { $0.id == target } }
}

public struct SimulatedTarget: Sendable, Equatable, Codable {
    public var id: TargetID
    public var version: String
    public var healthy: Bool
    /// An update the provider is carrying out. It finishes on its own at `finishesAt`, whether or not
    /// the deployer process that started it is still alive, as a scale set's update would.
    public var pending: PendingUpdate?
    /// Membership by pool name.
    public var members: [String: SimulatedMember]

    public var updating: Bool { pending != nil }

    /// The target as it is at `now`: an update whose time is up has finished.
    func settled(at now: Date) -> SimulatedTarget {
        guard let pending, now >= pending.finishesAt else { return self }
        var settled = self
        settled.pending = nil
        if pending.fails {
            settled.healthy = false
        } else {
            settled.version = pending.version
            settled.healthy = !pending.unhealthy
        }
        return settled
    }
}

/// An update in progress, with its outcome decided when it started.
public struct PendingUpdate: Sendable, Equatable, Codable {
    public var version: String
    public var finishesAt: Date
    public var fails: Bool
    public var unhealthy: Bool
}

public struct SimulatedMember: Sendable, Equatable, Codable {
    public var state: MemberState
    /// When it started draining, and how many sessions it had then; sessions end linearly over the
    /// fleet's session duration.
    public var drainStarted: Date?
    public var sessionsAtDrain: Int
    /// Sessions cut by `shutdown sessions`.
    public var sessionsCut: Bool

    public init(state: MemberState, drainStarted: Date? = nil, sessionsAtDrain: Int = 0, sessionsCut: Bool = false) {
        self.state = state
        self.drainStarted = drainStarted
        self.sessionsAtDrain = sessionsAtDrain
        self.sessionsCut = sessionsCut
    }

    /// Sessions still open at `now`.
    func sessions(at now: Date, duration: Double) -> Int {
        switch state {
        case .ready:
            return 0
        case .absent:
            return 0
        case .drain, .maint:
            guard let drainStarted, !sessionsCut, sessionsAtDrain > 0 else { return 0 }
            guard duration > 0 else { return 0 }
            let left = 1 - now.timeIntervalSince(drainStarted) / duration
            return left <= 0 ? 0 : Int((Double(sessionsAtDrain) * left).rounded(.up))
        }
    }
}
