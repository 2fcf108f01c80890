/// The rolling policy of an environment file, and the checks that need the fleet size.
extension EnvironmentBuilder {
    static let strategyKeys = [
        "batch", "max-unavailable", "max-failures", "min-in-service", "drain-timeout", "health-timeout", "pause",
        "on-failure", "on-drain-timeout", "canary",
    ]
    static let canaryKeys = [
        "targets", "bake", "interval", "min-requests", "max-error-rate", "max-error-ratio", "max-latency-ratio", "no-verdict",
        "max-bake", "every-batch",
    ]

    mutating func readStrategy(_ node: YAMLNode, fleetSize: Int?) -> Strategy {
        var strategy = Strategy()
        let errorsBefore = reader.diagnostics.filter { $0.severity == .error }.count
        guard let pairs = reader.mapping(node, "strategy") else { return strategy }
        reader.checkKeys(pairs, allowed: Self.strategyKeys, in: "strategy")
        func value(_ key: String) -> YAMLNode? {
            guard let node = pairs.last(where: { $0.key == key })?.value else { return nil }
            locations["strategy.\(key)"] = node.location
            return node
        }
        if let node = value("batch") {
            if let items = node.items {
                if items.isEmpty {
                    reader.error("`strategy.batch` must list at least one batch size", at: node.location, rule: "wrong-type")
                }
                let batches = items.enumerated().compactMap { index, item in
                    quantity(item, "strategy.batch[\(index)]", minimum: 1)
                }
                if batches.count == items.count, !items.isEmpty { strategy.batches = batches }
            } else if let batch = quantity(node, "strategy.batch", minimum: 1) {
                strategy.batches = [batch]
            }
        }
        if let node = value("max-unavailable") {
            strategy.maxUnavailable = quantity(node, "strategy.max-unavailable", minimum: 1)
        }
        if let node = value("min-in-service"), let floor = quantity(node, "strategy.min-in-service", minimum: 0) {
            strategy.minInService = floor
        }
        if let node = value("max-failures"), let count = reader.int(node, "strategy.max-failures", minimum: 0) {
            strategy.maxFailures = count
        }
        if let node = value("drain-timeout"), let duration = reader.duration(node, "strategy.drain-timeout") {
            strategy.drainTimeout = duration
        }
        if let node = value("health-timeout"), let duration = reader.duration(node, "strategy.health-timeout") {
            strategy.healthTimeout = duration
        }
        if let node = value("pause"), let duration = reader.duration(node, "strategy.pause") {
            strategy.pause = duration
        }
        if let node = value("on-failure"), let policy = reader.choice(node, "strategy.on-failure", as: Strategy.FailurePolicy.self) {
            strategy.onFailure = policy
        }
        if let node = value("on-drain-timeout"),
            let policy = reader.choice(node, "strategy.on-drain-timeout", as: Strategy.DrainTimeoutPolicy.self)
        {
            strategy.onDrainTimeout = policy
        }
        if let node = value("canary") {
            strategy.canary = readCanary(node)
            locations["strategy.canary"] = pairs.last { $0.key == "canary" }?.keyLocation
        }
        if let fleetSize, reader.diagnostics.filter({ $0.severity == .error }).count == errorsBefore {
            checkFleet(strategy, fleetSize: fleetSize, batchLocation: locations["strategy.batch"] ?? locations["strategy"])
        }
        return strategy
    }

    /// `strategy.canary`; nil after an error.
    private mutating func readCanary(_ node: YAMLNode) -> CanarySpec? {
        guard let pairs = reader.mapping(node, "strategy.canary") else { return nil }
        reader.checkKeys(pairs, allowed: Self.canaryKeys, in: "strategy.canary")
        let errorsBefore = reader.diagnostics.filter { $0.severity == .error }.count
        func value(_ key: String) -> YAMLNode? {
            guard let node = pairs.last(where: { $0.key == key })?.value else { return nil }
            locations["strategy.canary.\(key)"] = node.location
            return node
        }
        var canary = CanarySpec()
        if let node = value("targets"), let targets = quantity(node, "strategy.canary.targets", minimum: 1) { canary.targets = targets }
        var bakeGiven = false
        if let node = value("bake"), let bake = reader.duration(node, "strategy.canary.bake") {
            canary.bake = bake
            canary.maxBake = bake * 3
            bakeGiven = true
        }
        if let node = value("interval"), let interval = reader.duration(node, "strategy.canary.interval") {
            canary.interval = interval
        }
        if let node = value("min-requests"), let count = reader.int(node, "strategy.canary.min-requests", minimum: 1) {
            canary.minRequests = count
        }
        if let node = value("max-error-rate"), let rate = fraction(node, "strategy.canary.max-error-rate") { canary.maxErrorRate = rate }
        if let node = value("max-error-ratio"), let ratio = reader.double(node, "strategy.canary.max-error-ratio", range: 1...1000) {
            canary.maxErrorRatio = ratio
        }
        if let node = value("max-latency-ratio") {
            if node.scalar?.isNull == true {
                canary.maxLatencyRatio = nil
            } else if let ratio = reader.double(node, "strategy.canary.max-latency-ratio", range: 1...1000) {
                canary.maxLatencyRatio = ratio
            }
        }
        if let node = value("no-verdict"), let choice = reader.choice(node, "strategy.canary.no-verdict", as: CanarySpec.NoVerdict.self) {
            canary.noVerdict = choice
        }
        if let node = value("max-bake"), let longest = reader.duration(node, "strategy.canary.max-bake") { canary.maxBake = longest }
        if let node = value("every-batch"), let every = reader.bool(node, "strategy.canary.every-batch") { canary.everyBatch = every }
        guard reader.diagnostics.filter({ $0.severity == .error }).count == errorsBefore else { return nil }
        if canary.interval <= .zero || canary.interval > canary.bake {
            reader.error(
                "`strategy.canary.interval` (\(canary.interval.manifestText)) must be above 0 and at most the bake "
                    + "(\(canary.bake.manifestText)\(bakeGiven ? "" : ", the default")): the canary is sampled every interval while it bakes",
                at: locations["strategy.canary.interval"] ?? node.location, rule: "impossible-strategy")
            return nil
        }
        if canary.maxBake < canary.bake {
            reader.error(
                "`strategy.canary.max-bake` (\(canary.maxBake.manifestText)) must be at least the bake (\(canary.bake.manifestText))",
                at: locations["strategy.canary.max-bake"], rule: "impossible-strategy")
            return nil
        }
        return canary
    }

    /// A canary is judged by the load balancers' counters: the environment needs load balancers that
    /// keep them (HAProxy, Application Gateway metrics for a scale set, or the simulated ones).
    mutating func checkCanary(targets: TargetSource, loadBalancers: [LoadBalancerSpec]) {
        let place = locations["strategy.canary"] ?? locations["strategy"]
        if case .vmss = targets {
            let gateways = loadBalancers.filter {
                if case .applicationGateway = $0 { return true }
                return false
            }
            if gateways.isEmpty {
                reader.error(
                    "`strategy.canary`: a scale set's canary is judged by its Application Gateway's metrics (Azure Monitor), "
                        + "and this environment has no `application-gateway` under `load-balancers:`; add one or remove the canary stage",
                    at: place, rule: "incompatible-canary")
            }
            return
        }
        let counted = loadBalancers.filter {
            switch $0 {
            case .haproxy, .simulated: return true
            default: return false
            }
        }
        if counted.isEmpty {
            reader.error(
                "`strategy.canary` judges the canary by its load balancers' counters, and this environment has no HAProxy "
                    + "(or simulated) load balancer; add one under `load-balancers:` or remove the canary stage",
                at: place, rule: "incompatible-canary")
        }
    }

    /// A fraction written as a percentage (`"2%"`) or a number from 0 to 1 (`0.02`).
    private mutating func fraction(_ node: YAMLNode, _ path: String) -> Double? {
        if let text = node.scalar?.text, text.hasSuffix("%"), let percent = Double(text.dropLast()) {
            guard (0...100).contains(percent) else {
                reader.error("`\(path)` must be from 0% to 100%, not \(text)", at: node.location, rule: "out-of-range")
                return nil
            }
            return percent / 100
        }
        return reader.double(node, path, range: 0...1)
    }

    /// A count (`2`, at least `minimum`) or a percentage (`"25%"`; above 0 when `minimum` is 1).
    mutating func quantity(_ node: YAMLNode, _ path: String, minimum: Int) -> Quantity? {
        guard let scalar = node.scalar, !scalar.isNull else {
            reader.error(
                "`\(path)` must be a count (like 2) or a percentage (like \"25%\"), not \(node.kindDescription)",
                at: node.location, rule: "wrong-type")
            return nil
        }
        if let count = scalar.int {
            guard count >= minimum else {
                reader.error("`\(path)` must be at least \(minimum), not \(count)", at: node.location, rule: "out-of-range")
                return nil
            }
            return .count(count)
        }
        if case .percent(let percent) = Quantity(text: scalar.text) {
            let valid = minimum == 0 ? (0...100).contains(percent) : percent > 0 && percent <= 100
            guard valid else {
                let range = minimum == 0 ? "from 0% to 100%" : "above 0% and at most 100%"
                reader.error("`\(path)` must be \(range), not \(scalar.text)", at: node.location, rule: "out-of-range")
                return nil
            }
            return .percent(percent)
        }
        reader.error(
            "`\(path)` must be a count (like 2) or a percentage (like \"25%\"), not `\(scalar.text)`",
            at: node.location, rule: "wrong-type")
        return nil
    }

    /// Checks that every batch can be taken out of service without breaking the floor or the
    /// max-unavailable limit, for a fleet of known size.
    mutating func checkFleet(_ strategy: Strategy, fleetSize total: Int, batchLocation: SourceLocation?) {
        guard total > 0 else { return }
        let floor = strategy.minInService.resolve(of: total, rounding: .down)
        if floor > total {
            reader.error(
                "min-in-service \(strategy.minInService) asks for more targets than the \(total) in the fleet",
                at: locations["strategy.min-in-service"], rule: "impossible-strategy")
            return
        }
        let limit = strategy.maxUnavailable?.resolve(of: total, rounding: .upAtLeastOne)
        for batch in (strategy.canary.map { [$0.targets] } ?? []) + strategy.batches {
            let size = min(batch.resolve(of: total, rounding: .upAtLeastOne), total)
            if size > total - floor {
                reader.error(
                    "a batch of \(size) would leave \(total - size) of \(total) targets in service, fewer than min-in-service "
                        + "\(floor); lower the batch or the floor",
                    at: batchLocation ?? locations["targets"], rule: "impossible-strategy")
                return
            }
            if let limit, size > limit {
                reader.error(
                    "a batch of \(size) takes more targets out of service than max-unavailable allows (\(limit))",
                    at: batchLocation, rule: "impossible-strategy")
                return
            }
        }
    }
}
