/// Keys that exclude each other, or must agree, as compose-go's `validation` package and
/// `checkConsistency` enforce them: `dockerfile` and `dockerfile_inline`; `scale` and
/// `deploy.replicas`; the resource keys and their `deploy.resources` twins; a secret's or config's
/// sources; what an external volume may say; `count` and `device_ids`; `name` and `external.name`.
extension ComposeCheckContext {
    mutating func checkExclusiveKeys() {
        for service in services where service.value.pairs != nil {
            let name = service.key
            if let build = service.value["build"], let pairs = build.pairs,
                nonEmpty(build["dockerfile"]), nonEmpty(build["dockerfile_inline"]),
                let later = Self.later(of: ["dockerfile", "dockerfile_inline"], in: pairs)
            {
                error(
                    "service `\(name)` sets both `dockerfile` and `dockerfile_inline`, which exclude each other; keep one",
                    at: later.keyLocation, rule: "compose/exclusive-keys")
            }
            checkReplicas(service)
            checkResourceTwins(service)
            let requests = (service.value["deploy"]?["resources"]?["reservations"]?["devices"]?.items ?? [])
                + (service.value["gpus"]?.items ?? [])
            for request in requests {
                guard let pairs = request.pairs, let later = Self.later(of: ["count", "device_ids"], in: pairs, both: true)
                else { continue }
                error(
                    "service `\(name)`: a device request sets both `count` and `device_ids`, which exclude each other; keep one",
                    at: later.keyLocation, rule: "compose/exclusive-keys")
            }
        }
        checkSources("secrets", kind: "secret", keys: ["file", "environment"])
        checkSources("configs", kind: "config", keys: ["file", "environment", "content"])
        checkExternalVolumes()
        for section in ["networks", "volumes", "secrets", "configs"] {
            for entry in project.root[section]?.pairs ?? [] { checkExternalName(entry, section: section) }
        }
    }

    /// compose-go compares the two once both are numbers; unresolved or unreadable values are left to
    /// the checks that read them.
    private mutating func checkReplicas(_ service: YAMLPair) {
        guard let scaleNode = service.value["scale"], let scale = text(scaleNode).flatMap({ Int($0) }),
            let replicasNode = service.value["deploy"]?["replicas"], let replicas = text(replicasNode).flatMap({ Int($0) }),
            scale != replicas
        else { return }
        error(
            "service `\(service.key)`: `scale` \(scale) and `deploy.replicas` \(replicas) differ, and compose refuses distinct values; set one of them",
            at: replicasNode.location, rule: "compose/exclusive-keys")
    }

    /// `cpus`, `mem_limit`, `mem_reservation` and `pids_limit` against `deploy.resources`: once the
    /// service key is set and the `limits` (or `reservations`) mapping is written, compose-go requires
    /// the same value there, and reads an absent one as 0.
    private mutating func checkResourceTwins(_ service: YAMLPair) {
        let twins: [(key: String, section: String, twin: String, read: (String) -> Double?)] = [
            ("cpus", "limits", "cpus", { Float($0).map(Double.init) }),
            ("mem_limit", "limits", "memory", { ComposeByteSize.bytes($0).map(Double.init) }),
            ("mem_reservation", "reservations", "memory", { ComposeByteSize.bytes($0).map(Double.init) }),
            ("pids_limit", "limits", "pids", { Int64($0).map(Double.init) }),
        ]
        for twin in twins {
            guard let node = service.value[twin.key], let value = text(node).flatMap(twin.read), value != 0,
                let sectionPair = service.value["deploy"]?["resources"]?.pairs?.last(where: { $0.key == twin.section }),
                let section = sectionPair.value.pairs, !section.isEmpty
            else { continue }
            let place = "deploy.resources.\(twin.section).\(twin.twin)"
            guard let other = sectionPair.value[twin.twin] else {
                error(
                    "service `\(service.key)` sets `\(twin.key)` while `deploy.resources.\(twin.section)` has no `\(twin.twin)`, which compose reads as 0 and refuses as a distinct value; set `\(twin.twin)` there too, or only one of them",
                    at: sectionPair.keyLocation, rule: "compose/exclusive-keys")
                continue
            }
            guard let otherText = text(other), let otherValue = twin.read(otherText), otherValue != value else { continue }
            error(
                "service `\(service.key)`: `\(twin.key)` \(text(node) ?? "") and `\(place)` \(otherText) differ, and compose refuses distinct values; set one of them",
                at: other.location, rule: "compose/exclusive-keys")
        }
    }

    /// A secret takes its content from one of `file` or `environment` (a config also from `content`),
    /// unless it is external or a driver provides it.
    private mutating func checkSources(_ section: String, kind: String, keys: [String]) {
        let listed = keys.map { "`\($0)`" }.joined(separator: ", ")
        for entry in project.root[section]?.pairs ?? [] {
            guard let pairs = entry.value.pairs else { continue }
            let written = pairs.filter { keys.contains($0.key) }
            if written.count > 1 {
                error(
                    "\(kind) `\(entry.key)` sets " + written.map { "`\($0.key)`" }.joined(separator: " and ")
                        + ", which exclude each other (one of \(listed)); keep one",
                    at: written[written.count - 1].keyLocation, rule: "compose/exclusive-keys")
            } else if written.isEmpty, entry.value["driver"] == nil, entry.value["external"] == nil {
                error(
                    "\(kind) `\(entry.key)` has none of \(listed): compose has nothing to put in it; give one, or mark it `external: true`",
                    at: entry.keyLocation, rule: "compose/exclusive-keys")
            }
        }
    }

    /// An external volume exists outside the project, so compose takes nothing but its `name`.
    private mutating func checkExternalVolumes() {
        for entry in project.root["volumes"]?.pairs ?? [] {
            guard let pairs = entry.value.pairs, let external = entry.value["external"], isTrue(external) else { continue }
            for pair in pairs where !["name", "external"].contains(pair.key) && !pair.key.hasPrefix("x-") {
                error(
                    "volume `\(entry.key)` is `external: true` and also sets `\(pair.key)`; compose creates nothing for an external volume, so only `name` may go with it",
                    at: pair.keyLocation, rule: "compose/exclusive-keys")
            }
        }
    }

    /// `external: {name: x}` is the old spelling of `name: x` with `external: true`; compose warns,
    /// and refuses a `name` that says otherwise.
    private mutating func checkExternalName(_ entry: YAMLPair, section: String) {
        guard let externalName = entry.value["external"]?["name"] else { return }
        let singular = String(section.dropLast())
        if let name = entry.value["name"], let nameText = text(name), let externalText = text(externalName), nameText != externalText {
            error(
                "\(singular) `\(entry.key)`: `name` `\(nameText)` and `external.name` `\(externalText)` conflict; keep only `name`",
                at: externalName.location, rule: "compose/exclusive-keys")
        } else {
            warning(
                "\(singular) `\(entry.key)`: `external.name` is deprecated; write `name: \(text(externalName) ?? "…")` and `external: true`",
                at: externalName.location, rule: "compose/exclusive-keys")
        }
    }

    private func nonEmpty(_ node: YAMLNode?) -> Bool {
        guard let node, let scalar = node.scalar, !scalar.isNull else { return false }
        return isUnresolved(node) || !scalar.text.isEmpty
    }

    /// `external` as compose casts it: a mapping (the old `external: {name: …}`) or a true boolean.
    private func isTrue(_ node: YAMLNode) -> Bool {
        if node.pairs != nil { return true }
        guard let value = text(node) else { return false }
        return ["true", "y", "yes", "on"].contains(value.lowercased())
    }

    /// The pair written last among `keys`; with `both`, only when every key is written.
    private static func later(of keys: [String], in pairs: [YAMLPair], both: Bool = false) -> YAMLPair? {
        let written = pairs.filter { keys.contains($0.key) }
        if both, Set(written.map(\.key)).count < keys.count { return nil }
        return written.last
    }
}
