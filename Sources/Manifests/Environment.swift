/// A deployable environment, as loaded and checked from its YAML file (see `docs/environment.md`).
///
/// Everything here is resolved: inventory groups are expanded into targets and load balancers,
/// `{{ var }}` references to inventory host vars are substituted, quantities are typed. What cannot
/// be known without reaching the world (a scale set's instances) stays a description of where to look.
public struct Environment: Sendable, Equatable {
    /// The environment's name (`name:` in the file, or the file name without extension).
    public var name: String
    /// Path of the environment file, as given by the user.
    public var file: String
    public var description: String?
    /// The version to deploy when the command line does not name one.
    public var version: String?
    public var targets: TargetSource
    public var loadBalancers: [LoadBalancerSpec]
    /// Optional step run on every target of a batch before anything in that batch is drained.
    public var prepare: DeployAction?
    public var action: DeployAction
    public var health: HealthCheckSpec
    public var strategy: Strategy
    /// How hosts are reached over SSH (`ssh:`).
    public var ssh = SSHOptions()
    /// Where the deploy state lives (`state:`, or the default for the environment's kind).
    public var state: StateSpec = .local(directory: nil)
    /// No `state:` section: `state` is the default.
    public var stateIsDefault = true
    /// Commands run where deployer runs around a deploy and its batches (`hooks:`).
    public var hooks = HookSpec()
    /// Where notable keys were written, by dotted path (`strategy.batch`, `targets`), for diagnostics
    /// that can only be made once the fleet is known.
    public var locations: [String: SourceLocation]

    public init(
        name: String, file: String, description: String? = nil, version: String? = nil,
        targets: TargetSource, loadBalancers: [LoadBalancerSpec], prepare: DeployAction? = nil,
        action: DeployAction, health: HealthCheckSpec, strategy: Strategy,
        locations: [String: SourceLocation] = [:]
    ) {
        self.name = name
        self.file = file
        self.description = description
        self.version = version
        self.targets = targets
        self.loadBalancers = loadBalancers
        self.prepare = prepare
        self.action = action
        self.health = health
        self.strategy = strategy
        self.locations = locations
    }

    /// The number of targets when it is known without asking a provider (inventory, simulator).
    public var staticTargetCount: Int? {
        switch targets {
        case .simulated(let fleet): return fleet.count
        case .hosts(let hosts): return hosts.targets.count
        case .vmss: return nil
        }
    }
}

/// Where an environment's targets come from.
public enum TargetSource: Sendable, Equatable {
    /// An in-memory fleet for demos and tests.
    case simulated(SimulatedFleetSpec)
    /// Hosts of an Ansible-style inventory group.
    case hosts(HostTargets)
    /// The instances of an Azure VM Scale Set, discovered at run time.
    case vmss(VMSSSpec)
}

/// A simulated fleet: `count` targets named `<prefix>1…N` (zero-padded to the width of N).
public struct SimulatedFleetSpec: Sendable, Equatable {
    /// The most targets a simulated fleet may have (the benchmarks go to 10,000).
    public static let largest = 100_000
    public var count: Int
    public var namePrefix: String
    /// Version every target runs when the simulated fleet is first created.
    public var initialVersion: String
    /// Client sessions open on each target when it starts draining; they end over `sessionDuration`.
    public var sessionsPerTarget: Int
    public var sessionDuration: Duration
    /// Where the simulated fleet (the "world" being deployed to) is kept; nil: this machine's state
    /// directory. A file of its own lets several simulated machines deploy to one fleet.
    public var fleetFile: String?

    public init(
        count: Int, namePrefix: String, initialVersion: String, sessionsPerTarget: Int = 0,
        sessionDuration: Duration = .zero
    ) {
        self.count = count
        self.namePrefix = namePrefix
        self.initialVersion = initialVersion
        self.sessionsPerTarget = sessionsPerTarget
        self.sessionDuration = sessionDuration
    }

    /// The target names, in order.
    public var targetNames: [String] {
        let width = String(count).count
        return (1...max(count, 1)).prefix(count).map { index in
            let digits = String(index)
            return namePrefix + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
    }
}

/// Targets taken from an inventory group.
public struct HostTargets: Sendable, Equatable {
    /// Path of the inventory file, resolved relative to the environment file.
    public var inventory: String
    public var group: String
    public var targets: [HostTarget]

    public init(inventory: String, group: String, targets: [HostTarget]) {
        self.inventory = inventory
        self.group = group
        self.targets = targets
    }
}

/// One host of an inventory, as a deploy target.
public struct HostTarget: Sendable, Equatable {
    /// The name users type (`prod-backend-7`): the `name:` template applied to the host's vars,
    /// or the inventory host name.
    public var name: String
    /// The inventory host name (`10.0.5.10`).
    public var inventoryName: String
    /// Where to connect: `ansible_host`, or the inventory host name.
    public var address: String
    /// The host's variables after Ansible's precedence (all → parent groups → child groups → host).
    public var vars: [String: String]
    public var location: SourceLocation?

    public init(
        name: String, inventoryName: String, address: String, vars: [String: String],
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.inventoryName = inventoryName
        self.address = address
        self.vars = vars
        self.location = location
    }
}

/// An Azure VM Scale Set.
public struct VMSSSpec: Sendable, Equatable {
    /// Subscription id; nil means `AZURE_SUBSCRIPTION_ID` at run time.
    public var subscription: String?
    public var resourceGroup: String
    public var name: String
    /// What an instance that reports no health signal counts as; nil: unhealthy when the scale set
    /// declares a health extension (the signal should be there), healthy otherwise.
    public var missingHealth: MissingHealthPolicy?
    /// How long one Azure operation (an extension update, an instance upgrade, a gateway write) may run.
    public var operationTimeout: Duration

    public init(
        subscription: String?, resourceGroup: String, name: String, missingHealth: MissingHealthPolicy? = nil,
        operationTimeout: Duration = .seconds(30 * 60)
    ) {
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.name = name
        self.missingHealth = missingHealth
        self.operationTimeout = operationTimeout
    }
}

/// What a scale-set instance without a health signal (`vmHealth` absent) counts as.
public enum MissingHealthPolicy: String, Sendable, Equatable, CaseIterable {
    case fail
    case healthy
}

/// A load balancer pool the targets are members of; a deploy takes each target out of every one.
public enum LoadBalancerSpec: Sendable, Equatable {
    case haproxy(HAProxyLoadBalancer)
    case applicationGateway(ApplicationGatewayPool)
    case simulated(SimulatedPoolSpec)

    /// The name shown in plans, status and events.
    public var name: String {
        switch self {
        case .haproxy(let lb): return lb.name
        case .applicationGateway(let pool): return pool.name
        case .simulated(let pool): return pool.name
        }
    }
}

/// One HAProxy instance, reached through its admin socket.
public struct HAProxyLoadBalancer: Sendable, Equatable {
    public var name: String
    /// Admin socket: a Unix socket path, or `ipv4@HOST:PORT` / `ipv6@[HOST]:PORT` for TCP.
    public var socket: String
    /// The inventory host the socket lives on (nil: reachable from where deployer runs).
    public var host: String?
    /// That host's inventory variables (how to reach it over SSH: `ansible_port`, `ansible_user`, …).
    public var hostVars: [String: String]
    /// The backend that holds the targets' servers.
    public var backend: String
    /// HAProxy server name for each target, by target name.
    public var servers: [String: String]
    public var timeout: Duration

    public init(
        name: String, socket: String, host: String?, hostVars: [String: String] = [:], backend: String,
        servers: [String: String], timeout: Duration
    ) {
        self.name = name
        self.socket = socket
        self.host = host
        self.hostVars = hostVars
        self.backend = backend
        self.servers = servers
        self.timeout = timeout
    }
}

/// An Azure Application Gateway backend address pool.
public struct ApplicationGatewayPool: Sendable, Equatable {
    public var name: String
    public var subscription: String?
    public var resourceGroup: String
    public var gateway: String
    public var pool: String

    public init(name: String, subscription: String?, resourceGroup: String, gateway: String, pool: String) {
        self.name = name
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.gateway = gateway
        self.pool = pool
    }
}

/// A simulated load balancer pool holding every target of a simulated fleet.
public struct SimulatedPoolSpec: Sendable, Equatable {
    public var name: String

    public init(name: String) { self.name = name }
}

/// What "update a target" means for an environment.
public enum DeployAction: Sendable, Equatable {
    /// Run a command on the host (`{{ var }}` and `{{ version }}` are substituted per target).
    case run(RunAction)
    /// Ship a compose file with the service's image tag set to the version, then pull and recreate
    /// that service on the host (over SSH).
    case compose(ComposeAction)
    /// Apply the scale set's latest model to the instance (re-running its CustomScript extension).
    case vmssModelUpdate(VMSSModelUpdate)
    /// Simulated update: takes `duration`, fails with probability `failureRate`.
    case simulated(SimulatedUpdate)
}

public struct RunAction: Sendable, Equatable {
    public var command: String
    /// Run through sudo.
    public var become: Bool
    public var timeout: Duration
    /// `local` runs the command where deployer runs; `ssh` on the target host.
    public var connection: Connection

    public enum Connection: String, Sendable, Equatable, CaseIterable {
        case ssh
        case local
    }

    public init(command: String, become: Bool, timeout: Duration, connection: Connection) {
        self.command = command
        self.become = become
        self.timeout = timeout
        self.connection = connection
    }
}

public struct VMSSModelUpdate: Sendable, Equatable {
    /// The extension whose `forceUpdateTag` is bumped so it runs again (e.g. `CustomScript`).
    public var forceUpdateExtension: String?

    public init(forceUpdateExtension: String?) { self.forceUpdateExtension = forceUpdateExtension }
}

public struct SimulatedUpdate: Sendable, Equatable {
    public var duration: Duration
    public var failureRate: Double
    /// Probability that an updated target never becomes healthy.
    public var unhealthyRate: Double

    public init(duration: Duration, failureRate: Double, unhealthyRate: Double = 0) {
        self.duration = duration
        self.failureRate = failureRate
        self.unhealthyRate = unhealthyRate
    }
}

/// How a target is judged healthy after its update.
public enum HealthCheckSpec: Sendable, Equatable {
    /// HTTP GET; healthy when the status is `expectStatus` (default: any 2xx).
    case http(url: String, expectStatus: Int?)
    /// The load balancer's own health check must report the server UP.
    case loadBalancer
    /// The provider's health signal (simulator health, VMSS instance view health).
    case provider
}

/// The rolling policy.
public struct Strategy: Sendable, Equatable {
    /// Batch sizes in order; the last one repeats. `[1, 5, 20%]` is a canary of one, then five,
    /// then 20% at a time.
    public var batches: [Quantity]
    /// Most targets out of service at once, across the fleet and in each pool (default: the largest
    /// batch).
    public var maxUnavailable: Quantity?
    /// Failed targets tolerated before the deploy stops (the failure budget).
    public var maxFailures: Int
    /// Fewest targets that must stay in service in every pool (the floor).
    public var minInService: Quantity
    public var drainTimeout: Duration
    public var healthTimeout: Duration
    public var pause: Duration
    public var onFailure: FailurePolicy
    public var onDrainTimeout: DrainTimeoutPolicy
    /// A canary stage: the first targets go alone and are judged by their traffic before the rest.
    public var canary: CanarySpec?

    public enum FailurePolicy: String, Sendable, Equatable, CaseIterable, Codable {
        /// Stop starting new targets; failed targets stay out of the pools.
        case stop
        /// Stop, and put the current batch back on its previous version.
        case rollbackBatch = "rollback-batch"
        /// Stop, and put every target this deploy updated back on its previous version.
        case rollback
    }

    public enum DrainTimeoutPolicy: String, Sendable, Equatable, CaseIterable, Codable {
        /// The target fails (it is restored, untouched).
        case fail
        /// Carry on with the update although sessions remain.
        case proceed
        /// Cut the remaining sessions (`shutdown sessions`), then carry on.
        case shutdownSessions = "shutdown-sessions"
    }

    public init(
        batches: [Quantity] = [.count(1)], maxUnavailable: Quantity? = nil, maxFailures: Int = 0,
        minInService: Quantity = .count(1), drainTimeout: Duration = .seconds(120),
        healthTimeout: Duration = .seconds(60), pause: Duration = .zero, onFailure: FailurePolicy = .stop,
        onDrainTimeout: DrainTimeoutPolicy = .fail
    ) {
        self.batches = batches
        self.maxUnavailable = maxUnavailable
        self.maxFailures = maxFailures
        self.minInService = minInService
        self.drainTimeout = drainTimeout
        self.healthTimeout = healthTimeout
        self.pause = pause
        self.onFailure = onFailure
        self.onDrainTimeout = onDrainTimeout
    }
}

/// `strategy.canary`: the first targets are deployed alone, then judged against the rest of the fleet
/// (the baseline, still on the old version) by the load balancers' own counters, sampled every
/// `interval` for `bake`; a failed verdict rolls them back.
public struct CanarySpec: Sendable, Equatable {
    /// What to do when the bake ends without `minRequests` canary requests.
    public enum NoVerdict: String, Sendable, Equatable, CaseIterable {
        /// Keep sampling until there are enough requests, up to `maxBake`; then fail.
        case wait
        case pass
        case fail
    }

    /// How many targets go first (a count or a percentage of the fleet).
    public var targets: Quantity
    /// How long the canary is judged.
    public var bake: Duration
    /// How often the counters are sampled.
    public var interval: Duration
    /// Fewest canary requests in the window before any verdict.
    public var minRequests: Int
    /// The canary fails when its error rate (5xx and failed responses, as a fraction) is above this…
    public var maxErrorRate: Double
    /// …and more than this many times the baseline's (when the baseline had requests).
    public var maxErrorRatio: Double
    /// The canary fails when its response time is more than this many times the baseline's (nil: not judged).
    public var maxLatencyRatio: Double?
    public var noVerdict: NoVerdict
    /// With `noVerdict: wait`, the longest the bake may last.
    public var maxBake: Duration
    /// Judge every batch, not only the first.
    public var everyBatch: Bool

    public init(
        targets: Quantity = .count(1), bake: Duration = .seconds(300), interval: Duration = .seconds(30), minRequests: Int = 100,
        maxErrorRate: Double = 0.01, maxErrorRatio: Double = 2, maxLatencyRatio: Double? = 2, noVerdict: NoVerdict = .fail,
        maxBake: Duration? = nil, everyBatch: Bool = false
    ) {
        self.targets = targets
        self.bake = bake
        self.interval = interval
        self.minRequests = minRequests
        self.maxErrorRate = maxErrorRate
        self.maxErrorRatio = maxErrorRatio
        self.maxLatencyRatio = maxLatencyRatio
        self.noVerdict = noVerdict
        self.maxBake = maxBake ?? bake * 3
        self.everyBatch = everyBatch
    }
}

/// The environment file's `ssh:` section; unset values fall back to the process environment and defaults.
public struct SSHOptions: Sendable, Equatable {
    public enum Transport: String, Sendable, Equatable, CaseIterable {
        /// Built in (libssh2): no ssh client needed; ed25519/ECDSA keys, ssh-agent.
        case libssh2
        /// The system `ssh` client: `~/.ssh/config`, ProxyJump, every key type it supports.
        case openssh
    }

    public var transport: Transport = .libssh2
    /// known_hosts file (resolved next to the environment file; `~` expanded).
    public var knownHosts: String?
    public var acceptNewHostKeys: Bool?
    public var connectTimeout: Duration?

    public init() {}
}

/// `hooks:` — shell commands run where deployer runs, in the environment file's directory, at points of
/// a deploy, with what happened in `DEPLOYER_*` variables (see docs/environment.md, "Hooks").
public struct HookSpec: Sendable, Equatable {
    /// Where a hook runs.
    public enum Point: String, Sendable, Equatable, CaseIterable, Codable {
        /// Once the lock is held, before anything is touched; a failure stops the deploy there.
        case preDeploy = "pre-deploy"
        /// Before each batch; a failure stops the deploy before that batch.
        case preBatch = "pre-batch"
        /// After each batch; a failure is a warning.
        case postBatch = "post-batch"
        /// After a deploy that succeeded (exit 0 or 3).
        case postDeploy = "post-deploy"
        /// After a deploy that failed, stopped, was interrupted or aborted, or whose canary failed.
        case onFailure = "on-failure"
    }

    public var commands: [Point: String] = [:]
    /// How long one hook may run before it is stopped (and counts as failed).
    public var timeout: Duration = .seconds(300)

    public init() {}

    public var isEmpty: Bool { commands.isEmpty }
}
