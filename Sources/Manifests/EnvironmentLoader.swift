import Foundation

/// Loads an environment file (see `docs/environment.md`) into an `Environment`, checking everything
/// that can be checked without reaching the world, and reporting every problem at once.
public enum EnvironmentLoader {
    static let topKeys = [
        "name", "description", "version", "targets", "load-balancers", "deploy", "prepare", "health", "strategy", "ssh",
        "state", "hooks",
    ]

    /// Loads and checks the environment file at `path`; its inventory, if any, is loaded and checked too.
    ///
    /// - Returns: the environment and the warnings found.
    /// - Throws: all diagnostics (errors and warnings) when at least one is an error.
    public static func load(path: String) throws(ManifestError) -> (environment: Environment, warnings: [Diagnostic]) {
        let (environment, diagnostics) = check(path: path)
        guard let environment, !diagnostics.containsErrors else {
            throw ManifestError(diagnostics: diagnostics)
        }
        return (environment, Diagnostic.ordered(diagnostics))
    }

    /// The environment (nil when it has errors) and every diagnostic.
    static func check(path: String) -> (Environment?, [Diagnostic]) {
        switch ManifestFile.read(path) {
        case .failure(let error): return (nil, error.diagnostics)
        case .success(let text): return check(text: text, path: path)
        }
    }

    static func check(text: String, path: String) -> (Environment?, [Diagnostic]) {
        let (root, yamlDiagnostics) = YAMLParser.parse(text, file: path)
        var builder = EnvironmentBuilder(file: path)
        builder.reader.diagnostics = yamlDiagnostics
        guard let root else {
            if yamlDiagnostics.isEmpty {
                builder.reader.error("the environment file is empty", at: SourceLocation(file: path, line: 1, column: 1), rule: "empty-file")
            }
            return (nil, builder.reader.diagnostics)
        }
        let environment = builder.build(root)
        return (builder.reader.hasErrors ? nil : environment, builder.reader.diagnostics)
    }
}

/// The state of one load: what has been read so far, and the diagnostics.
struct EnvironmentBuilder {
    let file: String
    var reader = ManifestReader()
    var locations: [String: SourceLocation] = [:]
    var inventory: Inventory?
    /// The variables templates written for targets can see, one scope per target.
    var targetScopes: [TemplateScope] = []
    var targetNames: [String]?

    init(file: String) { self.file = file }

    mutating func build(_ root: YAMLNode) -> Environment? {
        guard let pairs = reader.mapping(root, "the environment file") else { return nil }
        reader.checkKeys(pairs, allowed: EnvironmentLoader.topKeys, in: "")
        func value(_ key: String) -> YAMLPair? { pairs.last { $0.key == key } }
        for pair in pairs where ["targets", "strategy", "load-balancers", "deploy", "prepare", "health"].contains(pair.key) {
            locations[pair.key] = pair.keyLocation
        }

        let defaultName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let name = value("name").flatMap { reader.string($0.value, "name") } ?? defaultName
        let description = value("description").flatMap { reader.string($0.value, "description") }
        let versionPair = value("version")
        let version = versionPair.flatMap { reader.string($0.value, "version") }
        if let version, let versionPair, let problem = DeployVersion.problem(version) {
            reader.error("`version`: \(problem)", at: versionPair.value.location, rule: "invalid-version")
        }

        let targets = reader.required("targets", in: pairs, at: root.location, path: "").flatMap { readTargets($0) }
        let loadBalancers = value("load-balancers").map { readLoadBalancers($0.value, targets: targets) } ?? []
        let action = reader.required("deploy", in: pairs, at: root.location, path: "").flatMap {
            readAction($0, "deploy", targets: targets)
        }
        let prepare = value("prepare").flatMap { readAction($0.value, "prepare", targets: targets) }
        let health: HealthCheckSpec? =
            if let pair = value("health") {
                readHealth(pair.value, loadBalancers: loadBalancers, targets: targets)
            } else {
                defaultHealth(targets: targets)
            }
        let fleetSize: Int? = switch targets {
            case .simulated(let fleet): fleet.count
            case .hosts(let hosts): hosts.targets.count
            case .vmss, nil: nil
        }
        let strategy = value("strategy").map { readStrategy($0.value, fleetSize: fleetSize) } ?? Strategy()
        if value("strategy") == nil, let fleetSize {
            checkFleet(Strategy(), fleetSize: fleetSize, batchLocation: locations["targets"])
        }
        if strategy.canary != nil, let targets { checkCanary(targets: targets, loadBalancers: loadBalancers) }

        let ssh = value("ssh").map { readSSH($0.value) } ?? SSHOptions()
        let hooks = value("hooks").map { readHooks($0.value) } ?? HookSpec()
        let state = value("state").map { readState($0.value, name: name, targets: targets, loadBalancers: loadBalancers) }
        guard let targets, let action, let health, let ssh else { return nil }
        var environment = Environment(
            name: name, file: file, description: description, version: version, targets: targets,
            loadBalancers: loadBalancers, prepare: prepare, action: action, health: health, strategy: strategy,
            locations: locations)
        environment.ssh = ssh
        environment.hooks = hooks
        if let state {
            guard let state else { return nil }
            environment.state = state
            environment.stateIsDefault = false
        } else {
            environment.state = defaultState(name: name, targets: targets, loadBalancers: loadBalancers)
        }
        return environment
    }

    // MARK: Hooks

    mutating func readHooks(_ node: YAMLNode) -> HookSpec {
        var hooks = HookSpec()
        guard let pairs = reader.mapping(node, "hooks") else { return hooks }
        reader.checkKeys(pairs, allowed: HookSpec.Point.allCases.map(\.rawValue) + ["timeout"], in: "hooks")
        for pair in pairs {
            if pair.key == "timeout" {
                if let timeout = reader.duration(pair.value, "hooks.timeout") { hooks.timeout = timeout }
                continue
            }
            guard let point = HookSpec.Point(rawValue: pair.key), let command = reader.string(pair.value, "hooks.\(pair.key)") else {
                continue
            }
            if command.trimmingCharacters(in: .whitespaces).isEmpty {
                reader.error("`hooks.\(pair.key)` is empty: give the command to run, or remove the key", at: pair.value.location, rule: "wrong-type")
                continue
            }
            hooks.commands[point] = command
        }
        return hooks
    }

    // MARK: SSH

    mutating func readSSH(_ node: YAMLNode) -> SSHOptions? {
        guard let pairs = reader.mapping(node, "ssh") else { return nil }
        reader.checkKeys(pairs, allowed: ["transport", "known-hosts", "accept-new-host-keys", "connect-timeout"], in: "ssh")
        func value(_ key: String) -> YAMLNode? { pairs.last { $0.key == key }?.value }
        var options = SSHOptions()
        if let node = value("transport") {
            guard let transport = reader.choice(node, "ssh.transport", as: SSHOptions.Transport.self) else { return nil }
            options.transport = transport
        }
        if let node = value("known-hosts") {
            guard let path = reader.string(node, "ssh.known-hosts") else { return nil }
            options.knownHosts = path.hasPrefix("~") ? (path as NSString).expandingTildeInPath : ManifestFile.resolve(path, nextTo: file)
        }
        if let node = value("accept-new-host-keys") {
            guard let accept = reader.bool(node, "ssh.accept-new-host-keys") else { return nil }
            options.acceptNewHostKeys = accept
        }
        if let node = value("connect-timeout") {
            guard let timeout = reader.duration(node, "ssh.connect-timeout") else { return nil }
            options.connectTimeout = timeout
        }
        return options
    }

    // MARK: Targets

    mutating func readTargets(_ node: YAMLNode) -> TargetSource? {
        guard let pairs = reader.mapping(node, "targets") else { return nil }
        reader.checkKeys(pairs, allowed: ["simulated", "inventory", "group", "name", "vmss"], in: "targets")
        guard let kind = reader.exactlyOne(of: ["simulated", "inventory", "vmss"], in: pairs, at: node.location, path: "targets")
        else { return nil }
        if kind.key != "inventory" {
            for pair in pairs where pair.key == "group" || pair.key == "name" {
                reader.error(
                    "`targets.\(pair.key)` only applies to inventory targets (`targets.inventory`)",
                    at: pair.keyLocation, rule: "unexpected-key")
            }
        }
        switch kind.key {
        case "simulated": return readSimulated(kind.value).map(TargetSource.simulated)
        case "vmss": return readVMSS(kind.value, "targets.vmss").map(TargetSource.vmss)
        default: return readHostTargets(kind.value, pairs: pairs, at: node.location).map(TargetSource.hosts)
        }
    }

    mutating func readSimulated(_ node: YAMLNode) -> SimulatedFleetSpec? {
        let path = "targets.simulated"
        guard let pairs = reader.mapping(node, path) else { return nil }
        reader.checkKeys(
            pairs, allowed: ["count", "name-prefix", "initial-version", "sessions", "session-duration", "fleet-file"], in: path)
        func value(_ key: String) -> YAMLNode? { pairs.last { $0.key == key }?.value }
        guard let countNode = reader.required("count", in: pairs, at: node.location, path: path),
            let count = reader.int(
                countNode, "\(path).count", minimum: 1, maximum: (SimulatedFleetSpec.largest, "the simulated fleet is held in memory, every target of it"))
        else { return nil }
        let prefix = value("name-prefix").flatMap { reader.string($0, "\(path).name-prefix") } ?? "sim-"
        let initial = value("initial-version").flatMap { reader.string($0, "\(path).initial-version") } ?? "v0.0.0"
        let sessions = value("sessions").flatMap { reader.int($0, "\(path).sessions", minimum: 0) } ?? 0
        let sessionDuration = value("session-duration").flatMap { reader.duration($0, "\(path).session-duration") } ?? .zero
        var fleet = SimulatedFleetSpec(
            count: count, namePrefix: prefix, initialVersion: initial, sessionsPerTarget: sessions,
            sessionDuration: sessionDuration)
        if let node = value("fleet-file"), let file = reader.string(node, "\(path).fleet-file") {
            fleet.fleetFile = ManifestFile.resolve(file, nextTo: self.file)
        }
        targetNames = fleet.targetNames
        targetScopes = fleet.targetNames.map { TemplateScope.host(name: $0, address: $0, vars: [:]) }
        return fleet
    }

    mutating func readVMSS(_ node: YAMLNode, _ path: String) -> VMSSSpec? {
        guard let pairs = reader.mapping(node, path) else { return nil }
        reader.checkKeys(pairs, allowed: ["subscription", "resource-group", "name", "missing-health", "operation-timeout"], in: path)
        let subscription = pairs.last { $0.key == "subscription" }.flatMap { reader.string($0.value, "\(path).subscription") }
        let group = reader.required("resource-group", in: pairs, at: node.location, path: path)
            .flatMap { reader.string($0, "\(path).resource-group") }
        let name = reader.required("name", in: pairs, at: node.location, path: path).flatMap { reader.string($0, "\(path).name") }
        // Instances are discovered at run time; templates can only use what every instance has.
        targetScopes = [TemplateScope(host: "", vars: ["inventory_hostname": "", "address": ""])]
        let missing = pairs.last { $0.key == "missing-health" }
            .flatMap { reader.choice($0.value, "\(path).missing-health", as: MissingHealthPolicy.self) }
        let timeout = pairs.last { $0.key == "operation-timeout" }.flatMap { reader.duration($0.value, "\(path).operation-timeout") }
        guard let group, let name else { return nil }
        return VMSSSpec(
            subscription: subscription, resourceGroup: group, name: name, missingHealth: missing,
            operationTimeout: timeout ?? .seconds(30 * 60))
    }

    mutating func readHostTargets(_ node: YAMLNode, pairs: [YAMLPair], at location: SourceLocation) -> HostTargets? {
        let groupNode = reader.required("group", in: pairs, at: location, path: "targets")
        let group = groupNode.flatMap { reader.string($0, "targets.group") }
        guard let relative = reader.string(node, "targets.inventory") else { return nil }
        let path = ManifestFile.resolve(relative, nextTo: file)
        let (loaded, diagnostics) = InventoryLoader.load(path: path, referencedAt: node.location)
        reader.diagnostics += diagnostics
        inventory = loaded
        guard let loaded, let group, let groupNode else { return nil }
        guard requireGroup(group, at: groupNode, path: "targets.group", in: loaded) else { return nil }
        let hosts = loaded.hosts(inGroup: group)
        if hosts.isEmpty {
            reader.error("group `\(group)` of \(path) has no hosts to deploy to", at: groupNode.location, rule: "empty-group")
            return nil
        }
        targetScopes = hosts.map { TemplateScope.host(name: $0.name, address: $0.address, vars: $0.vars) }
        var targets: [HostTarget] = []
        let nameNode = pairs.last { $0.key == "name" }?.value
        let errorsBefore = reader.diagnostics.count
        if let nameNode, reader.string(nameNode, "targets.name") != nil {
            reader.checkTemplate(nameNode, "targets.name", scopes: targetScopes, keepVersion: false)
        }
        let nameResolved = !reader.diagnostics[errorsBefore...].contains { $0.severity == .error }
        for (host, scope) in zip(hosts, targetScopes) {
            let name = nameNode?.scalar.map { Template.render($0.text, vars: scope.vars) } ?? host.name
            targets.append(
                HostTarget(name: name, inventoryName: host.name, address: host.address, vars: host.vars, location: host.location))
        }
        var seen: [String: String] = [:]
        for target in targets {
            if let other = seen[target.name], nameResolved {
                reader.error(
                    "hosts \(other) and \(target.inventoryName) both have the target name `\(target.name)`; target names must be unique",
                    at: nameNode?.location ?? groupNode.location, rule: "duplicate-target")
            } else {
                seen[target.name] = target.inventoryName
            }
        }
        targetNames = targets.map(\.name)
        return HostTargets(inventory: path, group: group, targets: targets)
    }

    /// Whether `group` exists in `inventory`; an `undefined-group` error otherwise.
    mutating func requireGroup(_ group: String, at node: YAMLNode, path: String, in inventory: Inventory) -> Bool {
        guard inventory.group(named: group) == nil else { return true }
        var message = "`\(path)`: inventory \(inventory.file) has no group `\(group)`"
        if let guess = Suggestion.closest(to: group, among: inventory.groups.map(\.name)) {
            message += "; did you mean `\(guess)`?"
        }
        reader.error(message, at: node.location, rule: "undefined-group")
        return false
    }
}
