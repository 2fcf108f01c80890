/// Values compose refuses although their kind is right: the schema's enums, pattern and ranges, the
/// casts compose-go applies to text while interpolating (`interpolateTypeCastMapping`), byte sizes
/// (go-units) and durations (str2duration). Healthcheck values and ports have checks of their own.
extension ComposeCheckContext {
    enum Cast { case boolean, integer, number }

    static let serviceEnums: [(path: String, allowed: [String])] = [
        ("cgroup", ["host", "private"]),
        ("gpus", ["all"]),
        ("volumes.[].type", ["bind", "volume", "tmpfs", "cluster", "npipe", "image"]),
        ("volumes.[].bind.recursive", ["enabled", "disabled", "writable", "readonly"]),
        ("volumes.[].bind.selinux", ["z", "Z"]),
        ("develop.watch.[].action", ["rebuild", "sync", "restart", "sync+restart", "sync+exec"]),
        ("deploy.update_config.order", ["start-first", "stop-first"]),
        ("deploy.rollback_config.order", ["start-first", "stop-first"]),
    ]

    static let serviceCasts: [(path: String, cast: Cast)] =
        [
            "init", "depends_on.*.required", "depends_on.*.restart", "healthcheck.disable", "oom_kill_disable",
            "privileged", "read_only", "stdin_open", "tty", "volumes.[].read_only", "volumes.[].volume.nocopy",
        ].map { ($0, .boolean) }
        + [
            "scale", "deploy.replicas", "deploy.update_config.parallelism", "deploy.rollback_config.parallelism",
            "deploy.restart_policy.max_attempts", "deploy.placement.max_replicas_per_node", "ulimits.*", "ulimits.*.hard",
            "ulimits.*.soft", "cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares",
            "oom_score_adj", "pids_limit",
        ].map { ($0, .integer) }
        + [
            "cpu_percent", "cpus", "deploy.update_config.max_failure_ratio", "deploy.rollback_config.max_failure_ratio",
        ].map { ($0, .number) }

    static let topCasts = ["networks.*.external", "networks.*.internal", "networks.*.attachable", "networks.*.enable_ipv4",
        "networks.*.enable_ipv6", "volumes.*.external", "secrets.*.external", "configs.*.external"]

    /// Bounds of the schema (`minimum`/`maximum`) and of `checkConsistency` (`scale`, `replicas`).
    static let serviceRanges: [(path: String, range: ClosedRange<Double>)] = [
        ("cpu_count", 0...Double.infinity), ("cpu_percent", 0...100), ("oom_score_adj", -1000...1000),
        ("scale", 0...Double.infinity), ("deploy.replicas", 0...Double.infinity),
    ]

    static let serviceSizes = [
        "mem_limit", "mem_reservation", "memswap_limit", "shm_size", "build.shm_size", "deploy.resources.limits.memory",
        "deploy.resources.reservations.memory", "volumes.[].tmpfs.size", "blkio_config.device_read_bps.[].rate",
        "blkio_config.device_write_bps.[].rate", "blkio_config.device_read_iops.[].rate",
        "blkio_config.device_write_iops.[].rate",
    ]

    static let serviceDurations = [
        "stop_grace_period", "deploy.update_config.delay", "deploy.update_config.monitor", "deploy.rollback_config.delay",
        "deploy.rollback_config.monitor", "deploy.restart_policy.delay", "deploy.restart_policy.window",
    ]

    static let pullPolicies = ["always", "never", "missing", "build", "if_not_present", "refresh", "daily", "weekly"]

    mutating func checkValues() {
        for service in services where service.value.pairs != nil {
            let base = "services.\(service.key)"
            for (path, allowed) in Self.serviceEnums {
                for (node, place) in Self.nodes(path, in: service.value, at: base) {
                    guard let value = text(node), !allowed.contains(value) else { continue }
                    invalid(
                        "`\(place)` is `\(value)`; compose accepts " + Self.choices(allowed) + Self.suggestion(for: value, among: allowed),
                        at: node)
                }
            }
            for (path, cast) in Self.serviceCasts {
                for (node, place) in Self.nodes(path, in: service.value, at: base) { checkCast(node, cast, place: place) }
            }
            for (path, range) in Self.serviceRanges {
                for (node, place) in Self.nodes(path, in: service.value, at: base) {
                    guard let value = text(node).flatMap(Double.init), !range.contains(value) else { continue }
                    let bounds = range.upperBound.isInfinite ? "at least \(Int(range.lowerBound))" : "between \(Int(range.lowerBound)) and \(Int(range.upperBound))"
                    invalid("`\(place)` is \(text(node) ?? ""); compose accepts \(bounds)", at: node)
                }
            }
            // A negative tmpfs size is refused by the schema only when written as a number.
            for (node, place) in Self.nodes("volumes.[].tmpfs.size", in: service.value, at: base) {
                guard let value = node.scalar?.int, value < 0, !isInterpolated(node) else { continue }
                invalid("`\(place)` is \(value); compose accepts at least 0", at: node)
            }
            for path in Self.serviceSizes {
                for (node, place) in Self.nodes(path, in: service.value, at: base) where isText(node) {
                    guard let value = text(node), ComposeByteSize.bytes(value) == nil else { continue }
                    invalid("`\(place)` `\(value)` is not a size compose reads; write it like `512m`, `1.5g`, `256MiB` or a number of bytes", at: node)
                }
            }
            for path in Self.serviceDurations {
                for (node, place) in Self.nodes(path, in: service.value, at: base) {
                    guard let value = text(node), isText(node), ComposeDuration.seconds(value) == nil else { continue }
                    invalid("`\(place)` `\(value)` is not a duration; write it like `10s`, `1m30s`, `500ms` or `1d`", at: node)
                }
            }
            if let node = service.value["pull_policy"], let value = text(node),
                value.firstMatch(of: /always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+/) == nil
            {
                invalid(
                    "`\(base).pull_policy` is `\(value)`; compose accepts " + Self.choices(Self.pullPolicies + ["every_<duration>"])
                        + Self.suggestion(for: value, among: Self.pullPolicies),
                    at: node)
            }
            for path in ["deploy.resources.reservations.devices.[].count", "gpus.[].count"] {
                for (node, place) in Self.nodes(path, in: service.value, at: base) where isText(node) {
                    guard let value = text(node), value.lowercased() != "all", Int(value) == nil else { continue }
                    invalid("`\(place)` is `\(value)`; compose accepts `all` or a number", at: node)
                }
            }
        }
        for path in Self.topCasts {
            for (node, place) in Self.nodes(path, in: project.root, at: "") { checkCast(node, .boolean, place: place) }
        }
    }

    /// compose-go casts text at these keys (interpolated or written so) before anything else reads it.
    private mutating func checkCast(_ node: YAMLNode, _ cast: Cast, place: String) {
        guard let value = text(node), isText(node) else { return }
        switch cast {
        case .boolean:
            if ["true", "false"].contains(value.lowercased()) { return }
            if ["y", "yes", "on", "n", "no", "off"].contains(value.lowercased()) {
                let meant = ["y", "yes", "on"].contains(value.lowercased())
                warning(
                    "`\(place)` is `\(value)`, which YAML 1.2 reads as text; compose takes it as \(meant) and warns: write `\(meant)`",
                    at: node.location, rule: "yaml11-scalar")
                return
            }
            invalid("`\(place)` is `\(value)`, which compose cannot read as a boolean; write `true` or `false`", at: node)
        case .integer:
            if Int(value) == nil { invalid("`\(place)` is `\(value)`, which compose cannot read as a whole number", at: node) }
        case .number:
            if Double(value) == nil { invalid("`\(place)` is `\(value)`, which compose cannot read as a number", at: node) }
        }
    }

    /// Whether compose sees text here: anything but a plain number or boolean, and anything built by
    /// interpolation.
    private func isText(_ node: YAMLNode) -> Bool {
        guard let scalar = node.scalar else { return false }
        return isInterpolated(node) || (scalar.bool == nil && scalar.double == nil)
    }

    private mutating func invalid(_ message: String, at node: YAMLNode) {
        error(message, at: node.location, rule: "compose/invalid-value")
    }

    private static func choices(_ values: [String]) -> String {
        let quoted = values.map { "`\($0)`" }
        return quoted.count < 2 ? quoted.joined() : quoted.dropLast().joined(separator: ", ") + " or " + quoted[quoted.count - 1]
    }

    /// The nodes a dotted path reaches from `node` (`*` is every value of a mapping, `[]` every item of
    /// a list), each with its place for messages.
    static func nodes(_ path: String, in node: YAMLNode, at place: String) -> [(YAMLNode, String)] {
        var found = [(node, place)]
        for step in path.split(separator: ".") {
            found = found.flatMap { node, place -> [(YAMLNode, String)] in
                switch step {
                case "*": return (node.pairs ?? []).map { ($0.value, place.isEmpty ? $0.key : "\(place).\($0.key)") }
                case "[]": return (node.items ?? []).enumerated().map { ($1, "\(place)[\($0)]") }
                default:
                    guard let child = node[String(step)] else { return [] }
                    return [(child, place.isEmpty ? String(step) : "\(place).\(step)")]
                }
            }
        }
        return found.filter { !$0.0.isNull }
    }
}
