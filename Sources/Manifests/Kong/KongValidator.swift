/// Kong declarative configuration (decK / `kong.yml`).
enum KongValidator {
    /// Whether a parsed file is a Kong declarative config: `_format_version`, or `services` as a list.
    static func looksLikeKong(_ root: YAMLNode) -> Bool {
        false
    }

    /// Every problem of the Kong config in `file` (whose text is `text`).
    static func validate(file: String, text: String) -> [Diagnostic] {
        []
    }
}
