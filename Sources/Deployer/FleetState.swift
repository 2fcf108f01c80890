public import Foundation

/// A target as its provider sees it at one moment.
public struct TargetSnapshot: Sendable, Equatable, Codable {
    public var id: TargetID
    /// The version it runs; nil when the provider cannot tell.
    public var version: String?
    /// For providers that track a model rather than a version (VMSS `latestModelApplied`).
    public var modelApplied: Bool?
    public var health: Health
    /// The provider is updating it right now (outside this deploy, or a deploy in progress).
    public var updating: Bool

    public init(id: TargetID, version: String?, modelApplied: Bool? = nil, health: Health, updating: Bool = false) {
        self.id = id
        self.version = version
        self.modelApplied = modelApplied
        self.health = health
        self.updating = updating
    }

    /// Whether this target already runs `version` (or the latest model, when there is no version).
    public func isCurrent(desired version: String) -> Bool {
        if let mine = self.version { return mine == version }
        return modelApplied ?? false
    }
}

public enum Health: String, Sendable, Equatable, Codable {
    case healthy
    case unhealthy
    case unknown
}

/// A server's administrative state in one pool, the way a deploy moves it.
public enum MemberState: String, Sendable, Equatable, Codable, CaseIterable {
    /// Takes new traffic.
    case ready
    /// Takes no new traffic; existing sessions go on.
    case drain
    /// Out of the pool: no traffic at all.
    case maint
    /// Not a member of the pool.
    case absent
}

/// A target's membership in one pool.
public struct PoolMember: Sendable, Equatable, Codable {
    public var state: MemberState
    /// Sessions still open; nil when the load balancer cannot count them.
    public var sessions: Int?
    /// The load balancer's own health check, when it has one.
    public var checkUp: Bool?
    /// When the load balancer stops holding a removed target's open connections, for one that cannot
    /// count them (an Application Gateway keeps them for its connection-draining timeout).
    public var drainEnds: Date?

    public init(state: MemberState, sessions: Int?, checkUp: Bool? = nil, drainEnds: Date? = nil) {
        self.state = state
        self.sessions = sessions
        self.checkUp = checkUp
        self.drainEnds = drainEnds
    }
}

/// Everything a pre-flight needs: every target and its membership in every pool.
public struct FleetState: Sendable, Equatable {
    public var targets: [TargetSnapshot]
    public var pools: [PoolID]
    public var members: [TargetID: [PoolID: PoolMember]]

    public init(targets: [TargetSnapshot], pools: [PoolID], members: [TargetID: [PoolID: PoolMember]]) {
        self.targets = targets
        self.pools = pools
        self.members = members
    }

    /// In service: healthy, not being updated, and `ready` in every pool.
    public func isInService(_ id: TargetID) -> Bool {
        guard let target = targets.first(where: { $0.id == id }) else { return false }
        return isInService(target)
    }

    public func isInService(_ target: TargetSnapshot) -> Bool {
        guard target.health != .unhealthy, !target.updating else { return false }
        let memberships = members[target.id] ?? [:]
        return pools.allSatisfy { memberships[$0]?.state == .ready }
    }

    /// Whether the target takes traffic in `pool` (ready there, healthy, not updating).
    public func isServing(_ target: TargetSnapshot, in pool: PoolID) -> Bool {
        guard target.health != .unhealthy, !target.updating else { return false }
        return members[target.id]?[pool]?.state == .ready
    }
}
