/// The fixed parts of Kong's entity schemas that the validator checks: the fields each entity
/// accepts, and the values of its enumerations. Taken from Kong's entity schemas and decK's file
/// schema (`file/kong_json_schema.json`); plugin `config` and vault `config` are free-form there and
/// are left alone here.
enum KongSchema {
    /// The `_format_version` values decK and Kong accept.
    static let formatVersions = ["1.1", "2.1", "3.0"]

    /// Top-level keys of a declarative config: decK's file keys, and the entity collections Kong's
    /// DB-less loader reads at the top level.
    static let topLevel = [
        "_format_version", "_transform", "_workspace", "_info", "_konnect", "_plugin_configs", "_comment",
        "services", "routes", "consumers", "consumer_groups", "plugins", "upstreams", "targets", "certificates",
        "snis", "ca_certificates", "vaults", "acls", "keyauth_credentials", "basicauth_credentials", "jwt_secrets",
        "hmacauth_credentials", "oauth2_credentials", "mtls_auth_credentials", "consumer_group_consumers",
        "consumer_group_plugins", "key_sets", "keys", "filter_chains", "partials", "custom_entities",
        "degraphql_routes", "rbac_roles", "licenses", "service_packages", "workspaces", "parameters",
    ]

    static let common = ["id", "tags", "created_at", "updated_at"]

    static let service = common + [
        "name", "url", "protocol", "host", "port", "path", "retries", "connect_timeout", "write_timeout", "read_timeout",
        "client_certificate", "tls_verify", "tls_verify_depth", "ca_certificates", "tls_sans", "enabled", "routes",
        "plugins",
    ]

    static let route = common + [
        "name", "protocols", "methods", "hosts", "paths", "headers", "https_redirect_status_code", "regex_priority",
        "strip_path", "path_handling", "preserve_host", "request_buffering", "response_buffering", "snis", "sources",
        "destinations", "service", "plugins", "expression", "priority",
    ]

    static let plugin = common + [
        "name", "instance_name", "config", "enabled", "protocols", "service", "route", "consumer", "consumer_group",
        "ordering", "run_on", "_config",
    ]

    static let consumer = common + [
        "username", "custom_id", "groups", "plugins", "acls", "keyauth_credentials", "basicauth_credentials",
        "jwt_secrets", "hmacauth_credentials", "oauth2_credentials", "mtls_auth_credentials",
    ]

    static let consumerGroup = common + ["name", "consumers", "plugins"]

    static let upstream = common + [
        "name", "algorithm", "hash_on", "hash_fallback", "hash_on_header", "hash_fallback_header", "hash_on_cookie",
        "hash_on_cookie_path", "hash_on_query_arg", "hash_fallback_query_arg", "hash_on_uri_capture",
        "hash_fallback_uri_capture", "slots", "healthchecks", "host_header", "client_certificate", "use_srv_name",
        "sticky_sessions_cookie", "sticky_sessions_cookie_path", "targets",
    ]

    static let target = common + ["target", "weight", "upstream"]
    static let certificate = common + ["cert", "key", "cert_alt", "key_alt", "snis"]
    static let sni = common + ["name", "certificate"]
    static let caCertificate = common + ["cert", "cert_digest"]
    static let vault = common + ["name", "prefix", "description", "config"]

    static let healthchecks = ["active", "passive", "threshold"]
    static let activeHealthcheck = [
        "type", "timeout", "concurrency", "http_path", "https_sni", "https_verify_certificate", "headers", "healthy",
        "unhealthy",
    ]
    static let passiveHealthcheck = ["type", "healthy", "unhealthy"]
    static let healthy = ["interval", "http_statuses", "successes"]
    static let unhealthy = ["interval", "http_statuses", "tcp_failures", "timeouts", "http_failures"]

    /// Protocols a service speaks to its upstream.
    static let serviceProtocols = ["grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss"]
    /// Protocols a route or plugin applies to.
    static let routeProtocols = serviceProtocols
    static let httpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
    static let redirectCodes = [426, 301, 302, 307, 308]
    static let pathHandling = ["v0", "v1"]
    static let algorithms = ["round-robin", "consistent-hashing", "least-connections", "latency", "sticky-sessions"]
    static let hashOn = ["none", "consumer", "ip", "header", "cookie", "path", "query_arg", "uri_capture"]
    static let healthcheckTypes = ["tcp", "http", "https", "grpc", "grpcs"]
    static let jwtAlgorithms = [
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
        "EdDSA",
    ]

    /// A consumer credential collection: its fields, the fields Kong requires, the field that holds
    /// the secret (if any), what to call the secret in messages, and the field whose value Kong keeps
    /// unique across all consumers.
    struct Credential: Sendable {
        var key: String
        var fields: [String]
        var required: [String]
        var secret: String?
        var secretDescription: String
        var unique: String?
    }

    static let credentials: [Credential] = [
        Credential(
            key: "keyauth_credentials", fields: common + ["key", "ttl", "consumer"], required: ["key"], secret: "key",
            secretDescription: "a key-auth API key", unique: "key"),
        Credential(
            key: "basicauth_credentials", fields: common + ["username", "password", "consumer"],
            required: ["username", "password"], secret: "password", secretDescription: "a basic-auth password",
            unique: "username"),
        Credential(
            key: "jwt_secrets", fields: common + ["key", "secret", "algorithm", "rsa_public_key", "consumer"],
            required: [], secret: "secret", secretDescription: "a JWT signing secret", unique: "key"),
        Credential(
            key: "hmacauth_credentials", fields: common + ["username", "secret", "consumer"], required: ["username"],
            secret: "secret", secretDescription: "an HMAC secret", unique: "username"),
        Credential(
            key: "oauth2_credentials",
            fields: common + ["name", "client_id", "client_secret", "client_type", "hash_secret", "redirect_uris", "consumer"],
            required: ["name"], secret: "client_secret", secretDescription: "an OAuth 2.0 client secret", unique: "client_id"),
        Credential(
            key: "acls", fields: common + ["group", "consumer"], required: ["group"], secret: nil, secretDescription: "",
            unique: nil),
        Credential(
            key: "mtls_auth_credentials", fields: common + ["subject_name", "ca_certificate", "consumer"],
            required: ["subject_name"], secret: nil, secretDescription: "", unique: nil),
    ]
}
