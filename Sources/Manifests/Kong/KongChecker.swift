/// Walks a Kong declarative config, checking each entity's shape as it goes and recording names,
/// ids and references; `finish()` then resolves the references and compares routes, once every
/// entity is known (a plugin may name a route defined further down).
struct KongChecker {
    /// The entity kinds that other entities refer to.
    enum Kind: String, Hashable {
        case service, route, consumer, upstream, certificate, vault
        case consumerGroup = "consumer group"
        case caCertificate = "CA certificate"
    }

    /// A name or id one entity uses to point at another.
    struct Reference {
        var kind: Kind
        var value: String
        var location: SourceLocation
        /// Who refers, for the message ("plugin `rate-limiting`").
        var owner: String
    }

    /// What a route matches on, for finding two routes that match the same requests.
    struct RouteMatch {
        var label: String
        var paths: [(text: String, location: SourceLocation)]
        var hosts: [String]
        var methods: [String]
        var headers: String
        var protocols: Set<String>
    }

    let file: String
    var diagnostics: [Diagnostic] = []
    /// Names and ids that references can resolve to, by kind.
    var known: [Kind: Set<String>] = [:]
    /// Names (not ids) by kind, in file order, for "did you mean".
    var names: [Kind: [String]] = [:]
    /// The first place each unique value was written, by namespace ("service name", …).
    var claimed: [String: SourceLocation] = [:]
    var references: [Reference] = []
    var routes: [RouteMatch] = []

    init(file: String) { self.file = file }

    // MARK: Reporting

    mutating func error(_ message: String, at location: SourceLocation, rule: String) {
        diagnostics.append(.error(message, at: location, rule: rule))
    }

    mutating func warning(_ message: String, at location: SourceLocation, rule: String) {
        diagnostics.append(.warning(message, at: location, rule: rule))
    }

    static func place(_ location: SourceLocation) -> String {
        "line \(location.line), column \(location.column)"
    }

    // MARK: Registry

    /// Records a name or id others may refer to.
    mutating func define(_ kind: Kind, _ value: String, isName: Bool) {
        known[kind, default: []].insert(value)
        if isName { names[kind, default: []].append(value) }
    }

    /// Claims `value` in a namespace where Kong keeps values unique; a `kong/duplicate` error when it
    /// was claimed before. `what` names the value in messages ("service name `svc1`"); `secret`
    /// values are never printed.
    mutating func claim(_ namespace: String, _ value: String, what: String, at location: SourceLocation) {
        let key = namespace + "\u{0}" + value
        if let first = claimed[key] {
            error(
                "duplicate \(what); it was first defined at \(Self.place(first)), and Kong keeps it unique",
                at: location, rule: "kong/duplicate")
        } else {
            claimed[key] = location
        }
    }

    /// Records a foreign key: a plain name or id, or decK's `{name: …}` / `{id: …}` form.
    mutating func refer(_ kind: Kind, _ node: YAMLNode, owner: String, field: String) {
        var target = node
        if let pairs = node.pairs {
            guard let value = pairs.last(where: { ["name", "id", "username", "custom_id"].contains($0.key) })?.value else {
                error(
                    "\(owner): `\(field)` must name a \(kind.rawValue) by `name` or `id`", at: node.location,
                    rule: "kong/wrong-type")
                return
            }
            target = value
        }
        guard let scalar = target.scalar else {
            error(
                "\(owner): `\(field)` must be the name or id of a \(kind.rawValue), not \(target.kindDescription)",
                at: target.location, rule: "kong/wrong-type")
            return
        }
        guard !scalar.isNull, !Self.isInjected(scalar.text) else { return }
        references.append(Reference(kind: kind, value: scalar.text, location: target.location, owner: owner))
    }

    // MARK: Finishing

    mutating func finish() {
        for reference in references where !(known[reference.kind]?.contains(reference.value) ?? false) {
            var message = "\(reference.owner) refers to \(reference.kind.rawValue) `\(reference.value)`, which this file does not define"
            if let guess = Suggestion.closest(to: reference.value, among: names[reference.kind] ?? []) {
                message += "; did you mean `\(guess)`?"
            } else if let defined = names[reference.kind], !defined.isEmpty {
                message += "; defined: " + defined.prefix(8).map { "`\($0)`" }.joined(separator: ", ")
            }
            error(message, at: reference.location, rule: "kong/undefined-reference")
        }
        checkRouteCollisions()
    }

    /// Two routes that match the same path on the same hosts, methods, headers and (overlapping)
    /// protocols: Kong sends every such request to one of them, so the other never matches.
    mutating func checkRouteCollisions() {
        var seen: [String: [(route: RouteMatch, location: SourceLocation)]] = [:]
        for route in routes {
            let hosts = route.hosts.isEmpty ? "any host" : route.hosts.sorted().joined(separator: ", ")
            let methods = route.methods.isEmpty ? "any method" : route.methods.sorted().joined(separator: ", ")
            for path in route.paths {
                let key = [path.text, hosts, methods, route.headers].joined(separator: "\u{0}")
                if let earlier = seen[key]?.first(where: { !$0.route.protocols.isDisjoint(with: route.protocols) }) {
                    warning(
                        "\(route.label) routes path `\(path.text)` (\(hosts); \(methods)) exactly as \(earlier.route.label) "
                            + "at \(Self.place(earlier.location)) does; Kong sends those requests to one of them only. "
                            + "Remove one, or tell them apart by hosts, methods or headers",
                        at: path.location, rule: "kong/route-collision")
                }
                seen[key, default: []].append((route, path.location))
            }
        }
    }

    // MARK: Values

    /// Whether a value is filled in later: a decK `${{ env "…" }}` variable or a Kong `{vault://…}`
    /// reference. Such values are not checked against types or formats.
    static func isInjected(_ text: String) -> Bool {
        text.contains("${{") || text.hasPrefix("{vault://")
    }

    /// The pairs of an entity, each key checked against `allowed`.
    mutating func entity(_ node: YAMLNode, _ label: String, allowed: [String], schema: String) -> [YAMLPair]? {
        guard let pairs = node.pairs else {
            error("\(label) must be a mapping of fields, not \(node.kindDescription)", at: node.location, rule: "kong/wrong-type")
            return nil
        }
        for pair in pairs where !allowed.contains(pair.key) {
            var message = "unknown field `\(pair.key)` in \(label)"
            if let guess = Suggestion.closest(to: pair.key, among: allowed) {
                message += "; did you mean `\(guess)`?"
            } else {
                message += "; Kong's \(schema) schema has no such field"
            }
            error(message, at: pair.keyLocation, rule: "kong/unknown-key")
        }
        return pairs
    }

    /// The items of a list field; null is an empty list.
    mutating func list(_ node: YAMLNode, _ label: String, _ field: String) -> [YAMLNode] {
        if node.isNull { return [] }
        guard let items = node.items else {
            error("\(label): `\(field)` must be a list, not \(node.kindDescription)", at: node.location, rule: "kong/wrong-type")
            return []
        }
        return items
    }

    /// A string field's text; nil for null, for an injected value, and (with an error) for a list or mapping.
    mutating func text(_ node: YAMLNode, _ label: String, _ field: String) -> String? {
        guard let scalar = node.scalar else {
            error("\(label): `\(field)` must be a string, not \(node.kindDescription)", at: node.location, rule: "kong/wrong-type")
            return nil
        }
        if scalar.isNull || Self.isInjected(scalar.text) { return nil }
        return scalar.text
    }

    /// A whole number within `range`.
    @discardableResult
    mutating func integer(_ node: YAMLNode, _ label: String, _ field: String, _ range: ClosedRange<Int>) -> Int? {
        guard let scalar = node.scalar, !scalar.isNull, !Self.isInjected(scalar.text) else {
            if node.scalar == nil {
                error("\(label): `\(field)` must be a whole number, not \(node.kindDescription)", at: node.location, rule: "kong/wrong-type")
            }
            return nil
        }
        guard let value = scalar.int else {
            var message = "\(label): `\(field)` must be a whole number, not `\(scalar.text)`"
            if !scalar.isPlain, YAMLScalar(text: scalar.text, isPlain: true, tag: nil).int != nil {
                message += "; remove the quotes, Kong wants a number here"
            }
            error(message, at: node.location, rule: "kong/wrong-type")
            return nil
        }
        guard range.contains(value) else {
            error(
                "\(label): `\(field)` must be between \(range.lowerBound) and \(range.upperBound), not \(value)",
                at: node.location, rule: "kong/invalid-value")
            return nil
        }
        return value
    }

    mutating func boolean(_ node: YAMLNode, _ label: String, _ field: String) {
        guard let scalar = node.scalar else {
            error("\(label): `\(field)` must be `true` or `false`, not \(node.kindDescription)", at: node.location, rule: "kong/wrong-type")
            return
        }
        guard !scalar.isNull, scalar.bool == nil, !Self.isInjected(scalar.text) else { return }
        let unquoted = YAMLScalar(text: scalar.text, isPlain: true, tag: nil).bool != nil
        error(
            "\(label): `\(field)` must be `true` or `false`, not `\(scalar.text)`" + (unquoted ? "; remove the quotes" : ""),
            at: node.location, rule: "kong/wrong-type")
    }

    /// One of a fixed set of words, with a suggestion for a near miss.
    @discardableResult
    mutating func choice(_ node: YAMLNode, _ label: String, _ field: String, _ options: [String]) -> String? {
        guard let value = text(node, label, field) else { return nil }
        guard options.contains(value) else {
            var message = "\(label): `\(field)` must be one of " + options.map { "`\($0)`" }.joined(separator: ", ")
                + ", not `\(value)`"
            if let guess = Suggestion.closest(to: value, among: options) { message += "; did you mean `\(guess)`?" }
            error(message, at: node.location, rule: "kong/invalid-value")
            return nil
        }
        return value
    }

    /// A list of strings, each with its location.
    mutating func strings(_ node: YAMLNode, _ label: String, _ field: String) -> [(text: String, location: SourceLocation)] {
        list(node, label, field).compactMap { item in
            text(item, label, field).map { ($0, item.location) }
        }
    }

    /// `tags`: a list of strings.
    mutating func tags(_ node: YAMLNode, _ label: String) {
        _ = strings(node, label, "tags")
    }
}
