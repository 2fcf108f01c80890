public import Deployer
public import HAProxy
public import Manifests

/// Wires an environment of inventory hosts behind HAProxy into a deploy context: the deploy command
/// run on each host over SSH (or where deployer runs, `connection: local`), each HAProxy reached
/// through its admin socket, on its host over SSH or from here.
public enum InventoryHostsProvider {
    /// Why an environment cannot be wired; `badInput` when the file itself is wrong.
    public struct SetupError: Error, CustomStringConvertible {
        public var message: String
        public var badInput: Bool
        public var description: String { message }
    }

    /// How each HAProxy's admin socket is reached: on its inventory host over SSH (`hosts:` form), or
    /// from where deployer runs (`name:` form: a path on this machine, or a TCP address).
    public static func transport(_ spec: HAProxyLoadBalancer, shell: any RemoteShell) throws -> any RuntimeTransport {
        let endpoint: RuntimeEndpoint
        do {
            endpoint = try RuntimeEndpoint(parsing: spec.socket)
        } catch {
            throw SetupError(message: "\(spec.name): \(error.message)", badInput: true)
        }
        guard let host = spec.host else { return SocketTransport(endpoint) }
        return shell.transport(to: endpoint, on: RemoteHost(address: host, vars: spec.hostVars))
    }

    /// - Parameters:
    ///   - versions: the deploy state that keeps the versions deployer put on each host.
    ///   - version: the version being deployed, for `{{ version }}` in health URLs.
    ///   - connect: the transport to each HAProxy (default: `transport(_:shell:)`).
    public static func context(
        _ environment: Environment, hosts: HostTargets, lock: any DeployLock, events: any EventSink,
        control: DeployControl, versions: StateStore, version: String?, ssh settings: SSHSettings,
        connections: SSHConnections = SSHConnections(),
        connect: ((HAProxyLoadBalancer) throws -> any RuntimeTransport)? = nil
    ) throws -> DeployContext {
        let name = environment.name
        guard let action = HostAction(environment.action) else {
            throw SetupError(message: "\(name): inventory hosts are updated with `deploy.run` or `deploy.compose`", badInput: true)
        }
        let prepare = environment.prepare.flatMap(HostAction.init)
        if environment.prepare != nil, prepare == nil {
            throw SetupError(message: "\(name): inventory hosts are prepared with `prepare.run` or `prepare.compose`", badInput: true)
        }
        // The command line and the loader refuse such a version first; this guards other callers.
        if let version, let problem = DeployVersion.problem(version) {
            throw SetupError(message: "\(name): \(problem)", badInput: true)
        }
        let shell: any RemoteShell =
            switch settings.transport {
            case .libssh2: LibSSH2Shell(connections: connections, settings: settings)
            case .openssh: OpenSSHShell(settings: settings)
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
                let transport = try connect?(spec) ?? transport(spec, shell: shell)
                pools.append(try HAProxyPool(spec, transport: transport))
            } catch let error as HAProxyError {
                throw SetupError(message: "\(environment.file): \(error.message)", badInput: true)
            }
        }
        let traffic = HAProxyTrafficController(pools, events: events)
        let fleet = HostFleet(
            hosts: hosts.targets, action: action, prepare: prepare, versions: versions,
            remote: SSHCommandRunner(shell: shell), events: events)
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
            pollInterval: .milliseconds(50), metrics: pools.isEmpty ? nil : traffic)
    }
}
