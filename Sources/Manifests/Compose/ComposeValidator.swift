/// Compose projects: loading, interpolation, the multi-file merge, and the checks on the merged model.
enum ComposeValidator {
    /// Whether the file's name is one compose looks for (`compose.yaml`, `docker-compose.yml`,
    /// `docker-compose.override.yml`, `docker-compose-test.yml`, `compose.ci.yaml`, …).
    static func isComposeFileName(_ path: String) -> Bool {
        false
    }

    /// Compose files found under the paths given to `deployer validate`: grouped into projects (a base
    /// and the overlays that apply to it) and validated.
    static func validate(discovered files: [String], options: ValidationOptions) -> [Diagnostic] {
        []
    }

    /// One project from explicit `-f` files, in order.
    static func validate(files: [String], options: ValidationOptions) -> [Diagnostic] {
        []
    }
}
