import Foundation
import Synchronization

/// Everything the engine works with, passed as one value: the seams, the clock, where events go.
public struct DeployContext: Sendable {
    public var fleet: any Fleet
    public var traffic: any TrafficController
    public var health: any HealthProbe
    public var lock: any DeployLock
    public var clock: any DeployClock
    public var events: any EventSink
    public var control: DeployControl
    /// How often bounded waits poll.
    public var pollInterval: Duration
    /// The targets' traffic, for canary verdicts (nil where the provider has no statistics).
    public var metrics: (any TrafficMetrics)?
    /// The environment's batch hooks (nil: none).
    public var hooks: (any DeployHooks)?

    public init(
        fleet: any Fleet, traffic: any TrafficController, health: any HealthProbe, lock: any DeployLock,
        clock: any DeployClock = SystemClock(), events: any EventSink = DiscardingEventSink(),
        control: DeployControl = DeployControl(), pollInterval: Duration = .milliseconds(500),
        metrics: (any TrafficMetrics)? = nil, hooks: (any DeployHooks)? = nil
    ) {
        self.metrics = metrics
        self.hooks = hooks
        self.fleet = fleet
        self.traffic = traffic
        self.health = health
        self.lock = lock
        self.clock = clock
        self.events = events
        self.control = control
        self.pollInterval = pollInterval
    }

    /// Reads the fleet and every pool.
    public func readState() async throws -> FleetState {
        async let targets = fleet.targets()
        async let members = traffic.members()
        return FleetState(targets: try await targets, pools: traffic.pools, members: try await members)
    }
}

/// Requests that reach a running deploy from outside: a signal (interrupt), or `deployer abort` from
/// any machine (the CLI watches the deploy state for it). The engine looks at them between steps.
public final class DeployControl: Sendable {
    private let flags = Mutex<(interrupt: Bool, abort: Bool)>((false, false))

    public init() {}

    /// Stop safely: start nothing new, put back targets not yet updated, finish the ones updating.
    public func requestInterrupt() { flags.withLock { $0.interrupt = true } }
    /// Start nothing new, put back what is out, release the lock.
    public func requestAbort() { flags.withLock { $0.abort = true } }

    public var interruptRequested: Bool { flags.withLock { $0.interrupt } }
    public var abortRequested: Bool { flags.withLock { $0.abort } }
}
