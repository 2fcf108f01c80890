import Foundation
import Manifests

/// Moves one target through drain → wait → update → verify → restore → confirm, journaling before
/// and after every step. A failure leaves the target out of the pools and says so. An abort is
/// honoured between steps. An interrupt (Ctrl-C, SIGTERM, SIGHUP) stops a target that has not reached
/// its update (it is put back where it was and counts as not started), and lets a target whose update
/// has begun finish it, be verified and be restored: stopping there would leave it out of service.
struct TargetRunner: Sendable {
    let ctx: DeployContext
    let journal: any Journal
    let deployID: String
    let strategy: Strategy

    /// Where a stopped target was left.
    enum Stop: Error {
        case interrupted
        case aborted
    }

    struct StepFailure: Error {
        var message: String
        /// The target went back where it was before the deploy (e.g. drain timed out and policy fails).
        var restored: Bool
    }

    /// Runs the target's deploy to `version`.
    /// - Parameters:
    ///   - baseline: its pre-deploy pool states when resuming; read from the pools otherwise.
    ///   - completed: steps a resumed deploy already finished for this target.
    func run(
        _ target: TargetID, to version: String, fromVersion: String?,
        baseline known: [PoolID: MemberState]? = nil, completed: [Step] = [], outcome: TargetResult.Outcome = .updated
    ) async -> TargetResult {
        let started = ctx.clock.now()
        func result(_ outcome: TargetResult.Outcome, _ message: String?, restored: Bool, on: String?) -> TargetResult {
            TargetResult(
                target: target, outcome: outcome, fromVersion: fromVersion, version: on,
                seconds: ctx.clock.now().timeIntervalSince(started), message: message, restored: restored)
        }
        var baseline: [PoolID: MemberState] = [:]
        var updated = completed.contains(.update)
        /// The update was attempted: from then on the target may be broken, and is never put back blindly.
        var touched = updated
        do {
            if let known { baseline = known } else { baseline = try await readBaseline(target) }
            try await journal.append(
                JournalRecord(
                    at: ctx.clock.now(), kind: .targetStarted, deployID: deployID, version: version, target: target,
                    fromVersion: fromVersion, baseline: Dictionary(uniqueKeysWithValues: baseline.map { ($0.key.rawValue, $0.value) })))
            let servingPools = ctx.traffic.pools.filter { baseline[$0] == .ready }

            // A resumed target whose update had begun is finished whatever happens: it may be broken.
            let interruptible = !touched
            for pool in servingPools {
                try await step(target, .drain, pool: pool, interruptible: interruptible) {
                    try await setState(.drain, of: target, in: pool)
                    return nil
                }
            }
            if !servingPools.isEmpty {
                try await step(target, .waitDrained, interruptible: interruptible) {
                    try await waitDrained(target, pools: servingPools, baseline: baseline, interruptible: interruptible)
                }
            }
            try await step(target, .update, interruptible: interruptible) {
                touched = true
                try await ctx.fleet.update(target, to: version)
                return nil
            }
            updated = true
            switch ctx.health.timing {
            case .beforeRestore:
                try await step(target, .verify) { try await verify(target) }
            case .inDrain where servingPools.isEmpty:
                // Left out of every pool as it was: the load balancer does not check it there.
                ctx.events.emit(.notice(Notice(
                    .warning, "\(target): not verified: it serves in no pool, where the load balancer's check would run")))
            case .inDrain:
                do {
                    try await step(target, .verify) {
                        for pool in servingPools { try await setState(.drain, of: target, in: pool) }
                        return try await verify(target)
                    }
                } catch let failure as StepFailure {
                    for pool in servingPools { try? await setState(.maint, of: target, in: pool) }
                    throw StepFailure(message: failure.message + "; taken back out", restored: false)
                }
            }
            if !servingPools.isEmpty {
                try await step(target, .restore) {
                    for pool in servingPools { try await setState(.ready, of: target, in: pool) }
                    return nil
                }
            }
            try await step(target, .confirm) { try await confirm(target, baseline: baseline) }
            let done = result(outcome, nil, restored: true, on: version)
            try await finish(done)
            return done
        } catch Stop.interrupted {
            // Only thrown before the update began: the target runs what it ran, so it goes back where
            // it was and, once back, counts as not started (resume deploys it; abort has nothing to undo).
            let undone = await Undo(ctx: ctx, strategy: strategy).restore(target, baseline: baseline, updated: false)
            if undone.restored {
                _ = try? await journal.append(
                    JournalRecord(
                        at: ctx.clock.now(), kind: .targetReleased, deployID: deployID, target: target,
                        message: "interrupted before its update; put back where it was"))
            }
            let stopped = result(
                .interrupted,
                undone.restored ? "interrupted before its update: put back where it was, not deployed" : "interrupted: \(undone.message)",
                restored: undone.restored, on: fromVersion)
            ctx.events.emit(.targetFinished(stopped))
            return stopped
        } catch Stop.aborted {
            let undone = await Undo(ctx: ctx, strategy: strategy).restore(target, baseline: baseline, updated: updated)
            let aborted = result(
                undone.restored ? .aborted : .failed, undone.message, restored: undone.restored,
                on: updated ? version : fromVersion)
            try? await finish(aborted)
            return aborted
        } catch let failure as StepFailure {
            var failure = failure
            if !touched, !failure.restored {
                // Nothing was updated: put it back in the pools that still answer, and say where it stands.
                let undone = await Undo(ctx: ctx, strategy: strategy).restore(target, baseline: baseline, updated: false)
                failure = StepFailure(message: failure.message + "; " + undone.message, restored: undone.restored)
            }
            let failed = result(
                .failed, failure.message, restored: failure.restored, on: updated ? version : fromVersion)
            try? await finish(failed)
            return failed
        } catch {
            let failed = result(.failed, "\(error)", restored: false, on: updated ? version : fromVersion)
            try? await finish(failed)
            return failed
        }
    }

    // MARK: Steps

    /// Journals and reports a step around `body`. `body` returns an optional note for the user.
    /// - Parameter interruptible: an interrupt stops the target before this step (false from its update on).
    private func step(
        _ target: TargetID, _ step: Step, pool: PoolID? = nil, interruptible: Bool = false,
        _ body: () async throws -> String?
    ) async throws {
        if ctx.control.abortRequested { throw Stop.aborted }
        if interruptible, ctx.control.interruptRequested { throw Stop.interrupted }
        let began = ctx.clock.now()
        try await journal.append(
            JournalRecord(at: began, kind: .stepStarted, deployID: deployID, target: target, step: step, pool: pool))
        ctx.events.emit(.stepStarted(target: target, step: step, pool: pool))
        do {
            let note = try await body()
            let elapsed = Duration.seconds(ctx.clock.now().timeIntervalSince(began))
            try await journal.append(
                JournalRecord(
                    at: ctx.clock.now(), kind: .stepFinished, deployID: deployID, target: target, step: step,
                    pool: pool, ok: true, message: note))
            ctx.events.emit(.stepFinished(target: target, step: step, pool: pool, ok: true, elapsed: elapsed, message: note))
        } catch let stop as Stop {
            throw stop
        } catch {
            let message = (error as? StepFailure)?.message ?? "\(error)"
            let elapsed = Duration.seconds(ctx.clock.now().timeIntervalSince(began))
            _ = try? await journal.append(
                JournalRecord(
                    at: ctx.clock.now(), kind: .stepFinished, deployID: deployID, target: target, step: step,
                    pool: pool, ok: false, message: message))
            ctx.events.emit(.stepFinished(target: target, step: step, pool: pool, ok: false, elapsed: elapsed, message: message))
            if let failure = error as? StepFailure { throw failure }
            throw StepFailure(message: "\(step.rawValue)\(pool.map { " on \($0)" } ?? ""): \(message)", restored: false)
        }
    }

    private func readBaseline(_ target: TargetID) async throws -> [PoolID: MemberState] {
        let members = try await ctx.traffic.members(of: target)
        var baseline: [PoolID: MemberState] = [:]
        for pool in ctx.traffic.pools { baseline[pool] = members[pool]?.state ?? .absent }
        return baseline
    }

    /// Sets a pool state, retrying a failed call twice (the call is idempotent).
    func setState(_ state: MemberState, of target: TargetID, in pool: PoolID) async throws {
        var attempt = 0
        while true {
            do {
                try await ctx.traffic.setState(state, of: target, in: pool)
                return
            } catch {
                attempt += 1
                if attempt >= 3 { throw StepFailure(message: "\(pool): \(error)", restored: false) }
                try await ctx.clock.sleep(for: ctx.pollInterval)
            }
        }
    }

    /// Waits until the target has no sessions in any of `pools`, then takes it out of them (maint).
    private func waitDrained(
        _ target: TargetID, pools: [PoolID], baseline: [PoolID: MemberState], interruptible: Bool
    ) async throws -> String? {
        let timeout = strategy.drainTimeout
        let control = ctx.control
        let open: [(pool: PoolID, sessions: Int?)]
        do {
            open = try await DrainWait(ctx: ctx, timeout: timeout)
                .run(target, pools: pools, stopWhen: { control.abortRequested || (interruptible && control.interruptRequested) })
        } catch is DrainWait.Stopped {
            throw control.abortRequested ? Stop.aborted : Stop.interrupted
        }
        if !open.isEmpty {
            let left = DrainWait.describe(open)
            switch strategy.onDrainTimeout {
            case .fail:
                var restored = true
                for pool in pools where baseline[pool] == .ready {
                    do { try await setState(.ready, of: target, in: pool) } catch { restored = false }
                }
                throw StepFailure(
                    message: "still \(left) after the drain timeout (\(timeout.manifestText)); "
                        + (restored ? "put back untouched" : "could not put it back in every pool"),
                    restored: restored)
            case .proceed:
                ctx.events.emit(.notice(Notice(.warning, "\(target): drain timed out with \(left); updating anyway (on-drain-timeout: proceed)")))
            case .shutdownSessions:
                for (pool, _) in open { try await ctx.traffic.shutdownSessions(of: target, in: pool) }
                ctx.events.emit(.notice(Notice(.warning, "\(target): drain timed out; cut \(left) (on-drain-timeout: shutdown-sessions)")))
            }
        }
        for pool in pools { try await setState(.maint, of: target, in: pool) }
        return nil
    }

    /// Polls the health probe until the target is healthy or the health timeout passes.
    private func verify(_ target: TargetID) async throws -> String? {
        let timeout = strategy.healthTimeout
        let observation = try await HealthWait(ctx: ctx, timeout: timeout).run(target, waitingFor: "\(target) to become healthy")
        guard observation.healthy else {
            throw StepFailure(message: "not healthy after \(timeout.manifestText): \(observation.detail)", restored: false)
        }
        return observation.detail.isEmpty ? nil : observation.detail
    }

    /// Reads the pools back: every pool must show the target as it was before the deploy.
    private func confirm(_ target: TargetID, baseline: [PoolID: MemberState]) async throws -> String? {
        let members = try await ctx.traffic.members(of: target)
        let wrong = ctx.traffic.pools.filter { pool in
            let expected = baseline[pool] ?? .absent
            let actual = members[pool]?.state ?? .absent
            return expected == .ready ? actual != .ready : false
        }
        if !wrong.isEmpty {
            let detail = wrong.map { "\($0): \((members[$0]?.state ?? .absent).rawValue)" }.joined(separator: ", ")
            throw StepFailure(message: "not back in service: \(detail)", restored: false)
        }
        return nil
    }

    private func finish(_ result: TargetResult) async throws {
        try await journal.append(
            JournalRecord(
                at: ctx.clock.now(), kind: .targetFinished, deployID: deployID, version: result.version,
                target: result.target, ok: result.restored, message: result.message, fromVersion: result.fromVersion,
                outcome: result.outcome.rawValue))
        ctx.events.emit(.targetFinished(result))
    }
}

/// Puts a target back where it was before a deploy touched it, when that is safe.
struct Undo: Sendable {
    let ctx: DeployContext
    let strategy: Strategy

    /// Restores `baseline` in every pool if the target was not updated or reports healthy; leaves it
    /// out otherwise. Returns whether it was restored and what happened.
    func restore(_ target: TargetID, baseline: [PoolID: MemberState], updated: Bool) async -> (restored: Bool, message: String) {
        let serving = ctx.traffic.pools.filter { baseline[$0] == .ready }
        // A load balancer's own check runs only while the target is drained: drain it for the check.
        let checkInDrain = ctx.health.timing == .inDrain && !serving.isEmpty
        if updated, ctx.health.timing == .beforeRestore || checkInDrain {
            if checkInDrain { for pool in serving { try? await ctx.traffic.setState(.drain, of: target, in: pool) } }
            // The update may still be running on the provider's side: wait for it, within the health timeout.
            let observation = try? await HealthWait(ctx: ctx, timeout: strategy.healthTimeout, reports: false)
                .run(target, waitingFor: "\(target) to become healthy")
            if observation?.healthy != true {
                if checkInDrain { for pool in serving { try? await ctx.traffic.setState(.maint, of: target, in: pool) } }
                return (false, "left out of service: not healthy (\(observation?.detail ?? "no answer"))")
            }
        }
        var failures: [String] = []
        var back: [String] = []
        for pool in serving {
            do {
                try await ctx.traffic.setState(.ready, of: target, in: pool)
                back.append(pool.rawValue)
            } catch {
                failures.append("\(pool): \(error)")
            }
        }
        if failures.isEmpty { return (true, "put back where it was") }
        return (
            false,
            (back.isEmpty ? "" : "put back in service on \(back.joined(separator: ", ")); ")
                + "could not put it back on " + failures.joined(separator: "; "))
    }
}
