/// Kong declarative configuration (decK / `kong.yml`).
enum KongValidator {
    /// Whether a parsed file is a Kong declarative config: `_format_version`, or `services` as a list.
    static func looksLikeKong(_ root: YAMLNode) -> Bool {
        guard let pairs = root.pairs else { return false }
        return pairs.contains { $0.key == "_format_version" } || root["services"]?.items != nil
    }

    /// Every problem of the Kong config in `file` (whose text is `text`).
    static func validate(file: String, text: String) -> [Diagnostic] {
        let (root, yamlDiagnostics) = YAMLParser.parse(text, file: file)
        guard let root else {
            if yamlDiagnostics.isEmpty {
                return [.error("the file is empty", at: SourceLocation(file: file, line: 1, column: 1), rule: "empty-file")]
            }
            return yamlDiagnostics
        }
        var checker = KongChecker(file: file)
        checker.check(root)
        return yamlDiagnostics + checker.diagnostics
    }
}

extension KongChecker {
    /// Checks a whole config: the format version, then every collection, then references.
    mutating func check(_ root: YAMLNode) {
        guard let pairs = root.pairs else {
            error(
                "a Kong declarative config must be a mapping with `_format_version` and entity lists, not \(root.kindDescription)",
                at: root.location, rule: "kong/wrong-type")
            return
        }
        for vault in Self.builtInVaults { define(.vault, vault, isName: true) }
        checkFormatVersion(pairs, at: root.location)
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "services": for (i, item) in list(value, "the config", pair.key).enumerated() { checkService(item, path: "services[\(i)]") }
            case "routes": for (i, item) in list(value, "the config", pair.key).enumerated() { checkRoute(item, path: "routes[\(i)]", service: nil) }
            case "consumers": for (i, item) in list(value, "the config", pair.key).enumerated() { checkConsumer(item, path: "consumers[\(i)]") }
            case "consumer_groups": for (i, item) in list(value, "the config", pair.key).enumerated() { checkConsumerGroup(item, path: "consumer_groups[\(i)]") }
            case "plugins": for (i, item) in list(value, "the config", pair.key).enumerated() { checkPlugin(item, path: "plugins[\(i)]", scope: [:]) }
            case "upstreams": for (i, item) in list(value, "the config", pair.key).enumerated() { checkUpstream(item, path: "upstreams[\(i)]") }
            case "targets": for (i, item) in list(value, "the config", pair.key).enumerated() { checkTarget(item, path: "targets[\(i)]", upstream: nil) }
            case "certificates": for (i, item) in list(value, "the config", pair.key).enumerated() { checkCertificate(item, path: "certificates[\(i)]") }
            case "snis": for (i, item) in list(value, "the config", pair.key).enumerated() { checkSNI(item, path: "snis[\(i)]", certificate: nil) }
            case "ca_certificates": for (i, item) in list(value, "the config", pair.key).enumerated() { checkCACertificate(item, path: "ca_certificates[\(i)]") }
            case "vaults": for (i, item) in list(value, "the config", pair.key).enumerated() { checkVault(item, path: "vaults[\(i)]") }
            case "_transform": boolean(value, "the config", "_transform")
            case "_workspace": _ = text(value, "the config", "_workspace")
            default:
                if let credential = KongSchema.credentials.first(where: { $0.key == pair.key }) {
                    for (i, item) in list(value, "the config", pair.key).enumerated() {
                        checkCredential(item, credential, label: "\(pair.key)[\(i)]", consumer: nil)
                    }
                } else if !KongSchema.topLevel.contains(pair.key) {
                    var message = "unknown top-level key `\(pair.key)` in a Kong declarative config"
                    if let guess = Suggestion.closest(to: pair.key, among: KongSchema.topLevel) {
                        message += "; did you mean `\(guess)`?"
                    }
                    error(message, at: pair.keyLocation, rule: "kong/unknown-key")
                }
            }
        }
        finish()
    }

    /// `_format_version` must be there (decK stops with "unable to determine decK file version"
    /// without it) and be one of the supported versions, as a string.
    mutating func checkFormatVersion(_ pairs: [YAMLPair], at location: SourceLocation) {
        guard let value = pairs.last(where: { $0.key == "_format_version" })?.value else {
            error(
                "missing `_format_version`; decK cannot tell which format the file is in without it; "
                    + "add `_format_version: \"3.0\"` at the top",
                at: location, rule: "kong/format-version")
            return
        }
        let supported = KongSchema.formatVersions.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let scalar = value.scalar, !scalar.isNull else {
            error("`_format_version` must be one of \(supported), not \(value.kindDescription)", at: value.location, rule: "kong/format-version")
            return
        }
        if scalar.isPlain, scalar.double != nil {
            let fixed = KongSchema.formatVersions.contains(scalar.text) ? scalar.text
                : KongSchema.formatVersions.first { Double($0) == scalar.double } ?? scalar.text
            error(
                "`_format_version` is written as the number \(scalar.text), but Kong wants a string; quote it: "
                    + "`_format_version: \"\(fixed)\"`",
                at: value.location, rule: "kong/format-version")
        } else if !KongSchema.formatVersions.contains(scalar.text) {
            error(
                "unsupported `_format_version` \"\(scalar.text)\"; decK and Kong read \(supported)",
                at: value.location, rule: "kong/format-version")
        }
    }
}
