import Deployer
import Foundation
import Manifests
import Providers

/// A simulated fleet on a virtual clock, with the engine wired to it.
struct SimulatedRig {
    let world: SimulatedWorld
    let journal: InMemoryJournal
    let lock: InMemoryDeployLock
    let clock: VirtualClock
    let control: DeployControl
    let engine: DeployEngine
    let strategy: Strategy

    init(
        count: Int = 6, pools: [PoolID] = ["lb-1", "lb-2"], version: String = "v1", strategy: Strategy,
        faults: SimulatedFaults = SimulatedFaults(), sessions: Int = 0, sessionSeconds: Double = 0,
        prepared: SimulatedFleetState? = nil, events: (DeployControl) -> any EventSink = { _ in DiscardingEventSink() }
    ) {
        let clock = VirtualClock()
        let names = (1...count).map { String(format: "web-%02d", $0) }
        let state =
            prepared
            ?? SimulatedFleetState(
                names: names, version: version, pools: pools, sessionsPerTarget: sessions, sessionSeconds: sessionSeconds)
        let floor = strategy.minInService.resolve(of: count, rounding: .down)
        let world = SimulatedWorld(state: state, clock: clock, faults: faults, floor: floor)
        let lock = InMemoryDeployLock()
        let control = DeployControl()
        self.world = world
        self.journal = InMemoryJournal()
        self.lock = lock
        self.clock = clock
        self.control = control
        self.strategy = strategy
        self.engine = DeployEngine(
            DeployContext(
                fleet: world, traffic: world, health: world, lock: lock, clock: clock, events: events(control),
                control: control, pollInterval: .seconds(1), metrics: world))
    }

    func request(_ version: String = "v2", id: String = "d1") -> DeployRequest {
        DeployRequest(
            environment: "sim", version: version, strategy: strategy, hasPrepare: false, deployID: id,
            holder: LockInfo(user: "test", host: "here", pid: 1, since: Date(timeIntervalSince1970: 0), deployID: id, command: "deploy"))
    }
}
