import Foundation
public import Manifests

/// Taking one target out of every pool and putting it back, by hand, under the same rules as a
/// deploy: refused when it would take a pool below its floor or past max-unavailable, unless forced.
public struct ManualOperations: Sendable {
    public let ctx: DeployContext
    public let strategy: Strategy

    public init(_ ctx: DeployContext, strategy: Strategy) {
        self.ctx = ctx
        self.strategy = strategy
    }

    /// What a drain or restore did.
    public struct Outcome: Sendable, Equatable {
        /// The pools whose state changed.
        public var changed: [PoolID]
        /// Pools where it already was as asked.
        public var unchanged: [PoolID]
        public var warnings: [String]
    }

    /// Drains `target` from every pool, waits (bounded by the drain timeout) until its sessions end,
    /// then takes it out (maint). With `force`, a drain that breaks the floor goes ahead with a warning.
    public func drain(_ target: TargetID, force: Bool) async throws -> Outcome {
        let state = try await ctx.readState()
        guard let snapshot = state.targets.first(where: { $0.id == target }) else { throw unknownTarget(target, state) }
        var warnings: [String] = []
        if state.isInService(snapshot), let problem = capacityProblem(taking: target, out: state) {
            guard force else {
                throw DeployerError(
                    "refusing to drain \(target): \(problem)",
                    hint: "Nothing was changed. Use --force to drain it anyway.")
            }
            warnings.append("--force: \(problem)")
            ctx.events.emit(.notice(Notice(.warning, "--force: \(problem)")))
        }
        let members = state.members[target] ?? [:]
        let serving = state.pools.filter { members[$0]?.state == .ready }
        let already = state.pools.filter { members[$0]?.state != .ready }
        for pool in serving { try await ctx.traffic.setState(.drain, of: target, in: pool) }
        let open = try await DrainWait(ctx: ctx, timeout: strategy.drainTimeout).run(target, pools: serving)
        if !open.isEmpty {
            let left = DrainWait.describe(open)
            switch strategy.onDrainTimeout {
            case .fail:
                throw DeployerError(
                    "\(target) still has \(left) after \(strategy.drainTimeout.manifestText); "
                        + "it takes no new traffic (DRAIN) but was not taken out",
                    hint: "Run the drain again to keep waiting, or `deployer restore` to put it back.")
            case .proceed:
                warnings.append("drain timed out with \(left)")
            case .shutdownSessions:
                for (pool, _) in open { try await ctx.traffic.shutdownSessions(of: target, in: pool) }
                warnings.append("drain timed out; cut \(left)")
            }
        }
        for pool in serving { try await ctx.traffic.setState(.maint, of: target, in: pool) }
        return Outcome(changed: serving, unchanged: already, warnings: warnings)
    }

    /// Puts `target` back into every pool it is drained or out of. Refused when it is not healthy
    /// (traffic would reach a broken target), unless forced.
    public func restore(_ target: TargetID, force: Bool) async throws -> Outcome {
        let state = try await ctx.readState()
        guard state.targets.contains(where: { $0.id == target }) else { throw unknownTarget(target, state) }
        var warnings: [String] = []
        let observation = try await ctx.health.check(target)
        if !observation.healthy, ctx.health.timing == .beforeRestore {
            let problem = "\(target) is not healthy (\(observation.detail))"
            guard force else {
                throw DeployerError(
                    "refusing to restore \(target): \(problem)",
                    hint: "Nothing was changed. Fix it first, or use --force to send it traffic anyway.")
            }
            warnings.append("--force: \(problem)")
        }
        let members = state.members[target] ?? [:]
        let out = state.pools.filter { [.drain, .maint].contains(members[$0]?.state) }
        let absent = state.pools.filter { (members[$0]?.state ?? .absent) == .absent }
        if ctx.health.timing == .inDrain, !out.isEmpty {
            // The load balancer checks it only while drained: drain it first and wait for the check.
            for pool in out where members[pool]?.state == .maint { try await ctx.traffic.setState(.drain, of: target, in: pool) }
            let observation = try await HealthWait(ctx: ctx, timeout: strategy.healthTimeout)
                .run(target, waitingFor: "\(target) to pass the load balancer's check")
            if !observation.healthy {
                let problem = "\(target) is not healthy (\(observation.detail))"
                guard force else {
                    for pool in out where members[pool]?.state == .maint {
                        try? await ctx.traffic.setState(.maint, of: target, in: pool)
                    }
                    throw DeployerError(
                        "refusing to restore \(target): \(problem)",
                        hint: "It was put back as it was. Fix it first, or use --force to send it traffic anyway.")
                }
                warnings.append("--force: \(problem)")
            }
        }
        for pool in out { try await ctx.traffic.setState(.ready, of: target, in: pool) }
        for pool in absent { warnings.append("\(target) is not a member of \(pool); left as is") }
        let after = try await ctx.traffic.members(of: target)
        let notReady = out.filter { after[$0]?.state != .ready }
        if !notReady.isEmpty {
            throw DeployerError("\(target) did not come back on \(notReady.map(\.rawValue).joined(separator: ", "))")
        }
        return Outcome(changed: out, unchanged: state.pools.filter { !out.contains($0) && !absent.contains($0) }, warnings: warnings)
    }

    /// Why taking one more in-service target out would break the strategy, if it would.
    func capacityProblem(taking target: TargetID, out state: FleetState) -> String? {
        let limits = Planner.resolveLimits(strategy: strategy, state: state)
        let serving = Planner.servingCounts(state)
        let fleetSize = state.targets.count
        if serving.fleet - 1 < limits.minInService {
            return "only \(serving.fleet - 1) of \(fleetSize) would stay in service, below min-in-service \(limits.minInService)"
        }
        if fleetSize - serving.fleet + 1 > limits.maxUnavailable {
            return "\(fleetSize - serving.fleet + 1) targets would be out of service, more than max-unavailable \(limits.maxUnavailable)"
        }
        for pool in state.pools {
            let inPool = serving.perPool[pool] ?? 0
            if inPool - 1 < limits.minInService {
                return "only \(inPool - 1) would stay in service on \(pool), below min-in-service \(limits.minInService)"
            }
        }
        return nil
    }

    private func unknownTarget(_ target: TargetID, _ state: FleetState) -> DeployerError {
        let names = state.targets.map(\.id.rawValue)
        let close = names.filter { $0.hasPrefix(String(target.rawValue.prefix(3))) }.prefix(5)
        return DeployerError(
            "no target named \(target)",
            hint: "Targets: " + (close.isEmpty ? names.prefix(10) : close).joined(separator: ", ")
                + (names.count > 10 && close.isEmpty ? ", …" : ""))
    }
}
