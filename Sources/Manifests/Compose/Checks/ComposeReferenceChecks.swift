/// References from services to what the project defines: networks, named volumes, secrets, configs
/// and other services (`links`, `network_mode`/`ipc`/`pid: service:x`, `volumes_from`, `depends_on`).
extension ComposeCheckContext {
    mutating func checkReferences() {
        let networks = definedNames("networks")
        let volumes = definedNames("volumes")
        let secrets = definedNames("secrets")
        let configs = definedNames("configs")
        for service in services {
            let name = service.key
            let definition = service.value
            for (network, location) in Self.networkReferences(definition) where network != "default" && !networks.contains(network) {
                error(
                    "service `\(name)` joins network `\(network)`, which top-level `networks` does not define"
                        + Self.suggestion(for: network, among: networks), at: location, rule: "compose/undefined-network")
            }
            for mount in ServiceMount.all(in: definition, context: self) {
                guard mount.kind == .volume, let source = mount.source, !volumes.contains(source) else { continue }
                error(
                    "service `\(name)` mounts volume `\(source)`, which top-level `volumes` does not define"
                        + Self.suggestion(for: source, among: volumes)
                        + " (a host path starts with `./`, `../`, `/` or `~`)",
                    at: mount.sourceLocation, rule: "compose/undefined-volume")
            }
            checkGrants(definition["secrets"], of: name, kind: "secret", defined: secrets)
            checkGrants(definition["build"]?["secrets"], of: name, kind: "secret", defined: secrets)
            checkGrants(definition["configs"], of: name, kind: "config", defined: configs)
            checkServiceReferences(of: name, definition)
        }
    }

    /// The networks a service joins, as written (list items or mapping keys).
    static func networkReferences(_ service: YAMLNode) -> [(String, SourceLocation)] {
        guard let networks = service["networks"] else { return [] }
        if let items = networks.items {
            return items.compactMap { item in item.scalar.map { ($0.text, item.location) } }
        }
        return (networks.pairs ?? []).map { ($0.key, $0.keyLocation) }
    }

    private mutating func checkGrants(_ node: YAMLNode?, of service: String, kind: String, defined: [String]) {
        for item in node?.items ?? [] {
            let reference = item.pairs != nil ? item["source"] : item
            guard let reference, let source = text(reference), !defined.contains(source) else { continue }
            error(
                "service `\(service)` uses \(kind) `\(source)`, which top-level `\(kind)s` does not define"
                    + Self.suggestion(for: source, among: defined), at: reference.location, rule: "compose/undefined-\(kind)")
        }
    }

    private mutating func checkServiceReferences(of name: String, _ service: YAMLNode) {
        let names = serviceNames
        func report(_ target: String, _ location: SourceLocation, _ how: String) {
            guard !names.contains(target) else { return }
            error(
                "service `\(name)` \(how) `\(target)`, which is not a service of this project"
                    + Self.suggestion(for: target, among: names), at: location, rule: "compose/undefined-service")
        }
        for (target, location) in Self.dependencies(of: service) {
            report(target, location, "depends on service")
        }
        for item in service["links"]?.items ?? [] {
            guard let link = text(item) else { continue }
            report(String(link.split(separator: ":", maxSplits: 1).first ?? ""), item.location, "links to service")
        }
        for key in ["network_mode", "ipc", "pid"] {
            guard let node = service[key], let mode = text(node), mode.hasPrefix("service:") else { continue }
            report(String(mode.dropFirst("service:".count)), node.location, "shares the \(key) of service")
        }
        for item in service["volumes_from"]?.items ?? [] {
            guard let from = text(item), !from.hasPrefix("container:") else { continue }
            report(String(from.split(separator: ":", maxSplits: 1).first ?? ""), item.location, "takes volumes from service")
        }
    }

    /// The services a service depends on, with where each is named.
    static func dependencies(of service: YAMLNode) -> [(String, SourceLocation)] {
        guard let dependsOn = service["depends_on"] else { return [] }
        if let items = dependsOn.items {
            return items.compactMap { item in item.scalar.map { ($0.text, item.location) } }
        }
        return (dependsOn.pairs ?? []).map { ($0.key, $0.keyLocation) }
    }
}
