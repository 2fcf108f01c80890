import Foundation
import Manifests

/// Runs a queue of targets batch by batch. Before every batch it reads the fleet's real state and
/// admits only as many targets as max-unavailable and the floor allow (targets already out count
/// against both, across the fleet and in every pool); it stops when failures exceed the budget.
struct BatchExecutor: Sendable {
    let ctx: DeployContext
    let journal: any Journal
    let request: DeployRequest
    let limits: Limits
    let fromVersions: [TargetID: String?]

    func execute(
        queue initial: [TargetID], resumed: [TargetID: JournalReplay.InFlightTarget], skipped: [TargetID],
        started: Date, previous: JournalReplay? = nil
    ) async throws -> DeploySummary {
        let runner = TargetRunner(ctx: ctx, journal: journal, deployID: request.deployID, strategy: request.strategy)
        var remaining = initial[...]
        var results: [TargetID: TargetResult] = [:]
        var order: [TargetID] = []
        var failures = previous?.finished.values.filter { $0.outcome == .failed }.count ?? 0
        var lowest = Int.max
        var batchIndex = 0
        var stopReason: String?
        var outcome: DeploySummary.Outcome?

        while !remaining.isEmpty {
            if ctx.control.abortRequested { outcome = .aborted; break }
            if ctx.control.interruptRequested { outcome = .interrupted; break }
            if failures > limits.maxFailures {
                stopReason = "\(failures) target(s) failed, more than max-failures \(limits.maxFailures)"
                break
            }
            let state = try await ctx.readState()
            let admission = admit(remaining, state: state, resumed: resumed, batchIndex: batchIndex)
            guard !admission.batch.isEmpty else {
                stopReason = admission.reason
                break
            }
            lowest = min(lowest, admission.lowestInService)
            let admitted = Set(admission.batch)
            remaining = ArraySlice(remaining.filter { !admitted.contains($0) })
            batchIndex += 1
            try await journal.append(
                JournalRecord(
                    at: ctx.clock.now(), kind: .batchStarted, deployID: request.deployID, targets: admission.batch))
            ctx.events.emit(
                .batchStarted(index: batchIndex, count: batchIndex + estimateBatches(remaining.count, after: batchIndex), targets: admission.batch))

            var batch = admission.batch
            if request.hasPrepare {
                let prepared = await prepare(batch.filter { resumed[$0] == nil })
                for failed in prepared {
                    results[failed.target] = failed
                    order.append(failed.target)
                    failures += 1
                }
                let failedIDs = Set(prepared.map(\.target))
                batch.removeAll { failedIDs.contains($0) }
            }

            let batchResults = await withTaskGroup(of: TargetResult.self) { group in
                for target in batch {
                    let flight = resumed[target]
                    let from = flight?.fromVersion ?? fromVersions[target] ?? nil
                    group.addTask {
                        await runner.run(
                            target, to: request.version, fromVersion: from, baseline: flight?.baseline,
                            completed: flight?.completed ?? [])
                    }
                }
                var collected: [TargetResult] = []
                for await result in group { collected.append(result) }
                return collected
            }
            let byTarget = Dictionary(batchResults.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
            for result in batch.compactMap({ byTarget[$0] }) {
                results[result.target] = result
                order.append(result.target)
                if result.outcome == .failed { failures += 1 }
            }
            try await journal.append(JournalRecord(at: ctx.clock.now(), kind: .batchFinished, deployID: request.deployID))
            ctx.events.emit(.batchFinished(index: batchIndex))

            if batchResults.contains(where: { $0.outcome == .interrupted }) { outcome = .interrupted; break }
            if batchResults.contains(where: { $0.outcome == .aborted }) || ctx.control.abortRequested {
                outcome = .aborted
                break
            }
            if failures > limits.maxFailures, request.strategy.onFailure == .rollbackBatch {
                for rolled in await rollBack(batchResults, runner: runner) {
                    results[rolled.target] = rolled
                }
            }
            if !remaining.isEmpty, request.strategy.pause > .zero, failures <= limits.maxFailures {
                ctx.events.emit(.pausing(request.strategy.pause))
                // In steps, so that an interrupt or an abort does not wait for a long pause to end.
                var left = request.strategy.pause
                while left > .zero, !ctx.control.interruptRequested, !ctx.control.abortRequested {
                    let step = min(left, ctx.pollInterval)
                    try await ctx.clock.sleep(for: step)
                    left -= step
                }
            }
        }
        // The check at the top of the loop does not see failures of the last batch.
        if outcome == nil, stopReason == nil, failures > limits.maxFailures {
            stopReason = "\(failures) target(s) failed, more than max-failures \(limits.maxFailures)"
        }

        let finalOutcome: DeploySummary.Outcome
        if let outcome {
            finalOutcome = outcome
        } else if stopReason != nil || !remaining.isEmpty {
            finalOutcome = .stopped
        } else if results.values.contains(where: { $0.outcome == .failed }) {
            finalOutcome = .completedWithFailures
        } else {
            finalOutcome = .succeeded
        }

        let all = order.compactMap { results[$0] }
        if finalOutcome == .interrupted {
            try await journal.append(
                JournalRecord(at: ctx.clock.now(), kind: .deployInterrupted, deployID: request.deployID))
        } else {
            try await journal.append(
                JournalRecord(
                    at: ctx.clock.now(), kind: .deployFinished, deployID: request.deployID,
                    message: stopReason, outcome: finalOutcome.rawValue))
            try await ctx.lock.release(request.holder)
        }
        let summary = DeploySummary(
            deployID: request.deployID, environment: request.environment, version: request.version,
            outcome: finalOutcome, targets: all, skipped: skipped, seconds: ctx.clock.now().timeIntervalSince(started),
            lowestInService: lowest == Int.max ? limits.fleetSize - limits.alreadyOut.count : lowest,
            minInService: limits.minInService,
            nextSteps: nextSteps(finalOutcome, results: all, notStarted: Array(remaining), stopReason: stopReason))
        ctx.events.emit(.finished(summary))
        return summary
    }

    // MARK: Admission

    struct Admission {
        var batch: [TargetID]
        var lowestInService: Int
        var reason: String?
    }

    /// Picks the next batch from the front of `remaining`: up to the batch size, taking in-service
    /// targets out only while max-unavailable and the floor hold in the fleet and in every pool.
    func admit(
        _ remaining: ArraySlice<TargetID>, state: FleetState, resumed: [TargetID: JournalReplay.InFlightTarget],
        batchIndex: Int
    ) -> Admission {
        let size = limits.batchSizes[min(batchIndex, limits.batchSizes.count - 1)]
        let serving = Planner.servingCounts(state)
        let fleetSize = state.targets.count
        let out = fleetSize - serving.fleet
        let room = Planner.room(limits: limits, state: state)
        let byID = Dictionary(uniqueKeysWithValues: state.targets.map { ($0.id, $0) })
        var batch: [TargetID] = []
        var cost = 0
        for target in remaining where batch.count < size {
            let inService = resumed[target] == nil && (byID[target].map { state.isInService($0) } ?? false)
            let price = inService ? 1 : 0
            guard cost + price <= room else { continue }
            batch.append(target)
            cost += price
        }
        var reason: String?
        if batch.isEmpty {
            reason =
                "no more targets can be taken out: \(serving.fleet) of \(fleetSize) in service, "
                + "min-in-service \(limits.minInService), max-unavailable \(limits.maxUnavailable), \(out) out of service"
        }
        return Admission(batch: batch, lowestInService: serving.fleet - cost, reason: reason)
    }

    private func estimateBatches(_ remaining: Int, after index: Int) -> Int {
        var left = remaining
        var count = 0
        var i = index
        while left > 0 {
            left -= limits.batchSizes[min(i, limits.batchSizes.count - 1)]
            count += 1
            i += 1
        }
        return count
    }

    // MARK: Prepare and rollback

    /// Runs the prepare step on every target, concurrently; returns the ones that failed.
    private func prepare(_ targets: [TargetID]) async -> [TargetResult] {
        await withTaskGroup(of: TargetResult?.self) { group in
            for target in targets {
                group.addTask {
                    let began = ctx.clock.now()
                    ctx.events.emit(.stepStarted(target: target, step: .prepare, pool: nil))
                    do {
                        try await ctx.fleet.prepare(target, version: request.version)
                        ctx.events.emit(
                            .stepFinished(
                                target: target, step: .prepare, pool: nil, ok: true,
                                elapsed: .seconds(ctx.clock.now().timeIntervalSince(began)), message: nil))
                        return nil
                    } catch {
                        ctx.events.emit(
                            .stepFinished(
                                target: target, step: .prepare, pool: nil, ok: false,
                                elapsed: .seconds(ctx.clock.now().timeIntervalSince(began)), message: "\(error)"))
                        let from = fromVersions[target] ?? nil
                        let result = TargetResult(
                            target: target, outcome: .failed, fromVersion: from, version: from,
                            seconds: ctx.clock.now().timeIntervalSince(began), message: "prepare: \(error)",
                            restored: true)
                        _ = try? await journal.append(
                            JournalRecord(
                                at: ctx.clock.now(), kind: .targetFinished, deployID: request.deployID,
                                version: from, target: target, ok: true, message: result.message,
                                fromVersion: from, outcome: result.outcome.rawValue))
                        ctx.events.emit(.targetFinished(result))
                        return result
                    }
                }
            }
            var failed: [TargetResult] = []
            for await result in group { if let result { failed.append(result) } }
            return failed
        }
    }

    /// Puts the batch's targets back on the version they had, one at a time.
    private func rollBack(_ batch: [TargetResult], runner: TargetRunner) async -> [TargetResult] {
        var rolled: [TargetResult] = []
        // Pool states from before the deploy: a target that failed its check is out of its pools now,
        // and must go back to where it was, not to where the failure left it.
        let baselines = (try? await journal.records()).flatMap(JournalReplay.init)?.finished
        for result in batch where result.outcome != .interrupted {
            guard let from = result.fromVersion, result.version != from else { continue }
            ctx.events.emit(.notice(Notice(.warning, "rolling \(result.target) back to \(from)")))
            var back = await runner.run(
                result.target, to: from, fromVersion: result.version, baseline: baselines?[result.target]?.baseline,
                outcome: .rolledBack)
            if back.outcome == .failed {
                back.message = "rollback to \(from) failed: \(back.message ?? "")"
            }
            rolled.append(back)
        }
        return rolled
    }

    private func nextSteps(
        _ outcome: DeploySummary.Outcome, results: [TargetResult], notStarted: [TargetID], stopReason: String?
    ) -> [String] {
        let env = request.environment
        var steps: [String] = []
        switch outcome {
        case .interrupted:
            let out = results.filter { !$0.restored }.count
            let left = Set(results.filter { $0.outcome == .interrupted }.map(\.target)).union(notStarted)
            steps.append(
                (out == 0 ? "Every target is in service as it was before the deploy or on \(request.version). " : "")
                    + "\(left.count) target(s) not deployed yet. Run `deployer resume \(env)` to carry on, "
                    + "or `deployer abort \(env)` to end the deploy here.")
        case .stopped:
            if let stopReason { steps.append("Stopped: \(stopReason).") }
            if !notStarted.isEmpty {
                steps.append("\(notStarted.count) target(s) were not deployed: \(notStarted.map(\.rawValue).joined(separator: ", ")).")
            }
        default:
            break
        }
        for failed in results where failed.outcome == .failed && !failed.restored {
            steps.append(
                "\(failed.target) is out of service on \(failed.version ?? "an unknown version"): fix it, then "
                    + "`deployer restore \(env) \(failed.target)` or deploy again.")
        }
        for stopped in results where stopped.outcome == .interrupted && !stopped.restored {
            steps.append(
                "\(stopped.target) is out of service on \(stopped.version ?? "an unknown version") (\(stopped.message ?? "interrupted")): "
                    + "`deployer resume \(env)` or `deployer abort \(env)` puts it back.")
        }
        return steps
    }
}
