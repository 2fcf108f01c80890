/// Keys and shapes against the Compose Specification's schema, the obsolete `version`, and services
/// that have nothing to run.
extension ComposeCheckContext {
    mutating func checkSchema() {
        checkShape(project.root, ComposeSchema.top, path: "", place: project.root.location)
        if let version = project.root.pairs?.last(where: { $0.key == "version" }) {
            warning(
                "`version` is obsolete: compose ignores it and reads every file as the Compose Specification; remove it",
                at: version.keyLocation, rule: "compose/version-obsolete")
        }
        for service in services {
            guard let pairs = service.value.pairs else { continue }
            checkBindSources(service)
            let keys = Set(pairs.map(\.key))
            // `extends` brings its image from the extended service; a provider service runs no container.
            if keys.isDisjoint(with: ["image", "build", "extends", "provider"]) {
                error(
                    "service `\(service.key)` has neither `image` nor `build`: compose has nothing to run; add an `image:` or a `build:` context",
                    at: service.keyLocation, rule: "compose/no-image")
            }
        }
    }

    /// `place` is where a finding about the node as a whole goes (a missing key): the key that
    /// introduces it, or the list item itself.
    private mutating func checkShape(_ node: YAMLNode, _ shape: ComposeShape, path: String, place: SourceLocation) {
        if node.isNull || node.scalar?.tag == "!reset" { return }
        switch shape {
        case .any:
            return
        case .value(let kinds):
            guard let scalar = node.scalar else { return wrongType(node, shape, path: path) }
            if !kinds.accepts(scalar), !isInterpolated(node) { wrongScalar(node, scalar, kinds, path: path) }
        case .object(let keys, let extensions, let required):
            guard let pairs = node.pairs else { return wrongType(node, shape, path: path) }
            for key in required where !pairs.contains(where: { $0.key == key }) {
                missingKey(key, path: path, at: place)
            }
            for pair in pairs {
                if let child = keys[pair.key] {
                    checkShape(pair.value, child, path: join(path, pair.key), place: pair.keyLocation)
                } else if !(extensions && pair.key.hasPrefix("x-")) {
                    unknownKey(pair, allowed: keys.keys.sorted(), path: path)
                }
            }
        case .dictionary(let value, let names):
            guard let pairs = node.pairs else { return wrongType(node, shape, path: path) }
            for pair in pairs {
                if names, !Self.isValidName(pair.key) {
                    error(
                        "`\(pair.key)` is not a valid name in `\(path)`: use letters, digits, `.`, `_` and `-` only",
                        at: pair.keyLocation, rule: "compose/invalid-name")
                }
                checkShape(pair.value, value, path: join(path, pair.key), place: pair.keyLocation)
            }
        case .list(let item):
            guard let items = node.items else { return wrongType(node, shape, path: path) }
            for (index, child) in items.enumerated() {
                checkShape(child, item, path: "\(path)[\(index)]", place: child.location)
            }
        case .choice(let scalar, let list, let mapping):
            let chosen: ComposeShape?
            switch node.content {
            case .scalar: chosen = scalar
            case .sequence: chosen = list
            case .mapping: chosen = mapping
            }
            guard let chosen else { return wrongType(node, shape, path: path) }
            checkShape(node, chosen, path: path, place: place)
        }
    }

    private func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    private mutating func wrongType(_ node: YAMLNode, _ shape: ComposeShape, path: String) {
        var message = "`\(path)` must be \(shape.expectation), not \(node.kindDescription)"
        if case .scalar(let scalar) = node.content, shape.acceptsList {
            message += "; write it as a list (`- \(scalar.text)`)"
        }
        error(message, at: node.location, rule: "compose/wrong-type")
    }

    /// A plain number or boolean where the schema wants text (`user: 1000`), or text where it wants a
    /// number or boolean and compose casts nothing (`use_api_socket: "yes"`).
    private mutating func wrongScalar(_ node: YAMLNode, _ scalar: YAMLScalar, _ kinds: ComposeScalarKinds, path: String) {
        var message = "`\(path)` must be \(kinds.expectation), not \(scalar.kindDescription) (`\(scalar.text)`)"
        if kinds.contains(.text) {
            let key = path.split(separator: ".").last.map { $0.contains("[") ? "-" : "\($0):" } ?? "-"
            message += "; quote it (`\(key) \"\(scalar.text)\"`)"
        }
        error(message, at: node.location, rule: "compose/wrong-type")
    }

    /// A long-syntax bind mount needs its host path (compose: `invalid mount config for type "bind":
    /// field Source must not be empty`); other types may leave it out (an anonymous volume, a tmpfs).
    private mutating func checkBindSources(_ service: YAMLPair) {
        for (index, item) in (service.value["volumes"]?.items ?? []).enumerated() {
            guard item.pairs != nil, text(item["type"]) == "bind", item["source"] == nil else { continue }
            error(
                "`services.\(service.key).volumes[\(index)]` is a bind mount with no `source`; give the host path to mount",
                at: item.location, rule: "compose/missing-key")
        }
    }

    private mutating func missingKey(_ key: String, path: String, at place: SourceLocation) {
        var message = "`\(path)` has no `\(key)`, which compose requires here"
        if let hint = ComposeSchema.requiredHints[key] { message += "; \(hint)" }
        error(message, at: place, rule: "compose/missing-key")
    }

    private mutating func unknownKey(_ pair: YAMLPair, allowed: [String], path: String) {
        let place = path.isEmpty ? "at the top level" : "in `\(path)`"
        var message = "unknown key `\(pair.key)` \(place)"
        if let guess = Suggestion.closest(to: pair.key, among: allowed) {
            message += "; did you mean `\(guess)`?"
        } else if allowed.count <= 12 {
            message += "; expected one of " + allowed.map { "`\($0)`" }.joined(separator: ", ")
        } else {
            message += "; the Compose Specification does not define it (extension keys start with `x-`)"
        }
        error(message, at: pair.keyLocation, rule: "compose/unknown-key")
    }
}

extension ComposeShape {
    /// Whether a list is one of the accepted forms.
    var acceptsList: Bool {
        switch self {
        case .list: return true
        case .choice(_, let list, _): return list != nil
        default: return false
        }
    }
}
