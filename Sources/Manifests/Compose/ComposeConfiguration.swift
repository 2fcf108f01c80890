/// A compose project loaded from `-f` files as `docker compose config` shows it: interpolated,
/// merged, with inactive profiles dropped, plus every finding on it and where each value came from.
public struct ComposeConfiguration: Sendable {
    /// Everything found while loading and checking, sorted.
    public let diagnostics: [Diagnostic]
    let root: YAMLNode?
    let provenance: ComposeProvenance

    /// Loads and checks `files` in order. An unset `${VAR:?message}` is an error here, since the
    /// project cannot be shown without it.
    public static func load(files: [String], options: ValidationOptions = ValidationOptions()) -> ComposeConfiguration {
        var loader = ComposeLoader(options: options)
        loader.requiredVariableSeverity = .error
        let project = loader.loadProject(files: files.map(ManifestFile.normalize))
        let checks = project.map(ComposeChecks.check) ?? []
        let secrets = Set(checks.filter(\.pointsAtSecret).compactMap(\.location))
        return ComposeConfiguration(
            diagnostics: Diagnostic.ordered(loader.diagnostics + checks),
            root: project.map { redacting(secrets, in: $0.root) }, provenance: loader.merger.provenance)
    }

    /// The tree with every secret the checks found in plain text masked (`NAME=value` list entries
    /// keep their name): the printed project never shows one.
    static func redacting(_ secrets: Set<SourceLocation>, in node: YAMLNode, listItem: Bool = false) -> YAMLNode {
        guard !secrets.isEmpty else { return node }
        var copy = node
        switch node.content {
        case .scalar(var scalar):
            guard secrets.contains(node.location) else { return node }
            let name = listItem ? scalar.text.firstIndex(of: "=").map { String(scalar.text[...$0]) } ?? "" : ""
            scalar.text = name + "••••••"
            scalar.isPlain = false
            copy.content = .scalar(scalar)
        case .sequence(let items):
            copy.content = .sequence(items.map { redacting(secrets, in: $0, listItem: true) })
        case .mapping(let pairs):
            copy.content = .mapping(pairs.map { pair in
                var pair = pair
                pair.value = redacting(secrets, in: pair.value)
                return pair
            })
        }
        return copy
    }

    /// Whether the project could be loaded without errors.
    public var isUsable: Bool { root != nil && !diagnostics.containsErrors }

    /// The merged project as YAML, keys in file order.
    public func yaml() -> String {
        root.map(ComposeRenderer.yaml) ?? ""
    }

    /// The merged project as JSON, keys in file order.
    public func json() -> String {
        root.map(ComposeRenderer.json) ?? "null\n"
    }

    /// Which file, line and column gave each value under the dotted `path`
    /// (`services.web.env_file`), and what each later file changed there; nil when there is no such
    /// value in the project.
    public func explain(_ path: String) -> String? {
        root.flatMap { ComposeRenderer.explain(path, root: $0, provenance: provenance) }
    }
}
