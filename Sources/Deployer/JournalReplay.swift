/// What a journal says about its deploy: the fold of its records. Pure.
public struct JournalReplay: Sendable, Equatable {
    public var deployID: String
    public var environment: String
    public var version: String
    /// Targets the deploy planned to deploy, in order.
    public var planned: [TargetID]
    /// Targets that reached an end, with their outcome and the version they ended on.
    public var finished: [TargetID: FinishedTarget]
    /// Targets started and not finished, with their pre-deploy pool states.
    public var inFlight: [TargetID: InFlightTarget]
    /// The deploy reached its end (finished, stopped or aborted).
    public var isFinished: Bool
    public var outcome: String?
    public var abortRequested: Bool
    /// The targets of the first batch the deploy started (the canary, when there is one).
    public var firstBatch: [TargetID]?
    /// The deploy stopped and is being undone (`on-failure: rollback`), for this reason.
    public var rollingBack: String?
    /// Where the canary stands, when a bake began.
    public var canary: CanaryPhase?
    /// Each target's version and pool states before this deploy first touched it.
    public var original: [TargetID: OriginalTarget] = [:]

    public struct OriginalTarget: Sendable, Equatable {
        public var version: String?
        public var baseline: [PoolID: MemberState]
    }

    public enum CanaryPhase: Sendable, Equatable {
        /// Baking when the journal ends: judged again from the start.
        case baking([TargetID])
        /// Passed: the deploy carries on.
        case passed([TargetID])
        /// Failed: the canary is rolled back and the deploy ends.
        case failed([TargetID], reason: String)
    }

    public struct FinishedTarget: Sendable, Equatable {
        public var outcome: TargetResult.Outcome
        public var version: String?
        public var fromVersion: String?
        /// Whether it went back to its baseline in every pool.
        public var restored: Bool
        public var baseline: [PoolID: MemberState]
    }

    public struct InFlightTarget: Sendable, Equatable {
        public var baseline: [PoolID: MemberState]
        public var fromVersion: String?
        /// The version it was being moved to (the deploy's, or its previous one in a rollback).
        public var version: String?
        /// Steps that finished successfully, in order.
        public var completed: [Step]
        /// The step started and not finished when the journal ends.
        public var current: Step?
    }

    /// Folds records; nil when they do not start with `deploy-started`.
    public init?(_ records: [JournalRecord]) {
        guard let first = records.first, first.kind == .deployStarted else { return nil }
        deployID = first.deployID
        environment = first.environment ?? ""
        version = first.version ?? ""
        planned = first.targets ?? []
        finished = [:]
        inFlight = [:]
        isFinished = false
        abortRequested = false
        for record in records.dropFirst() { apply(record) }
    }

    private mutating func apply(_ record: JournalRecord) {
        switch record.kind {
        case .deployStarted, .batchFinished, .deployInterrupted, .hookRan:
            break
        case .batchStarted:
            if firstBatch == nil { firstBatch = record.targets ?? [] }
        case .deployRollingBack:
            rollingBack = record.message ?? "the deploy stopped"
        case .canaryStarted:
            canary = .baking(record.targets ?? [])
        case .canaryFinished:
            let targets = record.targets ?? []
            canary = record.ok == true ? .passed(targets) : .failed(targets, reason: record.message ?? "the canary failed")
        case .deployResumed:
            isFinished = false
        case .abortRequested:
            abortRequested = true
        case .targetStarted:
            guard let target = record.target else { return }
            if original[target] == nil { original[target] = OriginalTarget(version: record.fromVersion, baseline: Self.pools(record.baseline)) }
            finished[target] = nil
            inFlight[target] = InFlightTarget(
                baseline: Self.pools(record.baseline), fromVersion: record.fromVersion, version: record.version, completed: [],
                current: nil)
        case .stepStarted:
            guard let target = record.target else { return }
            inFlight[target]?.current = record.step
        case .stepFinished:
            guard let target = record.target, let step = record.step else { return }
            inFlight[target]?.current = nil
            if record.ok == true { inFlight[target]?.completed.append(step) }
        case .targetFinished:
            guard let target = record.target else { return }
            let outcome = record.outcome.flatMap(TargetResult.Outcome.init(rawValue:)) ?? .failed
            let flight = inFlight.removeValue(forKey: target)
            finished[target] = FinishedTarget(
                outcome: outcome, version: record.version, fromVersion: record.fromVersion ?? flight?.fromVersion,
                restored: record.ok ?? false, baseline: flight?.baseline ?? Self.pools(record.baseline))
        case .targetReleased:
            guard let target = record.target else { return }
            inFlight[target] = nil
            finished[target] = nil
        case .deployFinished:
            isFinished = true
            outcome = record.outcome
        }
    }

    /// Planned targets that have not been started, in order.
    public var notStarted: [TargetID] {
        planned.filter { finished[$0] == nil && inFlight[$0] == nil }
    }

    private static func pools(_ baseline: [String: MemberState]?) -> [PoolID: MemberState] {
        Dictionary(uniqueKeysWithValues: (baseline ?? [:]).map { (PoolID($0.key), $0.value) })
    }
}
