public import Foundation

/// One line of a deploy's journal. Written before and after every step, so that `resume` and `abort`
/// can finish a deploy whose process died at any point.
public struct JournalRecord: Sendable, Equatable, Codable {
    public var seq: Int
    public var at: Date
    public var kind: Kind
    public var deployID: String
    public var environment: String?
    public var version: String?
    public var target: TargetID?
    public var step: Step?
    public var pool: PoolID?
    public var ok: Bool?
    public var message: String?
    public var fromVersion: String?
    /// A target's state in every pool before the deploy touched it (by pool name).
    public var baseline: [String: MemberState]?
    public var targets: [TargetID]?
    public var outcome: String?
    public var user: String?
    public var host: String?
    /// On `deploy-started`: the fleet's size and the floor (min-in-service), for reports.
    public var fleetSize: Int?
    public var minInService: Int?

    public enum Kind: String, Sendable, Equatable, Codable {
        case deployStarted = "deploy-started"
        case deployResumed = "deploy-resumed"
        case batchStarted = "batch-started"
        case targetStarted = "target-started"
        case stepStarted = "step-started"
        case stepFinished = "step-finished"
        case targetFinished = "target-finished"
        /// A target put back where it was before its update began (an interrupt): not started after all.
        case targetReleased = "target-released"
        case batchFinished = "batch-finished"
        /// A canary's bake began (`targets`: the canary).
        case canaryStarted = "canary-started"
        /// Its verdict (`ok`; `message`: the figures that decided).
        case canaryFinished = "canary-finished"
        /// The deploy stopped and `on-failure: rollback` undoes it: every target it updated goes back.
        case deployRollingBack = "deploy-rolling-back"
        /// A hook ran (`step`-less; `message`: which, how it ended, its last lines of output).
        case hookRan = "hook-ran"
        case abortRequested = "abort-requested"
        case deployInterrupted = "deploy-interrupted"
        case deployFinished = "deploy-finished"
    }

    public init(
        seq: Int = 0, at: Date, kind: Kind, deployID: String, environment: String? = nil,
        version: String? = nil, target: TargetID? = nil, step: Step? = nil, pool: PoolID? = nil,
        ok: Bool? = nil, message: String? = nil, fromVersion: String? = nil,
        baseline: [String: MemberState]? = nil, targets: [TargetID]? = nil, outcome: String? = nil,
        user: String? = nil, host: String? = nil
    ) {
        self.seq = seq
        self.at = at
        self.kind = kind
        self.deployID = deployID
        self.environment = environment
        self.version = version
        self.target = target
        self.step = step
        self.pool = pool
        self.ok = ok
        self.message = message
        self.fromVersion = fromVersion
        self.baseline = baseline
        self.targets = targets
        self.outcome = outcome
        self.user = user
        self.host = host
    }
}

/// An append-only record of one deploy.
public protocol Journal: Sendable {
    /// Appends a record, numbering it; returns only once the record is durable (fsync'd for files).
    /// Returns the record's sequence number.
    @discardableResult
    func append(_ record: JournalRecord) async throws -> Int

    /// Every record so far, in order. Changes nothing.
    func records() async throws -> [JournalRecord]
}

/// A journal kept in memory (tests, benchmarks). Records are kept in fixed-size chunks, so a long
/// journal grows without the copy of everything that doubling one array would cost at each step.
public actor InMemoryJournal: Journal {
    private static let chunkSize = 4096
    private var chunks: [[JournalRecord]] = []
    private var count = 0

    public init() {}

    public func append(_ record: JournalRecord) async throws -> Int {
        var record = record
        count += 1
        record.seq = count
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [JournalRecord] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(record)
        return count
    }

    public func records() async throws -> [JournalRecord] { chunks.flatMap { $0 } }
}
