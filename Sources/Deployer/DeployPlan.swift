/// What a deploy will do, computed from an environment's strategy and the fleet's current state.
/// A plan is data: `deployer plan` prints it, `deploy` executes it, tests compare it for equality.
public struct DeployPlan: Sendable, Equatable, Codable {
    public var environment: String
    public var version: String
    public var pools: [PoolID]
    /// Every target of the fleet, in fleet order, with what the deploy will do to it.
    public var targets: [PlannedTarget]
    /// Targets to deploy, batch by batch, with absolute sizes.
    public var batches: [[TargetID]]
    /// The steps every deployed target goes through, in order.
    public var steps: [Step]
    public var limits: Limits
    /// Why the deploy cannot start or cannot finish; a plan with blockers is refused by `deploy`.
    public var blockers: [String]
    /// Things the user should know (targets already out of service, batches shrunk by capacity).
    public var notes: [String]
    /// The commands the update runs, with the targets they run for (targets with the same commands
    /// share an entry); empty when the provider does not describe its updates.
    public var commands: [TargetCommands] = []

    public init(
        environment: String, version: String, pools: [PoolID], targets: [PlannedTarget],
        batches: [[TargetID]], steps: [Step], limits: Limits, blockers: [String], notes: [String]
    ) {
        self.environment = environment
        self.version = version
        self.pools = pools
        self.targets = targets
        self.batches = batches
        self.steps = steps
        self.limits = limits
        self.blockers = blockers
        self.notes = notes
    }

    /// Attaches each deployed target's commands, grouping targets whose commands are the same.
    public mutating func describe(_ describe: (TargetID) -> [String]) {
        commands = []
        for target in deployOrder {
            let lines = describe(target)
            guard !lines.isEmpty else { continue }
            if let index = commands.firstIndex(where: { $0.commands == lines }) {
                commands[index].targets.append(target)
            } else {
                commands.append(TargetCommands(targets: [target], commands: lines))
            }
        }
    }

    /// The targets that will be deployed, in order.
    public var deployOrder: [TargetID] { batches.flatMap { $0 } }

    /// Nothing to deploy: every target is already on the version.
    public var isNoOp: Bool { batches.isEmpty && blockers.isEmpty }
}

public struct PlannedTarget: Sendable, Equatable, Codable {
    public var id: TargetID
    public var version: String?
    public var inService: Bool
    public var action: Action

    public enum Action: String, Sendable, Equatable, Codable {
        case deploy
        /// Already on the desired version (and not left behind by an unfinished deploy).
        case skipCurrent = "skip-current"
        /// Capacity does not allow taking it out.
        case blocked
    }

    public init(id: TargetID, version: String?, inService: Bool, action: Action) {
        self.id = id
        self.version = version
        self.inService = inService
        self.action = action
    }
}

/// The absolute numbers a strategy resolves to on this fleet.
public struct Limits: Sendable, Equatable, Codable {
    public var fleetSize: Int
    public var batchSizes: [Int]
    public var maxUnavailable: Int
    /// The floor: fewest targets in service in every pool.
    public var minInService: Int
    public var maxFailures: Int
    /// Targets out of service before the deploy starts.
    public var alreadyOut: [TargetID]

    public init(
        fleetSize: Int, batchSizes: [Int], maxUnavailable: Int, minInService: Int, maxFailures: Int,
        alreadyOut: [TargetID]
    ) {
        self.fleetSize = fleetSize
        self.batchSizes = batchSizes
        self.maxUnavailable = maxUnavailable
        self.minInService = minInService
        self.maxFailures = maxFailures
        self.alreadyOut = alreadyOut
    }
}

/// One step of a target's deploy.
public enum Step: String, Sendable, Equatable, Codable, CaseIterable {
    /// Run the environment's prepare action while the target still serves.
    case prepare
    /// Stop new traffic to the target in one pool.
    case drain
    /// Wait until its sessions end in every pool (bounded by the drain timeout), then take it out.
    case waitDrained = "wait-drained"
    case update
    /// Wait until it reports healthy (bounded by the health timeout).
    case verify
    /// Put it back in each pool as it was before the deploy.
    case restore
    /// Read the pools back and confirm it is where it should be.
    case confirm
}

/// Commands the update runs on some targets.
public struct TargetCommands: Sendable, Equatable, Codable {
    public var targets: [TargetID]
    public var commands: [String]

    public init(targets: [TargetID], commands: [String]) {
        self.targets = targets
        self.commands = commands
    }
}
