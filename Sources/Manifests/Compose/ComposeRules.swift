extension RuleCatalog {
    /// The rules of loading a compose project: interpolation, the merge of overlays, extends, include
    /// and profiles.
    static let compose: [Rule] = [
        Rule("compose/structure", .error, .compose, "the file, `services` or a service is not the mapping compose expects"),
        Rule("compose/interpolation", .error, .compose, "malformed `$` syntax in a value (`${`, `$1`, an unclosed brace); `$$` is a literal dollar"),
        Rule("compose/unset-variable", .warning, .compose, "`$VAR` / `${VAR}` with VAR unset and no default: the value gets an empty string"),
        Rule("compose/required-variable", .warning, .compose, "`${VAR:?message}` with VAR unset: compose refuses to start the project (an error in `compose config`)"),
        Rule("compose/extends", .error, .compose, "`extends` names a missing file or service, lacks `service`, or forms a cycle"),
        Rule("compose/include", .error, .compose, "`include` names a missing file, is malformed, or forms a cycle"),
        Rule("compose/inactive-profile", .error, .compose, "an active service refers to a service whose profiles are all inactive"),
        Rule("overlay/new-service", .warning, .compose, "an overlay adds a service its base does not define (often a typo); a near name is suggested"),
        Rule("overlay/kind-mismatch", .error, .compose, "an overlay writes a list, mapping or value where the base has another kind, so they cannot merge"),
    ]
}
