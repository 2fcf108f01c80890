public import Manifests

/// Turns an environment's strategy and the fleet's state into a plan. Pure.
public enum Planner {
    /// Plans a deploy of `version`.
    /// - Parameter mustDeploy: targets that are deployed even when already on the version (those an
    ///   unfinished deploy left out of service).
    public static func plan(
        environment: String, version: String, strategy: Strategy, state: FleetState,
        hasPrepare: Bool, healthTiming: HealthTiming, mustDeploy: Set<TargetID> = [],
        batchLocation: SourceLocation? = nil
    ) -> DeployPlan {
        let fleetSize = state.targets.count
        let limits = resolveLimits(strategy: strategy, state: state)
        var blockers: [String] = []
        var notes: [String] = []

        let capacityForBatches = fleetSize - limits.minInService
        if let largest = limits.batchSizes.max(), largest > capacityForBatches, fleetSize > 0 {
            let what = batchLocation.map { "strategy.batch (\($0))" } ?? "the batch"
            blockers.append(
                "\(what) asks for \(largest) at a time, but with min-in-service \(limits.minInService) "
                    + "only \(max(0, capacityForBatches)) of \(fleetSize) targets may be out at once; "
                    + "lower the batch or the floor")
        }

        var planned: [PlannedTarget] = []
        var outFirst: [TargetID] = []
        var inServiceQueue: [TargetID] = []
        for target in state.targets {
            let inService = state.isInService(target)
            let current = target.isCurrent(desired: version) && !mustDeploy.contains(target.id)
            planned.append(
                PlannedTarget(
                    id: target.id, version: target.version, inService: inService,
                    action: current ? .skipCurrent : .deploy))
            if !inService {
                notes.append(outOfServiceNote(target, state: state, deployed: !current))
            }
            guard !current else { continue }
            if inService { inServiceQueue.append(target.id) } else { outFirst.append(target.id) }
        }

        let servingNow = servingCounts(state)
        let outNow = limits.alreadyOut.count
        let newOutPerBatch = room(limits: limits, state: state)

        if !inServiceQueue.isEmpty, newOutPerBatch == 0 {
            blockers.append(
                "no target can be taken out of service: \(servingNow.fleet) of \(fleetSize) are in service, "
                    + "min-in-service is \(limits.minInService), max-unavailable is \(limits.maxUnavailable)"
                    + (outNow > 0 ? " and \(outNow) already out" : ""))
        }

        var batches: [[TargetID]] = []
        var queue = outFirst.map { (id: $0, cost: 0) } + inServiceQueue.map { (id: $0, cost: 1) }
        var index = 0
        var blocked: Set<TargetID> = []
        while !queue.isEmpty {
            let size = limits.batchSizes[min(index, limits.batchSizes.count - 1)]
            var batch: [TargetID] = []
            var cost = 0
            while let next = queue.first, batch.count < size, cost + next.cost <= newOutPerBatch {
                batch.append(next.id)
                cost += next.cost
                queue.removeFirst()
            }
            if batch.isEmpty {
                blocked = Set(queue.map(\.id))
                break
            }
            if batch.count < size, !queue.isEmpty, index < limits.batchSizes.count {
                notes.append(
                    "batch \(batches.count + 1) holds \(batch.count) instead of \(size): capacity allows "
                        + "\(newOutPerBatch) more out of service at once")
            }
            batches.append(batch)
            index += 1
        }
        if !blocked.isEmpty {
            planned = planned.map { target in
                var target = target
                if blocked.contains(target.id) { target.action = .blocked }
                return target
            }
        }

        var steps: [Step] = hasPrepare ? [.prepare] : []
        if !state.pools.isEmpty { steps += [.drain, .waitDrained] }
        steps.append(.update)
        if state.pools.isEmpty {
            steps.append(.verify)
        } else {
            steps += [.verify, .restore]
        }
        steps.append(.confirm)

        return DeployPlan(
            environment: environment, version: version, pools: state.pools, targets: planned,
            batches: batches, steps: steps, limits: limits, blockers: blockers, notes: notes)
    }

    /// The strategy's quantities as absolute numbers on this fleet.
    public static func resolveLimits(strategy: Strategy, state: FleetState) -> Limits {
        let fleetSize = state.targets.count
        // A canary stage is the first batch.
        let quantities = (strategy.canary.map { [$0.targets] } ?? []) + strategy.batches
        let batchSizes = quantities.map { $0.resolve(of: fleetSize, rounding: .upAtLeastOne) }
        let sizes = batchSizes.isEmpty ? [1] : batchSizes.map { max(1, $0) }
        let maxUnavailable =
            strategy.maxUnavailable?.resolve(of: fleetSize, rounding: .upAtLeastOne) ?? (sizes.max() ?? 1)
        let floor = strategy.minInService.resolve(of: fleetSize, rounding: .down)
        let alreadyOut = state.targets.filter { !state.isInService($0) }.map(\.id)
        return Limits(
            fleetSize: fleetSize, batchSizes: sizes, maxUnavailable: maxUnavailable, minInService: floor,
            maxFailures: strategy.maxFailures, alreadyOut: alreadyOut)
    }

    /// How many more in-service targets may be taken out now: max-unavailable and the floor, across
    /// the fleet and in every pool (targets already out count against both).
    public static func room(limits: Limits, state: FleetState) -> Int {
        let serving = servingCounts(state)
        let fleetSize = state.targets.count
        var room = min(limits.maxUnavailable - (fleetSize - serving.fleet), serving.fleet - limits.minInService)
        for pool in state.pools {
            let poolServing = serving.perPool[pool] ?? 0
            room = min(room, limits.maxUnavailable - (fleetSize - poolServing), poolServing - limits.minInService)
        }
        return max(0, room)
    }

    /// Targets in service in the whole fleet and serving in each pool.
    public static func servingCounts(_ state: FleetState) -> (fleet: Int, perPool: [PoolID: Int]) {
        var perPool: [PoolID: Int] = [:]
        var fleet = 0
        for target in state.targets {
            if state.isInService(target) { fleet += 1 }
            for pool in state.pools where state.isServing(target, in: pool) {
                perPool[pool, default: 0] += 1
            }
        }
        return (fleet, perPool)
    }

    private static func outOfServiceNote(_ target: TargetSnapshot, state: FleetState, deployed: Bool) -> String {
        var reasons: [String] = []
        if target.health == .unhealthy { reasons.append("unhealthy") }
        if target.updating { reasons.append("being updated") }
        let memberships = state.members[target.id] ?? [:]
        for pool in state.pools {
            let member = memberships[pool]?.state ?? .absent
            if member != .ready { reasons.append("\(member.rawValue) on \(pool)") }
        }
        let what = deployed ? "it is deployed first and left as it is" : "it is left as it is"
        return "\(target.id) is already out of service (\(reasons.joined(separator: ", "))): \(what)"
    }
}
