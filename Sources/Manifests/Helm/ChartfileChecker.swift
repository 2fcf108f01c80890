import Foundation

/// The rules of Chart.yaml: `helm lint`'s chartfile rules (pkg/chart/v2/lint/rules/chartfile.go) and
/// the load-time `Metadata.Validate`, each reported at the offending key or value, all of them.
struct ChartfileChecker {
    /// The keys of Chart.yaml Helm reads (`Metadata` in pkg/chart/v2/metadata.go).
    static let knownKeys = [
        "apiVersion", "name", "version", "kubeVersion", "description", "type", "keywords", "home", "sources",
        "dependencies", "maintainers", "icon", "appVersion", "deprecated", "annotations", "condition", "tags",
    ]
    private static let textKeys: Set<String> = [
        "apiVersion", "name", "version", "kubeVersion", "description", "type", "home", "icon", "appVersion",
        "condition", "tags",
    ]

    let file: String
    var diagnostics: [Diagnostic] = []
    /// `apiVersion` when it is `v1` or `v2`.
    private(set) var apiVersion: String?
    /// The `appVersion` value, when written as text.
    private(set) var appVersion: YAMLNode?

    init(file: String) {
        self.file = file
    }

    mutating func check(_ root: YAMLNode) {
        guard let pairs = root.pairs else {
            error("Chart.yaml must be a mapping of chart fields (apiVersion, name, version, …), not \(root.kindDescription)",
                at: root.location, rule: "helm/wrong-type")
            return
        }
        var present: [String: YAMLPair] = [:]
        for pair in pairs {
            present[pair.key] = pair
            checkKey(pair)
        }
        checkAPIVersion(present["apiVersion"], root: root)
        checkName(present["name"], root: root)
        checkVersion(present["version"], root: root)
        if let pair = present["appVersion"], text(pair) != nil, numberReading(pair.value) == nil {
            appVersion = pair.value
        }
        if let pair = present["type"] { checkType(pair) }
        if let pair = present["dependencies"] {
            if apiVersion == "v1" {
                error("`dependencies` in Chart.yaml are only read by apiVersion v2 charts; this chart is v1, so list them "
                    + "in requirements.yaml or change `apiVersion` to v2", at: pair.keyLocation, rule: "helm/dependencies-v1")
            }
            var dependencies = DependencyChecker(file: file)
            dependencies.check(pair.value)
            diagnostics += dependencies.diagnostics
        }
        let icon = present["icon"].flatMap { text($0) } ?? ""
        if icon.isEmpty {
            diagnostics.append(.warning("the chart has no `icon`; add `icon: https://…` (an image URL chart repositories show)",
                at: present["icon"]?.keyLocation ?? root.location, rule: "helm/icon"))
        }
        if let pair = present["kubeVersion"], let text = text(pair), let problem = VersionConstraint.problem(in: text) {
            error("`kubeVersion` must be a Kubernetes version range such as `>=1.25.0-0`, but \(problem)",
                at: pair.value.location, rule: "helm/kube-version")
        }
    }

    private mutating func checkKey(_ pair: YAMLPair) {
        let key = pair.key
        guard Self.knownKeys.contains(key) else {
            var message: String
            if key == "engine" {
                message = "`engine` is a Helm 2 field that Helm 3 and later ignore (templates are always Go templates); remove it"
            } else {
                message = "`\(key)` is not a Chart.yaml field; Helm ignores it"
                if let guess = Suggestion.closest(to: key, among: Self.knownKeys) {
                    message += "; did you mean `\(guess)`?"
                } else {
                    message += " (put custom data under `annotations`)"
                }
            }
            diagnostics.append(.warning(message, at: pair.keyLocation, rule: "helm/unknown-key"))
            return
        }
        let value = pair.value
        if Self.textKeys.contains(key), !value.isNull {
            if value.scalar == nil {
                error("`\(key)` must be text, not \(value.kindDescription)", at: value.location, rule: "helm/wrong-type")
            } else if key != "version", key != "appVersion", let reading = nonTextReading(value) ?? numberReading(value) {
                error("`\(key)` must be text, but Helm reads `\(value.scalar!.text)` as \(reading); quote it",
                    at: value.location, rule: "helm/wrong-type")
            }
        }
        switch key {
        case "version", "appVersion":
            if let reading = numberReading(value) {
                error("`\(key): \(value.scalar!.text)` is a YAML number, which Helm reads as \(reading) and rejects "
                    + "(\(key) must be a string); quote it: `\(key): \"\(value.scalar!.text)\"`",
                    at: value.location, rule: "helm/version-number")
            }
        case "keywords", "sources":
            guard let items = listOf(value, key: key) else { return }
            for item in items {
                guard let text = item.scalar?.text, !item.isNull else {
                    error("each entry of `\(key)` must be text, not \(item.kindDescription)", at: item.location, rule: "helm/wrong-type")
                    continue
                }
                if key == "sources", !WebAddress.isRequestURL(text) {
                    error("source `\(text)` is not a URL; write it as `https://…`", at: item.location, rule: "helm/url")
                }
            }
        case "home", "icon":
            if let text = value.scalar?.text, !value.isNull, !WebAddress.isRequestURL(text) {
                error("`\(key)` must be a URL (`https://…`), not `\(text)`", at: value.location, rule: "helm/url")
            }
        case "maintainers":
            guard let items = listOf(value, key: key) else { return }
            for item in items { checkMaintainer(item) }
        case "annotations":
            guard !value.isNull else { return }
            guard let annotations = value.pairs else {
                error("`annotations` must be a mapping of names to text, not \(value.kindDescription)",
                    at: value.location, rule: "helm/wrong-type")
                return
            }
            for annotation in annotations {
                if annotation.value.scalar == nil {
                    error("annotation `\(annotation.key)` must be text, not \(annotation.value.kindDescription); "
                        + "write it as a block string (`|`)", at: annotation.value.location, rule: "helm/wrong-type")
                } else if let reading = nonTextReading(annotation.value) ?? numberReading(annotation.value) {
                    error("annotation `\(annotation.key)` must be text, but Helm reads `\(annotation.value.scalar!.text)` "
                        + "as \(reading); quote it", at: annotation.value.location, rule: "helm/wrong-type")
                }
            }
        case "deprecated":
            guard !value.isNull else { return }
            switch booleanReading(value) {
            case true?:
                diagnostics.append(.warning("the chart is marked deprecated; charts that depend on it should move to its replacement",
                    at: value.location, rule: "helm/deprecated"))
            case false?: break
            case nil:
                error("`deprecated` must be `true` or `false`, not \(value.kindDescription)", at: value.location, rule: "helm/wrong-type")
            }
        default:
            break
        }
    }

    private mutating func checkAPIVersion(_ pair: YAMLPair?, root: YAMLNode) {
        guard let pair, let text = text(pair), !text.isEmpty else {
            error("`apiVersion` is required: write `apiVersion: v2` (Helm 3 charts) or `v1` (Helm 2 charts)",
                at: pair?.value.location ?? root.location, rule: "helm/api-version")
            return
        }
        switch text {
        case "v1", "v2":
            apiVersion = text
        case "v3":
            error("apiVersion `v3` is the chart format of Helm 4 only; Helm 3 and `helm lint` accept `v1` or `v2`. "
                + "Use `v2` unless the chart is meant for Helm 4 alone", at: pair.value.location, rule: "helm/api-version")
        default:
            var message = "apiVersion `\(text)` is not valid; it must be `v1` or `v2`"
            if text.wholeMatch(of: /[vV]?[12](\.0)?/) != nil {
                message += "; did you mean `v\(text.first(where: { $0 == "1" || $0 == "2" })!)`?"
            }
            error(message, at: pair.value.location, rule: "helm/api-version")
        }
    }

    private mutating func checkName(_ pair: YAMLPair?, root: YAMLNode) {
        guard let pair, let name = text(pair), !name.isEmpty else {
            error("`name` is required: the chart's name, as in `name: my-service`", at: pair?.value.location ?? root.location,
                rule: "helm/chart-name")
            return
        }
        if name.contains("/") || name.contains("\\") || name == "." || name == ".." {
            error("chart name `\(name)` is a path; it must be a plain name such as `\(name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? "my-chart")`",
                at: pair.value.location, rule: "helm/chart-name")
        } else if name.wholeMatch(of: /[a-z0-9]([-a-z0-9]*[a-z0-9])?/) == nil {
            let fixed = name.lowercased().replacingOccurrences(of: "_", with: "-")
            var message = "chart name `\(name)` is invalid: chart names use lowercase letters, digits and dashes, and start and end with a letter or digit"
            if fixed != name, fixed.wholeMatch(of: /[a-z0-9]([-a-z0-9]*[a-z0-9])?/) != nil { message += "; did you mean `\(fixed)`?" }
            error(message, at: pair.value.location, rule: "helm/chart-name")
        }
    }

    private mutating func checkVersion(_ pair: YAMLPair?, root: YAMLNode) {
        guard let pair, let text = text(pair), !text.isEmpty else {
            error("`version` is required: the chart's own SemVer version, as in `version: 0.1.0`",
                at: pair?.value.location ?? root.location, rule: "helm/version")
            return
        }
        if numberReading(pair.value) != nil { return }  // reported as helm/version-number
        guard let version = SemanticVersion(lenient: text) else {
            error("version `\(text)` is not SemVer; write MAJOR.MINOR.PATCH, as in `0.1.0` or `1.4.2-rc.1`",
                at: pair.value.location, rule: "helm/version")
            return
        }
        if !(SemanticVersion(major: 0, minor: 0, patch: 0, prerelease: ["0"]) < version) {
            error("version `\(text)` must be greater than 0.0.0-0", at: pair.value.location, rule: "helm/version")
        } else if SemanticVersion(strict: text) == nil {
            diagnostics.append(.warning(
                "version `\(text)` is accepted by Helm but is not strict SemVer 2; write `\(version)`",
                at: pair.value.location, rule: "helm/version-strict"))
        }
    }

    private mutating func checkType(_ pair: YAMLPair) {
        guard let text = text(pair), !text.isEmpty else { return }
        if apiVersion == "v1" {
            error("`type` is only valid in apiVersion v2 charts; remove it or change `apiVersion` to v2",
                at: pair.keyLocation, rule: "helm/chart-type")
        }
        if text != "application", text != "library" {
            var message = "chart type `\(text)` is not valid; it must be `application` or `library`"
            if let guess = Suggestion.closest(to: text, among: ["application", "library"]) { message += "; did you mean `\(guess)`?" }
            error(message, at: pair.value.location, rule: "helm/chart-type")
        }
    }

    private mutating func checkMaintainer(_ item: YAMLNode) {
        guard !item.isNull else {
            error("a maintainer entry is empty; give it at least a `name`, or remove the `-`", at: item.location, rule: "helm/maintainer")
            return
        }
        guard let pairs = item.pairs else {
            error("a maintainer must be a mapping with `name`, `email` and `url`, not \(item.kindDescription)",
                at: item.location, rule: "helm/maintainer")
            return
        }
        let name = item["name"]?.scalar?.text ?? ""
        if name.isEmpty {
            error("each maintainer needs a `name`", at: item["name"]?.location ?? item.location, rule: "helm/maintainer")
        }
        for pair in pairs {
            switch pair.key {
            case "name": break
            case "email":
                if let email = pair.value.scalar?.text, !email.isEmpty, !WebAddress.isEmail(email) {
                    error("invalid email `\(email)` for maintainer `\(name)`", at: pair.value.location, rule: "helm/maintainer")
                }
            case "url":
                if let url = pair.value.scalar?.text, !url.isEmpty, !WebAddress.isURL(url) {
                    error("invalid url `\(url)` for maintainer `\(name)`", at: pair.value.location, rule: "helm/maintainer")
                }
            default:
                var message = "`\(pair.key)` is not a maintainer field (`name`, `email`, `url`); Helm ignores it"
                if let guess = Suggestion.closest(to: pair.key, among: ["name", "email", "url"]) { message += "; did you mean `\(guess)`?" }
                diagnostics.append(.warning(message, at: pair.keyLocation, rule: "helm/unknown-key"))
            }
        }
    }

    // MARK: - Helpers

    private mutating func error(_ message: String, at location: SourceLocation, rule: String) {
        diagnostics.append(.error(message, at: location, rule: rule))
    }

    /// The text of a scalar value; nil when the value is null or not a scalar.
    private func text(_ pair: YAMLPair) -> String? {
        guard let scalar = pair.value.scalar, !pair.value.isNull else { return nil }
        return scalar.text
    }

    private mutating func listOf(_ value: YAMLNode, key: String) -> [YAMLNode]? {
        if value.isNull { return nil }
        guard let items = value.items else {
            error("`\(key)` must be a list, not \(value.kindDescription)", at: value.location, rule: "helm/wrong-type")
            return nil
        }
        return items
    }
}

/// How Helm's YAML reader (go-yaml, YAML 1.1 rules) reads plain scalars that look like text.
extension ChartfileChecker {
    /// "the number 1.1" when Helm reads a plain scalar as a number.
    func numberReading(_ node: YAMLNode) -> String? {
        Self.numberReading(node)
    }

    static func numberReading(_ node: YAMLNode) -> String? {
        guard let scalar = node.scalar, scalar.isPlain, scalar.tag == nil, let number = scalar.double else { return nil }
        if scalar.int != nil { return "the number \(scalar.int!)" }
        if number == number.rounded(), abs(number) < 1e15 { return "the number \(Int(number))" }
        return "the number \(number)"
    }

    /// "the boolean true" or "null" when Helm reads a plain scalar as something other than text.
    func nonTextReading(_ node: YAMLNode) -> String? {
        guard let scalar = node.scalar, scalar.isPlain, scalar.tag == nil else { return nil }
        if let bool = scalar.bool { return "the boolean \(bool)" }
        if let reading = scalar.yaml11Reading, reading.hasPrefix("the boolean") { return reading }
        return nil
    }

    /// `true`/`false` for a plain boolean, YAML 1.1 spellings (`yes`, `on`) included.
    func booleanReading(_ node: YAMLNode) -> Bool? {
        guard let scalar = node.scalar else { return nil }
        if let bool = scalar.bool { return bool }
        if let reading = scalar.yaml11Reading, reading.hasPrefix("the boolean") { return reading.hasSuffix("true") }
        return nil
    }
}
