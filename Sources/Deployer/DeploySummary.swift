import Foundation

/// How one target ended.
public struct TargetResult: Sendable, Equatable, Codable {
    public var target: TargetID
    public var outcome: Outcome
    public var fromVersion: String?
    /// The version it runs now, as far as the engine knows.
    public var version: String?
    /// Seconds spent on this target.
    public var seconds: Double
    public var message: String?
    /// Whether it is back where it was in every pool.
    public var restored: Bool

    public enum Outcome: String, Sendable, Equatable, Codable {
        /// On the new version and back where it was in every pool.
        case updated
        /// Something failed; `message` says what; `restored` says whether it was put back.
        case failed
        /// Put back on its previous version by a batch rollback.
        case rolledBack = "rolled-back"
        /// Stopped by an abort: put back where it was, on `version`.
        case aborted
        /// Stopped by an interrupt mid-way; `resume` or `abort` finishes it.
        case interrupted
    }

    public init(
        target: TargetID, outcome: Outcome, fromVersion: String?, version: String?, seconds: Double,
        message: String?, restored: Bool
    ) {
        self.target = target
        self.outcome = outcome
        self.fromVersion = fromVersion
        self.version = version
        self.seconds = seconds
        self.message = message
        self.restored = restored
    }
}

/// The end of a deploy, resume or abort.
public struct DeploySummary: Sendable, Equatable, Codable {
    public var deployID: String
    public var environment: String
    public var version: String
    public var outcome: Outcome
    public var targets: [TargetResult]
    public var skipped: [TargetID]
    public var seconds: Double
    /// The fewest targets in service at any moment of the deploy, as the engine accounted them.
    public var lowestInService: Int
    public var minInService: Int
    /// What the user should do next, when anything.
    public var nextSteps: [String]

    public enum Outcome: String, Sendable, Equatable, Codable {
        case succeeded
        /// Finished, but some targets failed within the failure budget.
        case completedWithFailures = "completed-with-failures"
        /// Stopped: the failure budget was exceeded or capacity ran out.
        case stopped
        /// The canary's traffic failed its verdict: it was rolled back, the rest left untouched.
        case canaryFailed = "canary-failed"
        case interrupted
        case aborted
        case nothingToDo = "nothing-to-do"
    }

    public init(
        deployID: String, environment: String, version: String, outcome: Outcome, targets: [TargetResult],
        skipped: [TargetID], seconds: Double, lowestInService: Int, minInService: Int, nextSteps: [String]
    ) {
        self.deployID = deployID
        self.environment = environment
        self.version = version
        self.outcome = outcome
        self.targets = targets
        self.skipped = skipped
        self.seconds = seconds
        self.lowestInService = lowestInService
        self.minInService = minInService
        self.nextSteps = nextSteps
    }

    public var failed: [TargetResult] { targets.filter { $0.outcome == .failed } }
}
