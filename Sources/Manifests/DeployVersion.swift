/// What a version (`--version`, `version:`) may be, whatever the environment: an image tag,
/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. It names images, is substituted into `run` commands and health
/// URLs, and is recorded in journals and tags, so it never holds spaces, quotes or shell syntax.
public enum DeployVersion {
    /// The rule, as messages state it.
    public static let rule =
        "a version is an image tag: 1 to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-` "
        + "([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"

    /// Why `version` cannot be deployed, or nil when it can.
    public static func problem(_ version: String) -> String? {
        if version.isEmpty { return "the version is empty; \(rule)" }
        if ComposeImage.isValidTag(version) { return nil }
        return "\(version.debugDescription) is not a valid version; \(rule)"
    }
}
