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
        let canary = request.strategy.canary

        // A resumed deploy that was being undone (`on-failure: rollback`): the undoing is finished.
        if let previous, let reason = previous.rollingBack {
            outcome = .stopped
            stopReason = reason
            remaining = []
            let touched = previous.planned.filter { previous.inFlight[$0] != nil || previous.finished[$0] != nil || previous.original[$0] != nil }
            for rolled in await rollBackCanary(touched, previous: previous, runner: runner) {
                results[rolled.target] = rolled
                order.append(rolled.target)
                if rolled.outcome == .interrupted { outcome = .interrupted }
            }
        }

        // A resumed deploy whose canary had been deployed: it is judged (again, from the start) or,
        // when it had failed, rolled back, before anything else.
        if let canary, let previous, previous.rollingBack == nil {
            switch Self.canaryOnResume(previous) {
            case .none:
                break
            case .passed:
                batchIndex = 1
            case .bake(let targets):
                batchIndex = 1
                switch try await gate(targets, remaining: Array(remaining), spec: canary) {
                case .none: outcome = ctx.control.abortRequested ? .aborted : .interrupted
                case .some(let verdict) where !verdict.passed:
                    outcome = .canaryFailed
                    stopReason = "the canary failed: \(verdict.reason)"
                    for rolled in await rollBackCanary(targets, previous: previous, runner: runner) {
                        results[rolled.target] = rolled
                        order.append(rolled.target)
                        // Stopped mid-rollback: `resume` finishes it (the verdict is journaled).
                        if rolled.outcome == .interrupted { outcome = .interrupted }
                    }
                default: break
                }
            case .rollBack(let targets, let reason):
                outcome = .canaryFailed
                stopReason = "the canary failed: \(reason)"
                let canarySet = Set(targets)
                remaining = ArraySlice(remaining.filter { !canarySet.contains($0) })
                for rolled in await rollBackCanary(targets, previous: previous, runner: runner) {
                    results[rolled.target] = rolled
                    order.append(rolled.target)
                    if rolled.outcome == .interrupted { outcome = .interrupted }
                }
            }
        }

        while !remaining.isEmpty, outcome == nil {
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
            // `hooks.pre-batch`: a failure stops the deploy before this batch is touched.
            let batchVariables = [
                "DEPLOYER_BATCH": String(batchIndex + 1), "DEPLOYER_TARGETS": admission.batch.map(\.rawValue).joined(separator: " "),
            ]
            if let run = await hook(.preBatch, batchVariables), !run.succeeded {
                stopReason = "the pre-batch hook failed (\(run.status)), before batch \(batchIndex + 1)"
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
            if let run = await hook(.postBatch, batchVariables), !run.succeeded {
                ctx.events.emit(.notice(Notice(.warning, "the post-batch hook of batch \(batchIndex) failed: \(run.status)")))
            }

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
            // The canary stage (the first batch, or every batch with `every-batch`): judged by its
            // traffic against the targets not deployed yet; a failed verdict rolls it back and ends here.
            if let canary, failures <= limits.maxFailures, batchIndex == 1 || canary.everyBatch {
                let deployed = batchResults.filter { $0.outcome == .updated }.map(\.target)
                if !deployed.isEmpty {
                    guard let verdict = try await gate(deployed, remaining: Array(remaining), spec: canary) else {
                        outcome = ctx.control.abortRequested ? .aborted : .interrupted
                        break
                    }
                    if !verdict.passed {
                        outcome = .canaryFailed
                        stopReason = "the canary failed: \(verdict.reason)"
                        for rolled in await rollBackFailedCanary(batchResults.filter { deployed.contains($0.target) }, runner: runner) {
                            results[rolled.target] = rolled
                            if rolled.outcome == .interrupted { outcome = .interrupted }
                        }
                        break
                    }
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
        // `on-failure: rollback`: a deploy that stopped is undone, every target it updated put back.
        let stopped = outcome == .canaryFailed || (outcome == nil && (stopReason != nil || !remaining.isEmpty))
        if stopped, request.strategy.onFailure == .rollback, previous?.rollingBack == nil {
            // The failed ones first: they are out of service already, and back on their old version
            // they may serve again, making room for the others.
            let all = order.compactMap { results[$0] }
            let updated = all.filter { $0.outcome == .failed && !$0.restored && $0.fromVersion != nil && $0.version != $0.fromVersion }
                + all.filter { $0.outcome == .updated }
            if !updated.isEmpty {
                let reason = stopReason ?? "the deploy stopped"
                try await journal.append(
                    JournalRecord(at: ctx.clock.now(), kind: .deployRollingBack, deployID: request.deployID, message: reason))
                ctx.events.emit(.notice(Notice(.warning, "\(reason): rolling back the \(updated.count) target(s) this deploy updated")))
                for rolled in await rollBackFailedCanary(updated, runner: runner) {
                    results[rolled.target] = rolled
                    if rolled.outcome == .interrupted { outcome = .interrupted }
                }
            }
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

    // MARK: Hooks

    /// Runs a batch hook, if the environment has one: its output shown as it comes, how it ended
    /// journaled.
    private func hook(_ point: HookSpec.Point, _ extra: [String: String]) async -> HookRun? {
        guard let hooks = ctx.hooks else { return nil }
        var variables = extra
        variables["DEPLOYER_ENVIRONMENT"] = request.environment
        variables["DEPLOYER_VERSION"] = request.version
        variables["DEPLOYER_DEPLOY_ID"] = request.deployID
        let events = ctx.events
        let source = TargetID("hook \(point.rawValue)")
        guard let run = await hooks.run(point, variables: variables, onLine: { events.emit(.output(target: source, line: $0)) })
        else { return nil }
        _ = try? await journal.append(
            JournalRecord(
                at: ctx.clock.now(), kind: .hookRan, deployID: request.deployID, ok: run.succeeded,
                message: "\(run.description)" + (run.tail.isEmpty ? "" : "\n" + run.tail)))
        if !run.succeeded { ctx.events.emit(.notice(Notice(.warning, run.description))) }
        return run
    }

    // MARK: Canary

    enum CanaryResume: Equatable {
        case none
        case passed
        case bake([TargetID])
        case rollBack([TargetID], reason: String)
    }

    /// What a resumed deploy does first about its canary.
    static func canaryOnResume(_ replay: JournalReplay) -> CanaryResume {
        switch replay.canary {
        case .passed: return .passed
        case .failed(let targets, let reason): return .rollBack(targets, reason: reason)
        case .baking(let targets): return .bake(targets)
        case nil:
            // Died after the canary batch and before its bake was journaled: bake it now.
            guard let first = replay.firstBatch, !first.isEmpty,
                first.allSatisfy({ replay.finished[$0]?.outcome == .updated })
            else { return .none }
            return .bake(first)
        }
    }

    /// Bakes `targets`: samples every target's counters every interval, judging the canary against
    /// the baseline (the targets of `remaining`, still on the old version) over the window from the
    /// start of the bake. Journals the start and the verdict. Nil when interrupted or aborted (the
    /// verdict is left to `resume`).
    private func gate(_ targets: [TargetID], remaining: [TargetID], spec: CanarySpec) async throws -> CanaryVerdict? {
        let baseline = remaining.filter { !targets.contains($0) }
        try await journal.append(
            JournalRecord(at: ctx.clock.now(), kind: .canaryStarted, deployID: request.deployID, targets: targets))
        ctx.events.emit(.canaryStarted(targets: targets, baseline: baseline, bake: spec.bake))
        let verdict = try await bake(targets, baseline: baseline, spec: spec)
        guard let verdict else { return nil }
        try await journal.append(
            JournalRecord(
                at: ctx.clock.now(), kind: .canaryFinished, deployID: request.deployID, ok: verdict.passed,
                message: verdict.reason, targets: targets))
        ctx.events.emit(.canaryFinished(verdict))
        return verdict
    }

    private func bake(_ targets: [TargetID], baseline: [TargetID], spec: CanarySpec) async throws -> CanaryVerdict? {
        guard let metrics = ctx.metrics else {
            return CanaryVerdict(
                passed: false, sample: nil,
                reason: "the load balancers of \(request.environment) give no traffic statistics to judge a canary by")
        }
        let everyone = targets + baseline
        let start: [TargetID: TrafficCounters]
        do {
            start = try await metrics.counters(everyone)
        } catch {
            return CanaryVerdict(passed: false, sample: nil, reason: "the traffic statistics cannot be read: \(error)")
        }
        let began = ctx.clock.now()
        var last: CanarySample?
        while true {
            // In steps, so that an interrupt or an abort does not wait for the sample.
            var left = spec.interval
            while left > .zero {
                if ctx.control.interruptRequested || ctx.control.abortRequested { return nil }
                let step = min(left, ctx.pollInterval)
                try await ctx.clock.sleep(for: step)
                left -= step
            }
            let elapsed = ctx.clock.now().timeIntervalSince(began)
            let now: [TargetID: TrafficCounters]
            do {
                now = try await metrics.counters(everyone)
            } catch {
                return CanaryVerdict(passed: false, sample: last, reason: "the traffic statistics cannot be read: \(error)")
            }
            let sample = CanaryJudge.judge(
                canary: TrafficWindow.between(start, now, targets: targets),
                baseline: TrafficWindow.between(start, now, targets: baseline), spec: spec, elapsed: elapsed)
            ctx.events.emit(.canarySample(sample))
            last = sample
            if sample.verdict == .failing { return CanaryVerdict(passed: false, sample: sample, reason: sample.reason) }
            if elapsed + 0.0005 >= spec.bake.seconds {
                if sample.verdict == .healthy { return CanaryVerdict(passed: true, sample: sample, reason: sample.reason) }
                switch spec.noVerdict {
                case .pass:
                    return CanaryVerdict(passed: true, sample: sample, reason: "no verdict (\(sample.reason)); passed, as no-verdict: pass says")
                case .fail:
                    return CanaryVerdict(passed: false, sample: sample, reason: "no verdict: \(sample.reason) in \(spec.bake.manifestText)")
                case .wait:
                    if elapsed + 0.0005 >= spec.maxBake.seconds {
                        return CanaryVerdict(
                            passed: false, sample: sample, reason: "no verdict: \(sample.reason) in \(spec.maxBake.manifestText) (max-bake)")
                    }
                }
            }
        }
    }

    /// Puts a failed canary back on its previous versions after a resume: targets caught in their
    /// rollback are finished to where they were going; targets still on the new version go back.
    private func rollBackCanary(_ targets: [TargetID], previous: JournalReplay, runner: TargetRunner) async -> [TargetResult] {
        var rolled: [TargetResult] = []
        for target in targets {
            if let flight = previous.inFlight[target] {
                // Caught mid-way: its journal says where it was going.
                let to = flight.version ?? flight.fromVersion
                guard let to else { continue }
                let rollingBack = to != request.version
                ctx.events.emit(.notice(Notice(.warning, "rolling \(target) back to \(to)")))
                var back = await runner.run(
                    target, to: to, fromVersion: flight.fromVersion, baseline: flight.baseline, completed: flight.completed,
                    outcome: rollingBack ? .rolledBack : .updated)
                if rollingBack {
                    if back.outcome == .failed { back.message = "rollback to \(to) failed: \(back.message ?? "")" }
                    rolled.append(back)
                    continue
                }
                // It had not finished its canary update: now it goes back too.
                if back.outcome == .updated { rolled += await rollBack([back], runner: runner) } else { rolled.append(back) }
            } else if let done = previous.finished[target] {
                guard done.outcome == .updated else { continue }
                let result = TargetResult(
                    target: target, outcome: .updated, fromVersion: done.fromVersion, version: done.version, seconds: 0, message: nil,
                    restored: done.restored)
                rolled += await rollBackFailedCanary([result], runner: runner)
            } else if let original = previous.original[target], let from = original.version {
                // Put back where it was before an update began: on its old version already, or (its
                // rollback stopped before it began) on this deploy's.
                let current = try? await ctx.fleet.targets().first { $0.id == target }?.version
                if current == from { continue }
                ctx.events.emit(.notice(Notice(.warning, "rolling \(target) back to \(from)")))
                var back = await runner.run(
                    target, to: from, fromVersion: request.version, baseline: original.baseline, outcome: .rolledBack)
                if back.outcome == .failed { back.message = "rollback to \(from) failed: \(back.message ?? "")" }
                rolled.append(back)
            }
        }
        return rolled
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

    /// Rolls a failed canary back. A target whose previous version nobody knows (a host deployer
    /// never deployed, whose command reports no version) cannot be put back on it: it is taken out
    /// of every pool instead, so the faulty version serves no one, and reported.
    private func rollBackFailedCanary(_ batch: [TargetResult], runner: TargetRunner) async -> [TargetResult] {
        var rolled = await rollBack(batch.filter { $0.fromVersion != nil }, runner: runner)
        for result in batch where result.fromVersion == nil {
            var problems: [String] = []
            for pool in ctx.traffic.pools {
                do {
                    try await ctx.traffic.setState(.maint, of: result.target, in: pool)
                } catch {
                    problems.append("\(pool): \(error)")
                }
            }
            let message =
                "its version before \(request.version) is unknown, so it cannot be rolled back: "
                + (problems.isEmpty
                    ? "taken out of service instead; deploy the previous version to it, then `deployer restore \(request.environment) \(result.target)`"
                    : "taking it out of service failed too (\(problems.joined(separator: "; "))): take it out by hand")
            ctx.events.emit(.notice(Notice(.warning, "\(result.target): \(message)")))
            var out = result
            out.outcome = .failed
            out.restored = false
            out.message = message
            rolled.append(out)
        }
        return rolled
    }

    /// Puts the batch's targets back on the version they had, one at a time.
    private func rollBack(_ batch: [TargetResult], runner: TargetRunner) async -> [TargetResult] {
        var rolled: [TargetResult] = []
        // Pool states from before the deploy: a target that failed its check is out of its pools now,
        // and must go back to where it was, not to where the failure left it.
        let baselines = (try? await journal.records()).flatMap(JournalReplay.init)?.finished
        for result in batch where result.outcome != .interrupted {
            guard let from = result.fromVersion, result.version != from else { continue }
            // Taking it out again must keep the floor and max-unavailable, like any batch: a target
            // that cannot be taken out stays where it is, reported.
            if let state = try? await ctx.readState(), state.isInService(result.target),
                Planner.room(limits: limits, state: state) < 1
            {
                var kept = result
                kept.message = "not rolled back to \(from): taking it out of service now would break min-in-service or max-unavailable"
                ctx.events.emit(.notice(Notice(.warning, "\(result.target): \(kept.message ?? "")")))
                rolled.append(kept)
                continue
            }
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
        case .canaryFailed:
            if let stopReason { steps.append("Stopped: \(stopReason).") }
            steps.append(
                "The canary is back on its previous version; \(notStarted.count) target(s) were not touched. Fix the release, "
                    + "then deploy again.")
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
