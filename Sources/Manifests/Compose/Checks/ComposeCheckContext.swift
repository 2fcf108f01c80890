/// What every compose check reads and writes: the project, its services, and the findings so far.
struct ComposeCheckContext {
    let project: ComposeProject
    /// The services in file order (name and definition), `x-` entries included: compose treats every
    /// key under `services` as a service.
    let services: [YAMLPair]
    var diagnostics: [Diagnostic] = []

    init(project: ComposeProject) {
        self.project = project
        self.services = project.root["services"]?.pairs ?? []
    }

    var serviceNames: [String] { services.map(\.key) }

    mutating func error(_ message: String, at location: SourceLocation, rule: String) {
        diagnostics.append(.error(message, at: location, rule: rule))
    }

    mutating func warning(_ message: String, at location: SourceLocation, rule: String) {
        diagnostics.append(.warning(message, at: location, rule: rule))
    }

    /// Whether a value was built from a variable that is not set: its checks are skipped (the unset
    /// variable is reported on its own).
    func isUnresolved(_ node: YAMLNode) -> Bool {
        project.unresolved.contains(node.location)
    }

    /// Whether a scalar's text came from interpolation (`$VAR`, `${…}`).
    func isInterpolated(_ node: YAMLNode) -> Bool {
        project.interpolated.contains(node.location) || project.unresolved.contains(node.location)
    }

    /// The names defined under a top-level section (`networks`, `volumes`, `secrets`, `configs`).
    func definedNames(_ section: String) -> [String] {
        (project.root[section]?.pairs ?? []).map(\.key)
    }

    /// The text of a scalar that checks can read: nil for non-scalars, nulls and unresolved values.
    func text(_ node: YAMLNode?) -> String? {
        guard let node, let scalar = node.scalar, !scalar.isNull, !isUnresolved(node) else { return nil }
        return scalar.text
    }

    /// `; did you mean `x`?` when a name is close to one of `candidates`, else an empty string.
    static func suggestion(for name: String, among candidates: [String]) -> String {
        guard let guess = Suggestion.closest(to: name, among: candidates.filter { $0 != name }) else { return "" }
        return "; did you mean `\(guess)`?"
    }

    /// A path relative to the project directory, made absolute for checks on disk.
    func resolvedPath(_ path: String) -> String {
        if path.hasPrefix("/") { return ManifestFile.normalize(path) }
        return ManifestFile.normalize(project.directory + "/" + path)
    }
}

extension SourceLocation {
    /// `file:line` for messages that name another place.
    var shortDescription: String { "\(file):\(line)" }
}
