import Foundation

/// Compose projects: loading, interpolation, the multi-file merge, and the checks on the merged model.
enum ComposeValidator {
    /// The names compose looks for by default, in its order of preference.
    static let baseNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]
    /// The overrides compose applies on top of a default file without being asked.
    static let overrideNames = [
        "compose.override.yaml", "compose.override.yml", "docker-compose.override.yaml", "docker-compose.override.yml",
    ]

    /// Whether the file's name is one compose looks for (`compose.yaml`, `docker-compose.yml`,
    /// `docker-compose.override.yml`, `docker-compose-test.yml`, `compose.ci.yaml`, …).
    static func isComposeFileName(_ path: String) -> Bool {
        // `(docker-)?compose([._-].+)?\.ya?ml` or `.+[._-]compose\.ya?ml`, matched by hand (every file
        // `deployer validate` sees is asked).
        let name = (path as NSString).lastPathComponent.lowercased()
        let stem: Substring
        if name.hasSuffix(".yaml") {
            stem = name.dropLast(5)
        } else if name.hasSuffix(".yml") {
            stem = name.dropLast(4)
        } else {
            return false
        }
        let separators: Set<Character> = [".", "_", "-"]
        for prefix in ["docker-compose", "compose"] where stem.hasPrefix(prefix) {
            let rest = stem.dropFirst(prefix.count)
            if rest.isEmpty || (rest.count > 1 && separators.contains(rest.first!)) { return true }
        }
        return stem.count > 8 && stem.hasSuffix("compose") && separators.contains(stem.dropLast(7).last!)
    }

    /// Compose files found under the paths given to `deployer validate`: grouped into projects (a base
    /// and the overlays that apply to it) and validated.
    static func validate(discovered files: [String], options: ValidationOptions) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for project in ComposeProjectGrouping.projects(of: files) {
            diagnostics += validate(files: project.files, directory: project.directory, options: options)
        }
        return diagnostics
    }

    /// One project from explicit `-f` files, in order.
    static func validate(files: [String], options: ValidationOptions) -> [Diagnostic] {
        validate(files: files, directory: nil, options: options)
    }

    static func validate(files: [String], directory: String?, options: ValidationOptions) -> [Diagnostic] {
        var loader = ComposeLoader(options: options)
        guard let project = loader.loadProject(files: files, directory: directory) else { return loader.diagnostics }
        return loader.diagnostics + ComposeChecks.check(project)
    }
}
