/// A compose project after interpolation and the merge of its files: what the compose checks read.
///
/// Every node keeps the location it was written at, so a finding on a merged value names the file
/// (base or overlay) that contributed it.
struct ComposeProject: Sendable {
    /// The merged top-level mapping (`services`, `networks`, `volumes`, `secrets`, `configs`, …).
    var root: YAMLNode
    /// The files given (`-f`), in order.
    var files: [String]
    /// The project directory: relative paths (env_file, bind mounts, secret files) resolve against it.
    var directory: String
    /// Locations of scalars whose interpolation used a variable that is not set; checks on such a
    /// value are skipped (the unset variable is reported instead).
    var unresolved: Set<SourceLocation>
    /// Locations of every scalar whose text was interpolated (it held `$VAR` or `${…}`), set or not:
    /// a password that comes from a variable is not a password written in plain text.
    var interpolated: Set<SourceLocation>

    init(
        root: YAMLNode, files: [String], directory: String, unresolved: Set<SourceLocation> = [],
        interpolated: Set<SourceLocation> = []
    ) {
        self.root = root
        self.files = files
        self.directory = directory
        self.unresolved = unresolved
        self.interpolated = interpolated
    }
}
