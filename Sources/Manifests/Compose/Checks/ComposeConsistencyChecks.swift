/// The consistency checks of compose's reference loader (compose-go `loader/validate.go` and
/// `validation/validation.go`) that need more than one key: models a service uses, `service:` build
/// contexts, build platforms against `platform`, watch rules, and two mounts on one target.
extension ComposeCheckContext {
    mutating func checkConsistency() {
        let models = definedNames("models")
        for service in services {
            let name = service.key
            let definition = service.value
            for (model, location) in Self.names(in: definition["models"]) where !models.contains(model) {
                error(
                    "service `\(name)` uses model `\(model)`, which top-level `models` does not define"
                        + Self.suggestion(for: model, among: models), at: location, rule: "compose/undefined-model")
            }
            if let build = definition["build"], build.pairs != nil {
                checkAdditionalContexts(of: name, build)
                checkPlatforms(of: name, definition, build)
            }
            checkWatchRules(of: name, definition)
            checkMountTargets(of: name, definition)
        }
    }

    /// The names a list of names or a mapping keyed by name holds, with where each is written.
    static func names(in node: YAMLNode?) -> [(String, SourceLocation)] {
        guard let node else { return [] }
        if let items = node.items { return items.compactMap { item in item.scalar.map { ($0.text, item.location) } } }
        return (node.pairs ?? []).map { ($0.key, $0.keyLocation) }
    }

    /// `additional_contexts` entries `name: service:x` (or `name=service:x`) must name a service that
    /// is built: compose builds it first and hands its image to this build.
    private mutating func checkAdditionalContexts(of name: String, _ build: YAMLNode) {
        guard let contexts = build["additional_contexts"] else { return }
        var entries: [(name: String, value: String, location: SourceLocation)] = []
        for pair in contexts.pairs ?? [] {
            guard let value = text(pair.value) else { continue }
            entries.append((pair.key, value, pair.value.location))
        }
        for item in contexts.items ?? [] {
            guard let entry = text(item), let equals = entry.firstIndex(of: "=") else { continue }
            entries.append((String(entry[..<equals]), String(entry[entry.index(after: equals)...]), item.location))
        }
        let builds = Dictionary(services.map { ($0.key, $0.value["build"] != nil) }, uniquingKeysWith: { first, _ in first })
        for entry in entries where entry.value.hasPrefix("service:") {
            let target = String(entry.value.dropFirst("service:".count))
            guard let buildable = builds[target] else {
                error(
                    "service `\(name)`: build context `\(entry.name)` is service `\(target)`, which is not a service of this project"
                        + Self.suggestion(for: target, among: serviceNames), at: entry.location, rule: "compose/undefined-service")
                continue
            }
            if !buildable {
                error(
                    "service `\(name)`: build context `\(entry.name)` is service `\(target)`, which has no `build`, so compose has no image "
                        + "of it to give; give `\(target)` a build, or use `docker-image://` with its image", at: entry.location,
                    rule: "compose/additional-context")
            }
        }
    }

    /// `build.platforms`, when given with `platform`, must include it: compose runs the image built for it.
    private mutating func checkPlatforms(of name: String, _ service: YAMLNode, _ build: YAMLNode) {
        guard let platformNode = service["platform"], let platform = text(platformNode), let platforms = build["platforms"],
            let items = platforms.items, !items.isEmpty
        else { return }
        let built = items.compactMap { text($0) }
        guard built.count == items.count, !built.contains(platform) else { return }
        let listed = built.map { "`\($0)`" }.joined(separator: ", ")
        let (at, other) = platformNode.location > platforms.location ? (platformNode.location, platforms.location) : (platforms.location, platformNode.location)
        error(
            "service `\(name)` runs on platform `\(platform)`, but `build.platforms` (\(listed)) does not build it"
                + " (the other is at \(other.shortDescription)); add `\(platform)` to `build.platforms`", at: at, rule: "compose/platform")
    }

    /// A watch rule needs a `path` that is not blank, and a `target` unless its action rebuilds or restarts.
    private mutating func checkWatchRules(of name: String, _ service: YAMLNode) {
        for rule in service["develop"]?["watch"]?.items ?? [] where rule.pairs != nil {
            if let path = rule["path"], let text = text(path), text.isEmpty {
                error(
                    "service `\(name)`: a watch rule's `path` is blank; give the path to watch, relative to the project",
                    at: path.location, rule: "compose/invalid-value")
            }
            // An action outside the enum is reported as such (compose/invalid-value), not here.
            guard rule["target"] == nil, let actionNode = rule["action"], let action = text(actionNode),
                ["sync", "sync+restart", "sync+exec"].contains(action)
            else { continue }
            error(
                "service `\(name)`: a watch rule with action `\(action)` has no `target`: compose does not know where in the container "
                    + "to put the files; add `target:`", at: actionNode.location, rule: "compose/missing-key")
        }
    }

    /// Two mounts (`tmpfs` or `volumes`) on one path of the container: compose refuses the service.
    private mutating func checkMountTargets(of name: String, _ service: YAMLNode) {
        var mounted: [String: (what: String, location: SourceLocation)] = [:]
        var mounts: [(target: String, what: String, location: SourceLocation)] = []
        let tmpfs = service["tmpfs"]
        for node in tmpfs?.items ?? (tmpfs.map { [$0] } ?? []) {
            guard let entry = text(node) else { continue }
            mounts.append((String(entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""), "tmpfs", node.location))
        }
        for node in service["volumes"]?.items ?? [] {
            if node.pairs != nil {
                guard let targetNode = node["target"], let target = text(targetNode) else { continue }
                mounts.append((target, "a volume", targetNode.location))
            } else if let entry = text(node), let target = Self.shortTarget(entry) {
                mounts.append((target, "a volume", node.location))
            }
        }
        for mount in mounts {
            let target = Self.normalizedTarget(mount.target)
            guard !target.isEmpty else { continue }
            if let first = mounted[target] {
                error(
                    "service `\(name)` mounts `\(mount.target)` twice: \(mount.what) here and \(first.what) at "
                        + "\(first.location.shortDescription); keep one", at: mount.location, rule: "compose/mount-conflict")
            } else {
                mounted[target] = (mount.what, mount.location)
            }
        }
    }

    /// The container path of a short-syntax mount (`SOURCE:TARGET[:MODE]` or just `TARGET`).
    static func shortTarget(_ entry: String) -> String? {
        guard let source = ServiceMount.shortSource(entry) else { return entry.isEmpty ? nil : entry }
        let rest = entry.dropFirst(source.count + 1)
        return String(rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// A container path with its trailing slashes dropped (`/data/` is `/data`).
    static func normalizedTarget(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}
