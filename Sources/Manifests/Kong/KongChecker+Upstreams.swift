import Foundation

/// Plugins, upstreams, targets and their health checks.
extension KongChecker {
    static let scopeFields = ["service", "route", "consumer", "consumer_group"]

    /// A plugin; `scope` holds what its position implies (a plugin nested in a service applies to
    /// that service). Kong allows one plugin of a name per scope.
    mutating func checkPlugin(_ node: YAMLNode, path: String, scope: [String: String]) {
        let label = Self.label("plugin", node, path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.plugin, schema: "plugin") else { return }
        var scope = scope
        var nameNode: YAMLNode?
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "name":
                nameNode = value
            case "id":
                if let id = text(value, label, "id") {
                    claim("plugin id", id, what: "plugin id `\(id)`", at: value.location)
                }
            case "instance_name":
                if let name = text(value, label, "instance_name") {
                    claim("plugin instance_name", name, what: "plugin instance_name `\(name)`", at: value.location)
                }
            case "config":
                if !value.isNull, value.pairs == nil {
                    error(
                        "\(label): `config` must be a mapping of the plugin's settings, not \(value.kindDescription)",
                        at: value.location, rule: "kong/wrong-type")
                }
            case "enabled": boolean(value, label, "enabled")
            case "protocols":
                for item in list(value, label, "protocols") { choice(item, label, "protocols", KongSchema.routeProtocols) }
            case "service", "route", "consumer", "consumer_group":
                let kind: Kind = switch pair.key {
                case "service": .service
                case "route": .route
                case "consumer": .consumer
                default: .consumerGroup
                }
                refer(kind, value, owner: label, field: pair.key)
                let target = value.pairs != nil ? (value["name"] ?? value["id"])?.scalar : value.scalar
                if let target, !target.isNull {
                    scope[pair.key] = target.text
                }
            case "tags": tags(value, label)
            default: break
            }
        }
        guard let nameNode, let name = text(nameNode, label, "name"), !name.isEmpty else {
            if nameNode == nil || nameNode?.isNull == true {
                error("\(label) has no `name`; say which plugin to run (e.g. `key-auth`)", at: node.location, rule: "kong/missing-field")
            }
            return
        }
        let applies = Self.scopeFields.compactMap { field in scope[field].map { "\(field.replacingOccurrences(of: "_", with: " ")) `\($0)`" } }
        let key = ([name] + Self.scopeFields.map { scope[$0] ?? "" }).joined(separator: "\u{0}")
        claim(
            "plugin", key,
            what: "plugin `\(name)` " + (applies.isEmpty ? "applied globally" : "on " + applies.joined(separator: ", ")),
            at: nameNode.location)
    }

    // MARK: Upstreams

    mutating func checkUpstream(_ node: YAMLNode, path: String) {
        let label = Self.label("upstream", node, path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.upstream, schema: "upstream") else { return }
        if !Self.hasValue(pairs, "name") {
            error("\(label) has no `name`; Kong requires one (services use it as their `host`)", at: node.location, rule: "kong/missing-field")
        }
        let scope = identity(.upstream, pairs, at: node.location, label: label, requireName: false)
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "name":
                if let name = text(value, label, "name"), !Self.isHostName(name) {
                    error("\(label): `name` must be a host name, not `\(name)`", at: value.location, rule: "kong/invalid-value")
                }
            case "algorithm": choice(value, label, "algorithm", KongSchema.algorithms)
            case "hash_on", "hash_fallback": choice(value, label, pair.key, KongSchema.hashOn)
            case "slots": integer(value, label, "slots", 10...65536)
            case "use_srv_name": boolean(value, label, "use_srv_name")
            case "client_certificate": refer(.certificate, value, owner: label, field: "client_certificate")
            case "healthchecks": checkHealthchecks(value, label)
            case "tags": tags(value, label)
            case "targets":
                for (index, target) in list(value, label, "targets").enumerated() {
                    checkTarget(target, path: "targets[\(index)] of \(label)", upstream: scope)
                }
            default: break
            }
        }
    }

    /// A target: `host:port` (or `host`, port 8000) with a weight of 0–65535, once per upstream.
    mutating func checkTarget(_ node: YAMLNode, path: String, upstream: String?) {
        let label = path
        guard let pairs = entity(node, label, allowed: KongSchema.target, schema: "target") else { return }
        var owner = upstream
        if upstream == nil {
            if let value = pairs.last(where: { $0.key == "upstream" })?.value {
                refer(.upstream, value, owner: label, field: "upstream")
                owner = (value["name"] ?? value["id"] ?? value).scalar?.text
            } else {
                error("\(label) has no `upstream`; say which upstream it belongs to", at: node.location, rule: "kong/missing-field")
            }
        }
        var hasTarget = false
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "target":
                hasTarget = !value.isNull
                guard let target = text(value, label, "target") else { continue }
                if let problem = Self.targetProblem(target) {
                    error("\(label): \(problem)", at: value.location, rule: "kong/invalid-value")
                } else if let owner {
                    let normalized = target.contains(":") && !target.hasSuffix("]") ? target : target + ":8000"
                    claim(
                        "target\u{0}\(owner)", normalized.lowercased(), what: "target `\(target)` in upstream `\(owner)`",
                        at: value.location)
                }
            case "weight": integer(value, label, "weight", 0...65535)
            case "id":
                if let id = text(value, label, "id") { claim("target id", id, what: "target id `\(id)`", at: value.location) }
            case "tags": tags(value, label)
            default: break
            }
        }
        if !hasTarget {
            error("\(label) has no `target`; write the backend as `host:port`", at: node.location, rule: "kong/missing-field")
        }
    }

    /// What is wrong with a target address, or nil.
    static func targetProblem(_ target: String) -> String? {
        var host = Substring(target)
        var port: Substring?
        if target.hasPrefix("[") {
            guard let close = target.firstIndex(of: "]") else { return "`\(target)` has an unclosed `[`" }
            host = target[target.index(after: target.startIndex)..<close]
            let rest = target[target.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return "`\(target)` must be `[address]:port`" }
                port = rest.dropFirst()
            }
            guard host.contains(":") else { return "`\(target)` puts a non-IPv6 address in brackets" }
        } else if target.filter({ $0 == ":" }).count == 1, let colon = target.firstIndex(of: ":") {
            host = target[..<colon]
            port = target[target.index(after: colon)...]
        } else if target.contains(":") {
            return nil  // a bare IPv6 address
        }
        if let port, !(Int(port).map { (1...65535).contains($0) } ?? false) {
            return "the port of `\(target)` must be between 1 and 65535, not `\(port)`"
        }
        if !target.hasPrefix("["), !isHostName(String(host)) {
            return "target `\(target)` must be `host:port`, with a host name or IP address"
        }
        return nil
    }

    mutating func checkHealthchecks(_ node: YAMLNode, _ label: String) {
        guard !node.isNull else { return }
        let where_ = "healthchecks of \(label)"
        guard let pairs = entity(node, where_, allowed: KongSchema.healthchecks, schema: "upstream healthchecks") else { return }
        for pair in pairs {
            switch pair.key {
            case "active", "passive":
                let part = "\(pair.key) healthchecks of \(label)"
                let allowed = pair.key == "active" ? KongSchema.activeHealthcheck : KongSchema.passiveHealthcheck
                guard !pair.value.isNull,
                    let fields = entity(pair.value, part, allowed: allowed, schema: "upstream healthchecks")
                else { continue }
                for field in fields {
                    switch field.key {
                    case "type": choice(field.value, part, "type", KongSchema.healthcheckTypes)
                    case "concurrency": integer(field.value, part, "concurrency", 1...2_147_483_648)
                    case "https_verify_certificate": boolean(field.value, part, field.key)
                    case "healthy", "unhealthy": checkHealth(field.value, "\(field.key) \(part)", healthy: field.key == "healthy")
                    default: break
                    }
                }
            case "threshold":
                if let scalar = pair.value.scalar, !scalar.isNull, scalar.double.map({ !(0...100).contains($0) }) ?? true {
                    error("\(where_): `threshold` must be a percentage from 0 to 100", at: pair.value.location, rule: "kong/invalid-value")
                }
            default: break
            }
        }
    }

    mutating func checkHealth(_ node: YAMLNode, _ label: String, healthy: Bool) {
        guard !node.isNull,
            let pairs = entity(node, label, allowed: healthy ? KongSchema.healthy : KongSchema.unhealthy, schema: "upstream healthchecks")
        else { return }
        for pair in pairs {
            switch pair.key {
            case "http_statuses":
                for item in list(pair.value, label, "http_statuses") { integer(item, label, "http_statuses", 100...999) }
            case "successes", "tcp_failures", "timeouts", "http_failures": integer(pair.value, label, pair.key, 0...255)
            default: break
            }
        }
    }
}
