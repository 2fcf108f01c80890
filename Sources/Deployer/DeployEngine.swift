public import Foundation
public import Manifests

/// What a deploy is asked to do.
public struct DeployRequest: Sendable {
    public var environment: String
    public var version: String
    public var strategy: Strategy
    /// The environment has a prepare action (`Fleet.prepare` is called before each batch drains).
    public var hasPrepare: Bool
    /// Where `strategy.batch` is written, for messages about it.
    public var batchLocation: SourceLocation?
    public var deployID: String
    /// Who asks (user, host, pid, command); becomes the lock holder.
    public var holder: LockInfo

    public init(
        environment: String, version: String, strategy: Strategy, hasPrepare: Bool,
        batchLocation: SourceLocation? = nil, deployID: String, holder: LockInfo
    ) {
        self.environment = environment
        self.version = version
        self.strategy = strategy
        self.hasPrepare = hasPrepare
        self.batchLocation = batchLocation
        self.deployID = deployID
        self.holder = holder
    }
}

/// The lock is held by someone else.
public struct LockHeld: Error, LocalizedError, CustomStringConvertible, Sendable {
    public var holder: LockInfo
    public init(holder: LockInfo) { self.holder = holder }
    public var description: String {
        let what = holder.manual ? "locked by \(holder.user)" : "\(holder.command) in progress by \(holder.user)"
        let why = holder.message.map { ": \($0)" } ?? ""
        // A manual lock outlives the `lock acquire` that took it: its pid would name a process long gone.
        let pid = holder.manual || holder.pid <= 0 ? "" : " (pid \(holder.pid))"
        return "\(what) on \(holder.host)\(pid) since \(holder.since.formatted(.iso8601))\(why)"
    }
    public var errorDescription: String? { description }
}

/// The rolling-deploy engine: plans, executes batch by batch, resumes and aborts from the journal.
public struct DeployEngine: Sendable {
    public let ctx: DeployContext

    public init(_ ctx: DeployContext) { self.ctx = ctx }

    /// Plans a deploy from the fleet's current state. Changes nothing.
    public func plan(_ request: DeployRequest, mustDeploy: Set<TargetID> = []) async throws -> DeployPlan {
        let state = try await ctx.readState()
        var plan = Planner.plan(
            environment: request.environment, version: request.version, strategy: request.strategy, state: state,
            hasPrepare: request.hasPrepare, healthTiming: ctx.health.timing, mustDeploy: mustDeploy,
            batchLocation: request.batchLocation)
        plan.describe { ctx.fleet.describeUpdate($0, version: request.version) }
        return plan
    }

    /// Takes the lock, plans from fresh state, and rolls the fleet. Throws `LockHeld` when another
    /// deploy holds the lock, and `DeployerError` when the plan has blockers (nothing is changed then).
    /// - Parameter afterLock: runs once the lock is held, before anything else; what it throws is
    ///   rethrown with the lock released and nothing changed (e.g. an unfinished deploy found).
    public func deploy(
        _ request: DeployRequest, journal: any Journal, afterLock: @Sendable () async throws -> Void = {}
    ) async throws -> DeploySummary {
        if let holder = try await ctx.lock.acquire(request.holder) { throw LockHeld(holder: holder) }
        let plan: DeployPlan
        do {
            try await afterLock()
            ctx.events.emit(.lockAcquired(request.holder))
            plan = try await self.plan(request)
        } catch {
            try? await ctx.lock.release(request.holder)
            throw error
        }
        ctx.events.emit(.planned(plan))
        guard plan.blockers.isEmpty else {
            try? await ctx.lock.release(request.holder)
            throw DeployerError(
                "cannot deploy \(request.environment): " + plan.blockers.joined(separator: "; "),
                hint: "Nothing was changed.")
        }
        let skipped = plan.targets.filter { $0.action == .skipCurrent }.map(\.id)
        let started = ctx.clock.now()
        if plan.isNoOp {
            try await ctx.lock.release(request.holder)
            let summary = DeploySummary(
                deployID: request.deployID, environment: request.environment, version: request.version,
                outcome: .nothingToDo, targets: [], skipped: skipped, seconds: 0,
                lowestInService: Planner.servingCounts(try await ctx.readState()).fleet,
                minInService: plan.limits.minInService, nextSteps: [])
            ctx.events.emit(.finished(summary))
            return summary
        }
        var first = JournalRecord(
            at: started, kind: .deployStarted, deployID: request.deployID, environment: request.environment,
            version: request.version, targets: plan.deployOrder, user: request.holder.user,
            host: request.holder.host)
        first.fleetSize = plan.limits.fleetSize
        first.minInService = plan.limits.minInService
        try await journal.append(first)
        let fromVersions = Dictionary(uniqueKeysWithValues: plan.targets.map { ($0.id, $0.version) })
        let run = BatchExecutor(
            ctx: ctx, journal: journal, request: request, limits: plan.limits, fromVersions: fromVersions)
        return try await run.execute(
            queue: plan.deployOrder, resumed: [:], skipped: skipped, started: started)
    }

    /// Carries on with the unfinished deploy that `journal` records: targets it had taken out are
    /// finished first (with the pool states recorded before the deploy touched them), then the rest.
    public func resume(_ request: DeployRequest, journal: any Journal) async throws -> DeploySummary {
        let records = try await journal.records()
        guard let replay = JournalReplay(records), !replay.isFinished else {
            throw DeployerError("there is no unfinished deploy of \(request.environment) to resume")
        }
        try await takeOverLock(replay: replay, holder: request.holder)
        var request = request
        request.version = replay.version
        request.deployID = replay.deployID
        let started = ctx.clock.now()
        try await journal.append(
            JournalRecord(
                at: started, kind: .deployResumed, deployID: replay.deployID, environment: replay.environment,
                version: replay.version, user: request.holder.user, host: request.holder.host))
        let state = try await ctx.readState()
        let limits = Planner.resolveLimits(strategy: request.strategy, state: state)
        var fromVersions: [TargetID: String?] = [:]
        for target in state.targets { fromVersions[target.id] = target.version }
        for (id, flight) in replay.inFlight { fromVersions[id] = flight.fromVersion }
        let inFlightOrder = replay.planned.filter { replay.inFlight[$0] != nil }
        let run = BatchExecutor(
            ctx: ctx, journal: journal, request: request, limits: limits, fromVersions: fromVersions)
        return try await run.execute(
            queue: inFlightOrder + replay.notStarted, resumed: replay.inFlight, skipped: [], started: started,
            previous: replay)
    }

    /// Ends the unfinished deploy that `journal` records: starts nothing new, puts every target it had
    /// taken out back where it was (when that is safe), records the end and releases the lock.
    public func abort(_ request: DeployRequest, journal: any Journal) async throws -> DeploySummary {
        let records = try await journal.records()
        guard let replay = JournalReplay(records), !replay.isFinished else {
            throw DeployerError("there is no unfinished deploy of \(request.environment) to abort")
        }
        // A failed canary, or a deploy being undone by `on-failure: rollback`, was stopped in the
        // middle of putting targets back: ending it here means finishing that, not leaving a faulty
        // version in service.
        var failedCanary = false
        if case .failed = replay.canary { failedCanary = true }
        if failedCanary || replay.rollingBack != nil {
            ctx.events.emit(.notice(Notice(.info, "finishing the rollback the deploy had begun before ending it")))
            return try await resume(request, journal: journal)
        }
        try await takeOverLock(replay: replay, holder: request.holder)
        let started = ctx.clock.now()
        let undo = Undo(ctx: ctx, strategy: request.strategy)
        var results: [TargetResult] = []
        let versions = Dictionary(
            uniqueKeysWithValues: try await ctx.fleet.targets().map { ($0.id, $0.version) })
        for target in replay.planned {
            guard let flight = replay.inFlight[target] else { continue }
            let updateTouched = flight.completed.contains(.update) || flight.current == .update
            let (restored, message) = await undo.restore(target, baseline: flight.baseline, updated: updateTouched)
            let result = TargetResult(
                target: target, outcome: restored ? .aborted : .failed, fromVersion: flight.fromVersion,
                version: versions[target] ?? nil, seconds: 0, message: message, restored: restored)
            try await journal.append(
                JournalRecord(
                    at: ctx.clock.now(), kind: .targetFinished, deployID: replay.deployID, version: result.version,
                    target: target, ok: restored, message: message, fromVersion: flight.fromVersion,
                    outcome: result.outcome.rawValue))
            ctx.events.emit(.targetFinished(result))
            results.append(result)
        }
        try await journal.append(
            JournalRecord(at: ctx.clock.now(), kind: .deployFinished, deployID: replay.deployID, outcome: "aborted"))
        try await ctx.lock.release(request.holder)
        let state = try await ctx.readState()
        let leftOut = results.filter { !$0.restored }.map(\.target)
        let summary = DeploySummary(
            deployID: replay.deployID, environment: replay.environment, version: replay.version, outcome: .aborted,
            targets: results, skipped: [], seconds: ctx.clock.now().timeIntervalSince(started),
            lowestInService: Planner.servingCounts(state).fleet,
            minInService: Planner.resolveLimits(strategy: request.strategy, state: state).minInService,
            nextSteps: leftOut.map {
                "\($0) was left out of service; check it, then `deployer restore \(replay.environment) \($0)`"
            })
        ctx.events.emit(.finished(summary))
        return summary
    }

    /// Takes over the lock of a deploy whose process is gone.
    private func takeOverLock(replay: JournalReplay, holder: LockInfo) async throws {
        guard let current = try await ctx.lock.current() else {
            if let other = try await ctx.lock.acquire(holder) { throw LockHeld(holder: other) }
            return
        }
        guard current.deployID == replay.deployID else { throw LockHeld(holder: current) }
        if current.host == holder.host, ProcessLiveness.isAlive(current.pid), current.pid != holder.pid {
            throw DeployerError(
                "deploy \(replay.deployID) is still running (pid \(current.pid) on \(current.host))",
                hint: "Press Ctrl-C in its terminal, or wait for it to finish.")
        }
        guard try await ctx.lock.takeOver(from: current, to: holder) else {
            throw LockHeld(holder: try await ctx.lock.current() ?? current)
        }
    }
}

/// Whether a process of this machine is still running.
public enum ProcessLiveness {
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        // A killed process nobody has reaped yet (a zombie) still answers kill(0); it is gone all the same.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let state = stat[stat.index(after: close)...].split(separator: " ").first
            return state != "Z" && state != "X"
        }
        return true
    }
}
