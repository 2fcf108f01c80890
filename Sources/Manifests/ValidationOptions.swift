/// What validation may read besides the files: the variables compose interpolates, and `--env-file`s.
public struct ValidationOptions: Sendable {
    /// Variables for `${VAR}` interpolation, as the shell would give them (the CLI passes its own
    /// environment; tests pass a fixed one). A project's `.env` fills in what is not set here.
    public var environment: [String: String]
    /// `--env-file` files, in order; when given, they replace the project's `.env`.
    public var envFiles: [String]

    public init(environment: [String: String] = [:], envFiles: [String] = []) {
        self.environment = environment
        self.envFiles = envFiles
    }
}
