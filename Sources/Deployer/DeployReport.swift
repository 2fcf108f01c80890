public import Foundation

/// What happened in one deploy, read from its journal alone (wherever the state lives): who, when,
/// the versions, the outcome; each target's steps on a timeline; the batches; the canary's bakes;
/// and how many targets were in service at every moment, against the floor. Pure.
public struct DeployReport: Sendable, Equatable, Codable {
    /// One step of a target, in seconds from the deploy's start.
    public struct Segment: Sendable, Equatable, Codable {
        /// The step (`drain`, `update`, …); `rollback: true` when it belongs to putting the target back.
        public var step: String
        public var pool: String?
        public var start: Double
        /// Nil when the journal ends before the step did.
        public var end: Double?
        public var ok: Bool?
        public var message: String?
        public var rollback: Bool

        public init(step: String, pool: String?, start: Double, end: Double?, ok: Bool?, message: String?, rollback: Bool) {
            self.step = step
            self.pool = pool
            self.start = start
            self.end = end
            self.ok = ok
            self.message = message
            self.rollback = rollback
        }
    }

    public struct Target: Sendable, Equatable, Codable {
        public var target: String
        public var batch: Int?
        public var fromVersion: String?
        /// Where it ended: its outcome and version (nil outcome: not finished when the journal ends).
        public var outcome: String?
        public var version: String?
        public var message: String?
        public var start: Double?
        public var end: Double?
        public var segments: [Segment]
        /// Seconds out of service (from its first drain to its restore).
        public var outOfService: Double

        public var seconds: Double? { start.flatMap { start in end.map { $0 - start } } }
    }

    public struct Batch: Sendable, Equatable, Codable {
        public var index: Int
        public var targets: [String]
        public var start: Double
        public var end: Double?
    }

    public struct Bake: Sendable, Equatable, Codable {
        public var targets: [String]
        public var start: Double
        public var end: Double?
        public var passed: Bool?
        public var reason: String?
    }

    /// The number of targets in service from `at` on.
    public struct CapacityPoint: Sendable, Equatable, Codable {
        public var at: Double
        public var inService: Int
    }

    public var deployID: String
    public var environment: String
    public var version: String
    /// The versions the targets ran before.
    public var fromVersions: [String]
    public var user: String?
    public var host: String?
    public var startedAt: Date
    public var seconds: Double
    /// `succeeded`, `stopped`, … (nil: the journal ends before the deploy did).
    public var outcome: String?
    public var stopReason: String?
    public var fleetSize: Int?
    public var minInService: Int?
    public var targets: [Target]
    public var batches: [Batch]
    public var bakes: [Bake]
    public var capacity: [CapacityPoint]
    /// Hooks that ran: how they ended.
    public var hooks: [String]
    /// The targets the plan did not deploy (already on the version) are not in the journal: the
    /// capacity counts them as in service throughout.
    public var lowestInService: Int? { capacity.map(\.inService).min() }

    public init?(_ records: [JournalRecord]) {
        guard let first = records.first, first.kind == .deployStarted else { return nil }
        let origin = first.at
        func at(_ record: JournalRecord) -> Double { max(0, record.at.timeIntervalSince(origin)) }
        deployID = first.deployID
        environment = first.environment ?? ""
        version = first.version ?? ""
        user = first.user
        host = first.host
        startedAt = origin
        fleetSize = first.fleetSize
        minInService = first.minInService
        outcome = nil
        stopReason = nil
        hooks = []
        batches = []
        bakes = []
        var rows: [String: Target] = [:]
        var order: [String] = first.targets?.map(\.rawValue) ?? []
        var from: [String: String] = [:]
        var batchOf: [String: Int] = [:]
        // Out-of-service intervals: from the first drain of a run to its restore.
        var outSince: [String: Double] = [:]
        var changes: [(Double, Int)] = []
        // Targets being put back on their previous version (a canary's or a batch's rollback).
        var rollingBack: Set<String> = []
        for record in records.dropFirst() {
            let time = at(record)
            let name = record.target?.rawValue
            switch record.kind {
            case .batchStarted:
                if let index = batches.indices.last, batches[index].end == nil { batches[index].end = time }
                let targets = record.targets?.map(\.rawValue) ?? []
                batches.append(Batch(index: batches.count + 1, targets: targets, start: time, end: nil))
                for target in targets where batchOf[target] == nil { batchOf[target] = batches.count }
            case .batchFinished:
                if let index = batches.indices.last { batches[index].end = time }
            case .targetStarted:
                guard let name else { continue }
                if !order.contains(name) { order.append(name) }
                var row = rows[name] ?? Target(
                    target: name, batch: nil, fromVersion: record.fromVersion, outcome: nil, version: nil, message: nil, start: time,
                    end: nil, segments: [], outOfService: 0)
                if from[name] == nil, let version = record.fromVersion { from[name] = version }
                if let to = record.version, to != version { rollingBack.insert(name) } else { rollingBack.remove(name) }
                row.outcome = nil
                rows[name] = row
            case .stepStarted:
                guard let name, let step = record.step else { continue }
                rows[name, default: Self.empty(name, time)].segments.append(
                    Segment(
                        step: step.rawValue, pool: record.pool?.rawValue, start: time, end: nil, ok: nil, message: nil,
                        rollback: rollingBack.contains(name)))
                if step == .drain, outSince[name] == nil {
                    outSince[name] = time
                    changes.append((time, -1))
                }
            case .stepFinished:
                guard let name, let step = record.step,
                    let index = rows[name]?.segments.lastIndex(where: { $0.step == step.rawValue && $0.pool == record.pool?.rawValue && $0.end == nil })
                else { continue }
                rows[name]?.segments[index].end = time
                rows[name]?.segments[index].ok = record.ok
                rows[name]?.segments[index].message = record.message
                if step == .restore, record.ok == true, let since = outSince.removeValue(forKey: name) {
                    rows[name]?.outOfService += time - since
                    changes.append((time, +1))
                }
            case .targetFinished:
                guard let name else { continue }
                var row = rows[name] ?? Self.empty(name, time)
                row.outcome = record.outcome
                row.version = record.version
                row.message = record.message
                row.end = time
                rows[name] = row
            case .targetReleased:
                guard let name else { continue }
                rows[name]?.outcome = "released"
                rows[name]?.end = time
                if let since = outSince.removeValue(forKey: name) {
                    rows[name]?.outOfService += time - since
                    changes.append((time, +1))
                }
            case .canaryStarted:
                bakes.append(Bake(targets: record.targets?.map(\.rawValue) ?? [], start: time, end: nil, passed: nil, reason: nil))
            case .canaryFinished:
                if let index = bakes.indices.last {
                    bakes[index].end = time
                    bakes[index].passed = record.ok
                    bakes[index].reason = record.message
                }
            case .hookRan:
                if let message = record.message?.split(separator: "\n").first { hooks.append(String(message)) }
            case .deployFinished:
                outcome = record.outcome
                stopReason = record.message
            case .deployInterrupted:
                outcome = "interrupted"
            case .deployResumed, .abortRequested, .deployRollingBack, .deployStarted:
                break
            }
        }
        let end = records.last.map(at) ?? 0
        seconds = end
        for (name, since) in outSince { rows[name]?.outOfService += end - since }
        fromVersions = Set(from.values).sorted()
        targets = order.compactMap { name in
            guard var row = rows[name] else { return nil }
            row.batch = batchOf[name]
            return row
        }
        // Capacity: the fleet (or, without its size, the planned targets) less those out at each moment.
        let size = fleetSize ?? order.count
        var inService = size
        capacity = [CapacityPoint(at: 0, inService: size)]
        for (time, delta) in changes.sorted(by: { $0.0 < $1.0 }) {
            inService += delta
            if let last = capacity.last, last.at == time {
                capacity[capacity.count - 1].inService = inService
            } else {
                capacity.append(CapacityPoint(at: time, inService: inService))
            }
        }
    }

    private static func empty(_ name: String, _ time: Double) -> Target {
        Target(
            target: name, batch: nil, fromVersion: nil, outcome: nil, version: nil, message: nil, start: time, end: nil, segments: [],
            outOfService: 0)
    }
}
