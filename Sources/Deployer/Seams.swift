public import Foundation
public import Manifests

/// The targets of an environment and the means to update them (a simulated fleet, SSH hosts, a VMSS).
public protocol Fleet: Sendable {
    /// Every target, in a stable order, as the provider sees it now. Changes nothing.
    func targets() async throws -> [TargetSnapshot]

    /// Runs the prepare step (e.g. pull the image) on a target that is still in service.
    /// On success the target is unchanged for its users; on failure nothing was taken out.
    func prepare(_ target: TargetID, version: String) async throws

    /// Puts `version` on a target that the engine has taken out of every pool. Returns when the
    /// provider reports the update done; throws when it failed, leaving the target in whatever state
    /// the provider left it (the engine keeps it out of the pools and reports it).
    func update(_ target: TargetID, to version: String) async throws

    /// What `prepare` and `update` will run for a target, one line per command, for the plan
    /// (empty when the provider has nothing more precise to say than "update").
    func describeUpdate(_ target: TargetID, version: String) -> [String]
}

extension Fleet {
    public func describeUpdate(_ target: TargetID, version: String) -> [String] { [] }
}

/// Every load balancer pool of an environment, seen as one.
public protocol TrafficController: Sendable {
    /// The pools, in a stable order. Empty when the environment has no load balancer.
    var pools: [PoolID] { get }

    /// Every target's membership in every pool. Changes nothing.
    func members() async throws -> [TargetID: [PoolID: PoolMember]]

    /// One target's membership in every pool. Changes nothing.
    func members(of target: TargetID) async throws -> [PoolID: PoolMember]

    /// Moves a target to `state` in one pool and confirms it by reading the state back.
    /// On success the pool reports `state` for the target; on failure the state is unknown and the
    /// caller must read it again.
    func setState(_ state: MemberState, of target: TargetID, in pool: PoolID) async throws

    /// Ends the sessions still open on a target in one pool (used when draining timed out and the
    /// policy says so). On success the pool reports no sessions for the target.
    func shutdownSessions(of target: TargetID, in pool: PoolID) async throws
}

extension TrafficController {
    public func members(of target: TargetID) async throws -> [PoolID: PoolMember] {
        try await members()[target] ?? [:]
    }
}

/// A health observation of one target.
public struct HealthObservation: Sendable, Equatable {
    public var healthy: Bool
    /// What was seen, for the user: "HTTP 503", "instance view: HealthState/unhealthy".
    public var detail: String

    public init(healthy: Bool, detail: String) {
        self.healthy = healthy
        self.detail = detail
    }
}

/// Judges whether a target is healthy.
public protocol HealthProbe: Sendable {
    /// When the check can be made: an HTTP or provider check runs while the target is still out of
    /// its pools; a load balancer's own check needs the server drained (checked, but sent no new
    /// traffic) rather than in maintenance.
    var timing: HealthTiming { get }

    /// One observation, without retrying (the engine polls until its deadline). Throws only when the
    /// check itself could not be made.
    func check(_ target: TargetID) async throws -> HealthObservation
}

public enum HealthTiming: Sendable, Equatable {
    /// Checked while the target is out of every pool.
    case beforeRestore
    /// Checked with the target drained in every pool it serves: the engine moves it from maint to
    /// drain, waits until the load balancer's check reports it up, and only then makes it ready.
    case inDrain
}

/// Who holds an environment's deploy lock, and why.
public struct LockInfo: Sendable, Equatable, Codable {
    public var user: String
    public var host: String
    public var pid: Int32
    public var since: Date
    /// The deploy holding it; nil for an operator's manual lock or a single drain/restore.
    public var deployID: String?
    public var command: String
    public var message: String?
    /// Taken by `deployer lock acquire`: never waited on automatically.
    public var manual: Bool

    public init(
        user: String, host: String, pid: Int32, since: Date, deployID: String?, command: String,
        message: String? = nil, manual: Bool = false
    ) {
        self.user = user
        self.host = host
        self.pid = pid
        // Whole seconds: the lock is stored as ISO 8601 text, and must compare equal once read back.
        self.since = Date(timeIntervalSince1970: since.timeIntervalSince1970.rounded(.down))
        self.deployID = deployID
        self.command = command
        self.message = message
        self.manual = manual
    }
}

/// One deploy per environment at a time. Implementations may store the lock remotely so operators on
/// different machines see each other.
public protocol DeployLock: Sendable {
    /// Takes the lock atomically. Returns nil when it was taken, or the current holder when it is held
    /// (the lock is then unchanged).
    func acquire(_ info: LockInfo) async throws -> LockInfo?

    /// Replaces the holder `expected` by `info` atomically (resume/abort taking over a crashed
    /// deploy's lock). Returns false, changing nothing, when the holder is no longer `expected`.
    func takeOver(from expected: LockInfo, to info: LockInfo) async throws -> Bool

    /// Releases the lock if `holder` still holds it; changes nothing otherwise.
    func release(_ holder: LockInfo) async throws

    /// The current holder, if any. Changes nothing.
    func current() async throws -> LockInfo?
}

/// Time, so that tests can run minutes of draining in milliseconds.
public protocol DeployClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Waits `duration`; throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// Wall-clock time.
public struct SystemClock: DeployClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// The environment's hooks (`hooks:`), run where deployer runs.
public protocol DeployHooks: Sendable {
    /// Runs the hook of `point`, if the environment has one, with `variables` added to its
    /// environment; its output lines go to `onLine`. Nil when there is no such hook.
    func run(
        _ point: HookSpec.Point, variables: [String: String], onLine: @escaping @Sendable (String) -> Void
    ) async -> HookRun?
}

/// How a hook ended.
public struct HookRun: Sendable, Equatable {
    public var point: HookSpec.Point
    public var succeeded: Bool
    /// "exit 0 in 0.2 s", "exit 3 in 1.1 s", "stopped at its timeout of 5m", "could not start: …".
    public var status: String
    /// Its last lines of output (at most 4 KiB), for the journal.
    public var tail: String

    public init(point: HookSpec.Point, succeeded: Bool, status: String, tail: String) {
        self.point = point
        self.succeeded = succeeded
        self.status = status
        self.tail = tail
    }

    public var description: String { "\(point.rawValue) hook: \(status)" }
}
