/// The rules of a dependency list (Chart.yaml `dependencies` in v2 charts, requirements.yaml in v1):
/// each entry's fields (`Dependency.Validate` and what `helm dependency update` needs), and unique
/// names or aliases.
struct DependencyChecker {
    static let knownKeys = [
        "name", "version", "repository", "condition", "tags", "enabled", "import-values", "alias", "depends-on",
    ]

    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    mutating func check(_ list: YAMLNode) {
        guard !list.isNull else { return }
        guard let items = list.items else {
            error("`dependencies` must be a list of charts (`- name: …`), not \(list.kindDescription)", at: list.location, rule: "helm/wrong-type")
            return
        }
        var seen: [String: SourceLocation] = [:]
        for item in items {
            guard !item.isNull else {
                error("a dependency entry is empty; give it `name`, `version` and `repository`, or remove the `-`",
                    at: item.location, rule: "helm/dependency")
                continue
            }
            guard item.pairs != nil else {
                error("a dependency must be a mapping with `name`, `version` and `repository`, not \(item.kindDescription)",
                    at: item.location, rule: "helm/wrong-type")
                continue
            }
            guard let key = checkEntry(item) else { continue }
            if let first = seen[key.text] {
                error("more than one dependency with name or alias `\(key.text)` (the first is at line \(first.line), "
                    + "column \(first.column)); give one of them a distinct `alias`", at: key.location, rule: "helm/duplicate-dependency")
            } else {
                seen[key.text] = key.location
            }
        }
    }

    /// Checks one entry; returns the name or alias it is known by, with where that was written.
    private mutating func checkEntry(_ item: YAMLNode) -> (text: String, location: SourceLocation)? {
        for pair in item.pairs ?? [] where !Self.knownKeys.contains(pair.key) {
            var message = "`\(pair.key)` is not a dependency field; Helm ignores it"
            if let guess = Suggestion.closest(to: pair.key, among: Self.knownKeys) { message += "; did you mean `\(guess)`?" }
            diagnostics.append(.warning(message, at: pair.keyLocation, rule: "helm/unknown-key"))
        }
        for key in ["name", "version", "repository", "condition", "alias"] {
            guard let value = item[key], !value.isNull else { continue }
            if value.scalar == nil {
                error("dependency `\(key)` must be text, not \(value.kindDescription)", at: value.location, rule: "helm/wrong-type")
            } else if let reading = ChartfileChecker.numberReading(value), key != "name", key != "alias" {
                error("dependency `\(key): \(value.scalar!.text)` is a YAML number, which Helm reads as \(reading) "
                    + "and rejects; quote it", at: value.location, rule: key == "version" ? "helm/version-number" : "helm/wrong-type")
            }
        }
        for key in ["tags", "import-values", "depends-on"] {
            guard let value = item[key], !value.isNull, value.items == nil else { continue }
            error("dependency `\(key)` must be a list, not \(value.kindDescription)", at: value.location, rule: "helm/wrong-type")
        }
        if let value = item["enabled"], !value.isNull, value.scalar?.bool == nil {
            error("dependency `enabled` must be `true` or `false`, not \(value.kindDescription)", at: value.location, rule: "helm/wrong-type")
        }

        let name = item["name"].flatMap(text)
        if name == nil || name!.isEmpty {
            error("a dependency needs a `name`: the name of the chart in its repository", at: item["name"]?.location ?? item.location,
                rule: "helm/dependency")
        }
        let label = name.map { "`\($0)`" } ?? "this dependency"
        let repository = item["repository"].flatMap(text) ?? ""
        if let value = item["repository"], !repository.isEmpty, !Self.isRepository(repository) {
            error("repository `\(repository)` of dependency \(label) is not a chart repository: use an `https://` or `oci://` URL, "
                + "`file://` for a local chart, or `@name` for a repository added with `helm repo add`", at: value.location,
                rule: "helm/dependency")
        }
        let versionNode = item["version"]
        if let value = versionNode, let version = text(value) {
            if ChartfileChecker.numberReading(value) == nil, let problem = VersionConstraint.problem(in: version) {
                error("version `\(version)` of dependency \(label) is not a version or version range (such as `1.2.3`, `^1.2.0`, "
                    + "`~1.2`, `>=1.0.0 <2.0.0`): \(problem)", at: value.location, rule: "helm/dependency")
            }
        } else if !repository.isEmpty, versionNode?.isNull ?? true {
            error("dependency \(label) has a repository but no `version`; `helm dependency update` needs a version or range "
                + "(such as `^1.2.0`)", at: versionNode?.location ?? item["name"]?.location ?? item.location, rule: "helm/dependency")
        }
        if let value = item["alias"], let alias = text(value), alias.wholeMatch(of: /[A-Za-z0-9_\-]+/) == nil {
            error("alias `\(alias)` of dependency \(label) may only hold letters, digits, `_` and `-`", at: value.location,
                rule: "helm/dependency")
        }
        if let value = item["alias"], let alias = text(value), !alias.isEmpty { return (alias, value.location) }
        if let value = item["name"], let name, !name.isEmpty { return (name, value.location) }
        return nil
    }

    /// The repository forms `helm dependency` resolves.
    static func isRepository(_ text: String) -> Bool {
        if text.hasPrefix("@") { return text.count > 1 }
        if text.hasPrefix("alias:") { return text.count > 6 }
        if text.hasPrefix("file://") { return text.count > 7 }
        let lower = text.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("oci://") else { return false }
        return WebAddress.isRequestURL(text)
    }

    private func text(_ node: YAMLNode) -> String? {
        guard let scalar = node.scalar, !node.isNull else { return nil }
        return scalar.text
    }

    private mutating func error(_ message: String, at location: SourceLocation, rule: String) {
        diagnostics.append(.error(message, at: location, rule: rule))
    }
}
