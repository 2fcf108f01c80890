/// `ports`: syntax, ranges, protocol and host address of each entry, and host ports published twice
/// (across services and files, ranges expanded).
extension ComposeCheckContext {
    private struct Binding {
        var service: String
        var mapping: PortMapping
        var location: SourceLocation
        var profiles: Set<String>
    }

    mutating func checkPorts() {
        var bindings: [Binding] = []
        for service in services {
            guard let items = service.value["ports"]?.items else { continue }
            let hostNetwork = text(service.value["network_mode"]) == "host"
            let profiles = Set((service.value["profiles"]?.items ?? []).compactMap { $0.scalar?.text })
            for item in items {
                guard let (mapping, location) = portMapping(item, service: service.key) else { continue }
                // With the host's network the container binds its ports itself; `ports` is ignored.
                guard !hostNetwork, mapping.published != nil else { continue }
                // A host-port range for one container port takes one free port of the range.
                if let published = mapping.published, published.count > 1, mapping.target.count == 1 { continue }
                let binding = Binding(service: service.key, mapping: mapping, location: location, profiles: profiles)
                for earlier in bindings where Self.canRunTogether(earlier.profiles, binding.profiles) {
                    guard let port = earlier.mapping.conflicts(with: mapping) else { continue }
                    let whose = earlier.service == service.key ? "this service" : "service `\(earlier.service)`"
                    error(
                        "host port \(port)/\(mapping.proto)\(mapping.hostIP.map { " on \($0)" } ?? "") is already published by \(whose) at \(earlier.location); "
                            + "docker cannot bind it twice; publish another host port",
                        at: location, rule: "compose/port-conflict")
                    break
                }
                bindings.append(binding)
            }
        }
    }

    /// Services whose profile lists share none can never run together (profiles pick alternatives).
    private static func canRunTogether(_ a: Set<String>, _ b: Set<String>) -> Bool {
        a.isEmpty || b.isEmpty || !a.isDisjoint(with: b)
    }

    /// The mapping of one `ports` entry, reporting what is wrong with it; nil when it cannot be read.
    private mutating func portMapping(_ item: YAMLNode, service: String) -> (PortMapping, SourceLocation)? {
        if isUnresolved(item) { return nil }
        if let scalar = item.scalar {
            if scalar.isNull { return nil }
            switch PortMapping.parse(short: scalar.text) {
            case .success(let mapping): return (mapping, item.location)
            case .failure(let problem):
                error("service `\(service)`: \(problem.message)", at: item.location, rule: "compose/ports")
                return nil
            }
        }
        guard item.pairs != nil else { return nil }
        var failed = false
        func range(_ key: String, _ what: String) -> ClosedRange<Int>? {
            guard let node = item[key], !node.isNull, !isUnresolved(node), let value = node.scalar?.text else { return nil }
            switch PortMapping.range(value, what: what) {
            case .success(let range): return range
            case .failure(let problem):
                error("service `\(service)`: \(problem.message)", at: node.location, rule: "compose/ports")
                failed = true
                return nil
            }
        }
        guard let targetNode = item["target"] else {
            error(
                "service `\(service)`: a long-syntax port needs `target`, the port inside the container", at: item.location,
                rule: "compose/ports")
            return nil
        }
        let target = range("target", "container port")
        let published = range("published", "host port")
        guard !failed, let target, !isUnresolved(targetNode) else { return nil }
        let hostNode = item["host_ip"]
        let protoNode = item["protocol"]
        if let hostNode, isUnresolved(hostNode) { return nil }
        if let protoNode, isUnresolved(protoNode) { return nil }
        let mapping = PortMapping(
            hostIP: text(hostNode).flatMap { $0.isEmpty ? nil : $0 }, published: published, target: target,
            proto: text(protoNode) ?? "tcp")
        switch mapping.validated(text: "the port with target \(target.lowerBound)") {
        case .success: return (mapping, item.location)
        case .failure(let problem):
            let at: SourceLocation
            if !PortMapping.protocols.contains(mapping.proto), let protoNode { at = protoNode.location }
            else if let hostNode, mapping.hostIP.flatMap(IPAddress.init) == nil, mapping.hostIP != nil { at = hostNode.location }
            else { at = item.location }
            error("service `\(service)`: \(problem.message)", at: at, rule: "compose/ports")
            return nil
        }
    }
}
