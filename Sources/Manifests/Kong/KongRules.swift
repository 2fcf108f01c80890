extension RuleCatalog {
    /// The Kong rules.
    static let kong: [Rule] = [
        Rule("kong/format-version", .error, .kong, "`_format_version` missing, not a string, or not 1.1, 2.1 or 3.0"),
        Rule("kong/unknown-key", .error, .kong, "a field Kong's entity schema does not have; a near name is suggested"),
        Rule("kong/wrong-type", .error, .kong, "a value of the wrong kind (text where a number belongs, a list where a mapping does)"),
        Rule("kong/invalid-value", .error, .kong, "a value Kong rejects: protocol, method, port or weight range, path without `/`, bad target or PEM"),
        Rule("kong/missing-field", .error, .kong, "a field Kong requires is absent (service upstream, plugin name, consumer username or custom_id, …)"),
        Rule("kong/url-conflict", .error, .kong, "a service sets `url` together with protocol, host, port or path"),
        Rule("kong/route-matching", .error, .kong, "a route with none of paths, hosts, methods, headers (or snis) for its protocols"),
        Rule("kong/undefined-reference", .error, .kong, "a service, route, consumer, consumer group, upstream, certificate or vault named but not defined"),
        Rule("kong/duplicate", .error, .kong, "a name, id, username, SNI, credential or plugin scope Kong keeps unique, given twice"),
        Rule("kong/route-collision", .warning, .kong, "two routes match the same path on the same hosts, methods and headers"),
        Rule("kong/plaintext-credential", .warning, .kong, "a credential secret or private key written literally instead of a vault or decK env reference"),
    ]
}
