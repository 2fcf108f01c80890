public import Deployer
public import HAProxy
public import Manifests

/// Wires an environment of inventory hosts behind HAProxy into a deploy context: the deploy command
/// run where deployer runs, each HAProxy reached through the transport `connect` makes for it.
public enum InventoryHostsProvider {
    /// Why an environment cannot be wired; `badInput` when the file itself is wrong.
    public struct SetupError: Error, CustomStringConvertible {
        public var message: String
        public var badInput: Bool
        public var description: String { message }
    }

    /// The default transport: the admin socket must be on this machine (a path, or a TCP address).
    public static func localTransport(_ spec: HAProxyLoadBalancer) throws -> any RuntimeTransport {
        if let host = spec.host, !isLoopback(host) {
            throw SetupError(
                message: "the admin socket of \(spec.name) (\(spec.socket)) is on host \(host); this version of deployer "
                    + "reaches only admin sockets on this machine, not over SSH",
                badInput: false)
        }
        do {
            return SocketTransport(try RuntimeEndpoint(parsing: spec.socket))
        } catch {
            throw SetupError(message: "\(spec.name): \(error.message)", badInput: true)
        }
    }

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// - Parameters:
    ///   - versionFile: where the versions deployer put on each host are kept.
    ///   - version: the version being deployed, for `{{ version }}` in health URLs.
    public static func context(
        _ environment: Environment, hosts: HostTargets, lock: any DeployLock, events: any EventSink,
        control: DeployControl, versionFile: String, version: String?,
        connect: (HAProxyLoadBalancer) throws -> any RuntimeTransport = localTransport
    ) throws -> DeployContext {
        let name = environment.name
        guard case .run(let action) = environment.action else {
            throw SetupError(message: "\(name): inventory hosts are updated with `deploy.run`", badInput: true)
        }
        var prepare: RunAction?
        if case .run(let step) = environment.prepare { prepare = step }
        for step in [action] + (prepare.map { [$0] } ?? []) where step.connection == .ssh {
            throw SetupError(
                message: "\(name) runs its deploy command over SSH (`connection: ssh`, the default); this version of "
                    + "deployer runs commands only where it runs (`connection: local`) and cannot reach hosts over SSH "
                    + "yet. `deployer validate \(environment.file)` checks the environment meanwhile.",
                badInput: false)
        }
        var pools: [HAProxyPool] = []
        for balancer in environment.loadBalancers {
            guard case .haproxy(let spec) = balancer else {
                throw SetupError(
                    message: "\(name): load balancer \(balancer.name) is not HAProxy; inventory hosts can only sit behind "
                        + "HAProxy in this version",
                    badInput: false)
            }
            do {
                pools.append(try HAProxyPool(spec, transport: try connect(spec)))
            } catch let error as HAProxyError {
                throw SetupError(message: "\(environment.file): \(error.message)", badInput: true)
            }
        }
        let traffic = HAProxyTrafficController(pools, events: events)
        let fleet = LocalHostFleet(
            hosts: hosts.targets, action: action, prepare: prepare, versions: VersionRecord(path: versionFile))
        let health: any HealthProbe
        switch environment.health {
        case .http(let url, let expect):
            health = HTTPHealthProbe(template: url, expectStatus: expect, hosts: hosts.targets, version: version ?? "")
        case .loadBalancer:
            health = LoadBalancerHealthProbe(traffic: traffic)
        case .provider:
            throw SetupError(
                message: "\(name): inventory hosts have no provider health signal; use `health.http` or "
                    + "`health.load-balancer: true`",
                badInput: true)
        }
        // Drains are observed, not guessed: poll often enough to see the last session end within ~50 ms.
        return DeployContext(
            fleet: fleet, traffic: traffic, health: health, lock: lock, events: events, control: control,
            pollInterval: .milliseconds(50))
    }
}
