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
        return ComposeConfiguration(
            diagnostics: Diagnostic.ordered(loader.diagnostics + checks), root: project?.root,
            provenance: loader.merger.provenance)
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
