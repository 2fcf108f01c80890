extension RuleCatalog {
    /// The rules of the checks on a merged compose project.
    static let composeChecks: [Rule] = [
        Rule("compose/unknown-key", .error, .compose, "a key the Compose Specification does not define here; a near name is suggested (`x-` keys are extensions)"),
        Rule("compose/wrong-type", .error, .compose, "a value of the wrong kind (text where a list or mapping belongs, a list where one value does)"),
        Rule("compose/invalid-name", .error, .compose, "a service, network, volume, secret or config name with characters other than letters, digits, `.`, `_`, `-`"),
        Rule("compose/no-image", .error, .compose, "a service with neither `image` nor `build`"),
        Rule("compose/version-obsolete", .warning, .compose, "the top-level `version` key, which compose ignores"),
        Rule("compose/undefined-network", .error, .compose, "a service joins a network top-level `networks` does not define"),
        Rule("compose/undefined-volume", .error, .compose, "a service mounts a named volume top-level `volumes` does not define"),
        Rule("compose/undefined-secret", .error, .compose, "a service (or its build) uses a secret top-level `secrets` does not define"),
        Rule("compose/undefined-config", .error, .compose, "a service uses a config top-level `configs` does not define"),
        Rule("compose/undefined-service", .error, .compose, "`depends_on`, `links`, `volumes_from` or `network_mode`/`ipc`/`pid: service:x` name a service that does not exist"),
        Rule("compose/depends-on-condition", .error, .compose, "a `depends_on` condition other than service_started, service_healthy, service_completed_successfully"),
        Rule("compose/depends-on-cycle", .error, .compose, "services that depend on each other in a cycle; every edge's place is named"),
        Rule("compose/ports", .error, .compose, "a `ports` entry with bad syntax, a port outside 1–65535, an unknown protocol or host address, or ranges of different sizes"),
        Rule("compose/port-conflict", .error, .compose, "a host port published twice (same protocol and address, ranges expanded), across services and files"),
        Rule("compose/ipam", .error, .compose, "a bad subnet, gateway or ip_range, or a static address outside its network's subnet or taken twice"),
        Rule("compose/subnet-overlap", .error, .compose, "two networks (or ipam entries) whose subnets overlap"),
        Rule("compose/network-mode", .error, .compose, "`network_mode` together with `networks`"),
        Rule("compose/internal-exposure", .warning, .compose, "a service publishes ports but sits only on `internal: true` networks, so nothing reaches them"),
        Rule("compose/container-name", .error, .compose, "a `container_name` used by two services, or by a service with more than one replica"),
        Rule("compose/healthcheck", .error, .compose, "a healthcheck `test` not starting with CMD, CMD-SHELL or NONE, a duration compose cannot read, or bad `retries`"),
        Rule("compose/missing-file", .warning, .compose, "an env_file, secret or config file, bind-mount source, build context or Dockerfile that does not exist"),
        Rule("compose/env-file-syntax", .warning, .compose, "a line of an env file compose cannot read (bad name, unclosed quote)"),
        Rule("compose/image-pinning", .warning, .compose, "an image without a tag or with `latest`: each pull may run something else"),
        Rule("compose/plaintext-secret", .warning, .compose, "a password, token or key written in plain text in `environment`; use secrets or a `*_FILE` variable"),
    ]
}
