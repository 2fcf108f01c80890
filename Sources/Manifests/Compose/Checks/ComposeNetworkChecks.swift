/// Networks: ipam subnets (valid, not overlapping), static addresses inside their network's subnets
/// and not taken twice, `network_mode` together with `networks`, and ports published from services
/// that sit only on internal networks; and container names, which live on the same host namespace.
extension ComposeCheckContext {
    private struct Subnet {
        var network: String
        var subnet: IPSubnet
        var location: SourceLocation
    }

    mutating func checkNetworks() {
        let subnets = checkSubnets()
        var taken: [String: [IPAddress: (String, SourceLocation)]] = [:]
        for service in services {
            let definition = service.value
            if let networks = definition.pairs?.last(where: { $0.key == "networks" }), let mode = definition["network_mode"],
                !mode.isNull, !networks.value.isNull
            {
                error(
                    "service `\(service.key)` sets both `network_mode` and `networks`; they exclude each other: keep one",
                    at: networks.keyLocation, rule: "compose/network-mode")
            }
            for entry in definition["networks"]?.pairs ?? [] {
                for key in ["ipv4_address", "ipv6_address"] {
                    guard let node = entry.value[key], let text = text(node) else { continue }
                    guard let address = IPAddress(text), address.isV4 == (key == "ipv4_address") else {
                        error(
                            "service `\(service.key)`: `\(key)` `\(text)` on network `\(entry.key)` is not an IPv\(key == "ipv4_address" ? 4 : 6) address",
                            at: node.location, rule: "compose/ipam")
                        continue
                    }
                    let own = subnets.filter { $0.network == entry.key && $0.subnet.address.isV4 == address.isV4 }
                    if !own.isEmpty, !own.contains(where: { $0.subnet.contains(address) }) {
                        let list = own.map { "\($0.subnet) (\($0.location.shortDescription))" }.joined(separator: ", ")
                        error(
                            "service `\(service.key)`: \(key) \(text) is outside network `\(entry.key)`'s subnet\(own.count > 1 ? "s" : "") \(list); "
                                + "docker will refuse to start the container; pick an address inside it",
                            at: node.location, rule: "compose/ipam")
                    }
                    if let (other, place) = taken[entry.key]?[address] {
                        error(
                            "service `\(service.key)`: \(key) \(text) on network `\(entry.key)` is already given to service `\(other)` at \(place); each container needs its own address",
                            at: node.location, rule: "compose/ipam")
                    } else {
                        taken[entry.key, default: [:]][address] = (service.key, node.location)
                    }
                }
            }
            checkInternalExposure(service)
        }
    }

    /// The subnets of every network, each checked; overlaps between networks reported.
    private mutating func checkSubnets() -> [Subnet] {
        var subnets: [Subnet] = []
        for network in project.root["networks"]?.pairs ?? [] {
            for config in network.value["ipam"]?["config"]?.items ?? [] {
                guard let node = config["subnet"], let text = text(node) else { continue }
                guard let subnet = IPSubnet(text) else {
                    error(
                        "network `\(network.key)`: subnet `\(text)` is not in CIDR form (`172.28.0.0/16`, `fd00:1::/64`)",
                        at: node.location, rule: "compose/ipam")
                    continue
                }
                for key in ["gateway", "ip_range"] {
                    guard let inner = config[key], let value = self.text(inner) else { continue }
                    let inside = key == "gateway" ? IPAddress(value).map(subnet.contains) : IPSubnet(value).map {
                        subnet.contains($0.address) && $0.prefix >= subnet.prefix
                    }
                    switch inside {
                    case nil:
                        error(
                            "network `\(network.key)`: \(key) `\(value)` is not \(key == "gateway" ? "an IP address" : "in CIDR form")",
                            at: inner.location, rule: "compose/ipam")
                    case false?:
                        error(
                            "network `\(network.key)`: \(key) \(value) is outside its subnet \(subnet); put it inside the subnet",
                            at: inner.location, rule: "compose/ipam")
                    case true?:
                        break
                    }
                }
                if let other = subnets.first(where: { $0.subnet.overlaps(subnet) }) {
                    let whose = other.network == network.key ? "another subnet of this network" : "network `\(other.network)`'s subnet"
                    error(
                        "network `\(network.key)`: subnet \(subnet) overlaps \(whose) \(other.subnet) at \(other.location.shortDescription); "
                            + "docker refuses overlapping pools; give each network its own range",
                        at: node.location, rule: "compose/subnet-overlap")
                }
                subnets.append(Subnet(network: network.key, subnet: subnet, location: node.location))
            }
        }
        return subnets
    }

    /// A service that publishes ports but whose every network is `internal: true`: nothing reaches them.
    private mutating func checkInternalExposure(_ service: YAMLPair) {
        let definition = service.value
        guard let ports = definition.pairs?.last(where: { $0.key == "ports" }), let items = ports.value.items, !items.isEmpty,
            definition["network_mode"] == nil
        else { return }
        let joined = definition["networks"] == nil ? ["default"] : Self.networkReferences(definition).map(\.0)
        guard !joined.isEmpty else { return }
        let internalOnes = joined.filter { name in
            guard let flag = project.root["networks"]?[name]?["internal"]?.scalar else { return false }
            return flag.bool == true || flag.text == "true"
        }
        guard internalOnes.count == joined.count else { return }
        warning(
            "service `\(service.key)` publishes ports but sits only on internal network\(joined.count > 1 ? "s" : "") "
                + joined.map { "`\($0)`" }.joined(separator: ", ")
                + ": docker publishes nothing from an internal network; join a non-internal network too, or drop `ports`",
            at: ports.keyLocation, rule: "compose/internal-exposure")
    }

    /// `container_name` given to two services, or to a service with more than one replica.
    mutating func checkContainerNames() {
        var names: [String: (String, SourceLocation)] = [:]
        for service in services {
            guard let node = service.value["container_name"], let name = text(node) else { continue }
            if let (other, place) = names[name] {
                error(
                    "container name `\(name)` is already used by service `\(other)` at \(place); docker names each container once; rename one",
                    at: node.location, rule: "compose/container-name")
            } else {
                names[name] = (service.key, node.location)
            }
            for (key, replicas) in [("scale", service.value["scale"]), ("deploy.replicas", service.value["deploy"]?["replicas"])] {
                guard let replicas, let count = text(replicas).flatMap({ Int($0) }), count > 1 else { continue }
                error(
                    "service `\(service.key)` sets `container_name` and `\(key): \(count)`; \(count) containers cannot share one name; remove `container_name` or run one replica",
                    at: node.location, rule: "compose/container-name")
            }
        }
    }
}
