/// What the engine reports as it works. Renderers turn these into a live view, plain lines or JSON.
public enum DeployEvent: Sendable {
    case planned(DeployPlan)
    case lockAcquired(LockInfo)
    case batchStarted(index: Int, count: Int, targets: [TargetID])
    case stepStarted(target: TargetID, step: Step, pool: PoolID?)
    /// A bounded wait in progress: "waiting for web-3 to drain on lb-1 (12 s of 120 s, 3 sessions)".
    case waiting(target: TargetID, step: Step, waitingFor: String, elapsed: Duration, timeout: Duration, detail: String)
    case stepFinished(target: TargetID, step: Step, pool: PoolID?, ok: Bool, elapsed: Duration, message: String?)
    case targetFinished(TargetResult)
    case batchFinished(index: Int)
    case pausing(Duration)
    /// A canary began baking: its targets, against how many baseline targets, for how long.
    case canaryStarted(targets: [TargetID], baseline: [TargetID], bake: Duration)
    /// One sample of the bake, with the figures.
    case canarySample(CanarySample)
    case canaryFinished(CanaryVerdict)
    case notice(Notice)
    /// A line the deploy command printed on a target, as it printed it.
    case output(target: TargetID, line: String)
    case finished(DeploySummary)
}

public struct Notice: Sendable, Equatable {
    public enum Level: String, Sendable { case info, warning }
    public var level: Level
    public var message: String
    public init(_ level: Level, _ message: String) {
        self.level = level
        self.message = message
    }
}

/// Receives the engine's events. Called from many tasks at once; implementations serialise.
public protocol EventSink: Sendable {
    func emit(_ event: DeployEvent)
}

/// Drops every event (benchmarks, tests that assert on state only).
public struct DiscardingEventSink: EventSink {
    public init() {}
    public func emit(_ event: DeployEvent) {}
}
