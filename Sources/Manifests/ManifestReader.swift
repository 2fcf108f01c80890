/// Typed access to a YAML tree that records a diagnostic for every problem instead of throwing, so a
/// loader reports everything wrong with a file in one go.
///
/// Paths in messages are dotted key paths as users write them (`strategy.batch`,
/// `load-balancers[1].haproxy.socket`).
struct ManifestReader {
    var diagnostics: [Diagnostic] = []

    mutating func error(_ message: String, at location: SourceLocation?, rule: String) {
        diagnostics.append(.error(message, at: location, rule: rule))
    }

    mutating func warning(_ message: String, at location: SourceLocation?, rule: String) {
        diagnostics.append(.warning(message, at: location, rule: rule))
    }

    var hasErrors: Bool { diagnostics.containsErrors }

    // MARK: Mappings

    /// The pairs of a mapping, or nil (with a `wrong-type` error) when the node is something else.
    /// `x-` keys are left out: they are extension fields, ignored by design.
    mutating func mapping(_ node: YAMLNode, _ path: String) -> [YAMLPair]? {
        guard let pairs = node.pairs else {
            error("`\(path)` must be a mapping, not \(node.kindDescription)", at: node.location, rule: "wrong-type")
            return nil
        }
        return pairs.filter { !$0.key.hasPrefix("x-") }
    }

    /// Reports every key of `pairs` not in `allowed`, with a suggestion for near misses.
    mutating func checkKeys(_ pairs: [YAMLPair], allowed: [String], in path: String) {
        for pair in pairs where !allowed.contains(pair.key) {
            let place = path.isEmpty ? "at the top level" : "in `\(path)`"
            var message = "unknown key `\(pair.key)` \(place)"
            if let guess = Suggestion.closest(to: pair.key, among: allowed) {
                message += "; did you mean `\(guess)`?"
            } else {
                message += "; expected one of: " + allowed.map { "`\($0)`" }.joined(separator: ", ")
            }
            error(message, at: pair.keyLocation, rule: "unknown-key")
        }
    }

    /// The value of a key that must be present; a `missing-key` error at the mapping otherwise.
    mutating func required(_ key: String, in pairs: [YAMLPair], at location: SourceLocation, path: String) -> YAMLNode? {
        if let value = pairs.last(where: { $0.key == key })?.value { return value }
        let full = path.isEmpty ? key : "\(path).\(key)"
        error("missing required key `\(full)`", at: location, rule: "missing-key")
        return nil
    }

    /// Which one of `keys` the mapping has; an `exactly-one-of` error when it has none or several.
    mutating func exactlyOne(
        of keys: [String], in pairs: [YAMLPair], at location: SourceLocation, path: String
    ) -> YAMLPair? {
        let present = pairs.filter { keys.contains($0.key) }
        let list = keys.map { "`\($0)`" }.joined(separator: ", ")
        if present.isEmpty {
            error("`\(path)` needs exactly one of \(list); found none", at: location, rule: "exactly-one-of")
            return nil
        }
        if present.count > 1 {
            let found = present.map { "`\($0.key)`" }.joined(separator: " and ")
            error("`\(path)` takes exactly one of \(list); found \(found)", at: present[1].keyLocation, rule: "exactly-one-of")
            return nil
        }
        return present[0]
    }

    // MARK: Scalars

    /// A string value. Numbers and booleans are accepted as their text; a plain scalar that YAML 1.1
    /// tools read as something else (`yes`, `22:22`, `0755`, `1.10`) gets a `yaml11-scalar` warning.
    mutating func string(_ node: YAMLNode, _ path: String) -> String? {
        guard let scalar = node.scalar, !scalar.isNull else {
            error("`\(path)` must be a string, not \(node.kindDescription)", at: node.location, rule: "wrong-type")
            return nil
        }
        if let reading = scalar.yaml11Reading {
            warning(
                "`\(path)`: `\(scalar.text)` is read as \(reading) by YAML 1.1 tools; quote it: \"\(scalar.text)\"",
                at: node.location, rule: "yaml11-scalar")
        }
        return scalar.text
    }

    mutating func int(_ node: YAMLNode, _ path: String, minimum: Int? = nil, maximum: (Int, why: String)? = nil) -> Int? {
        guard let value = node.scalar?.int else {
            error("`\(path)` must be a whole number, not \(node.kindDescription)", at: node.location, rule: "wrong-type")
            return nil
        }
        if let minimum, value < minimum {
            error("`\(path)` must be at least \(minimum), not \(value)", at: node.location, rule: "out-of-range")
            return nil
        }
        if let (maximum, why) = maximum, value > maximum {
            error("`\(path)` must be at most \(maximum) (\(why)), not \(value)", at: node.location, rule: "out-of-range")
            return nil
        }
        return value
    }

    mutating func double(_ node: YAMLNode, _ path: String, range: ClosedRange<Double>) -> Double? {
        guard let value = node.scalar?.double else {
            error("`\(path)` must be a number, not \(node.kindDescription)", at: node.location, rule: "wrong-type")
            return nil
        }
        guard range.contains(value) else {
            error(
                "`\(path)` must be between \(range.lowerBound) and \(range.upperBound), not \(node.scalar?.text ?? "")",
                at: node.location, rule: "out-of-range")
            return nil
        }
        return value
    }

    mutating func bool(_ node: YAMLNode, _ path: String) -> Bool? {
        guard let scalar = node.scalar, let value = scalar.bool else {
            var message = "`\(path)` must be `true` or `false`, not \(node.kindDescription)"
            if let reading = node.scalar?.yaml11Reading, reading.hasPrefix("the boolean") {
                message += " (`\(node.scalar?.text ?? "")` is a string in YAML 1.2; write \(reading.dropFirst(12)))"
            }
            error(message, at: node.location, rule: "wrong-type")
            return nil
        }
        return value
    }

    /// A duration such as `500ms`, `30s`, `2m`, `1m30s`, or a bare number of seconds.
    mutating func duration(_ node: YAMLNode, _ path: String) -> Duration? {
        guard let scalar = node.scalar, !scalar.isNull, let value = Duration(manifestText: scalar.text) else {
            error(
                "`\(path)` must be a duration such as `500ms`, `30s`, `2m` or `1m30s`, not "
                    + (node.scalar.map { $0.isNull ? "null" : "`\($0.text)`" } ?? node.kindDescription),
                at: node.location, rule: "wrong-type")
            return nil
        }
        return value
    }

    /// One of a fixed set of words.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: String, as type: T.Type) -> T?
    where T.RawValue == String {
        let options = T.allCases.map(\.rawValue)
        guard let scalar = node.scalar, let value = T(rawValue: scalar.text) else {
            var message = "`\(path)` must be one of " + options.map { "`\($0)`" }.joined(separator: ", ")
            if let text = node.scalar?.text {
                message += ", not `\(text)`"
                if let guess = Suggestion.closest(to: text, among: options) { message += "; did you mean `\(guess)`?" }
            }
            error(message, at: node.location, rule: "wrong-type")
            return nil
        }
        return value
    }
}

/// "Did you mean" suggestions for misspelt names.
enum Suggestion {
    /// The candidate closest to `word` when it is close enough to be a likely typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let normalized = normalize(word)
        var best: (String, Int)?
        for candidate in candidates {
            let other = normalize(candidate)
            var distance = editDistance(normalized, other)
            // A name with a suffix left off (`backend_db` for `backend_db_v2`) is nearer than one with
            // letters changed.
            if normalized.count >= 4, other.count > normalized.count, other.starts(with: normalized),
                other.count - normalized.count <= 4
            {
                distance = min(distance, 1)
            }
            let limit = max(1, min(3, candidate.count / 3))
            if distance <= limit, best == nil || distance < best!.1 {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    private static func normalize(_ word: String) -> [Character] {
        Array(word.lowercased().map { $0 == "_" ? "-" : $0 })
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var beforePrevious = previous
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                // Two letters swapped (`wbe` for `web`) count as one edit.
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }
}
