/// The key sets, shapes and scalar kinds of a compose file, from the Compose Specification's JSON
/// schema (compose-spec/compose-spec `schema/compose-spec.json`, as compose-go embeds it).
enum ComposeSchema {
    static let top = ComposeShape.object([
        "version": .string,
        "name": .string,
        "include": .list(include),
        "services": .dictionary(service, names: true),
        "models": .dictionary(model, names: true),
        "networks": .dictionary(network, names: true),
        "volumes": .dictionary(volume, names: true),
        "secrets": .dictionary(secret, names: true),
        "configs": .dictionary(config, names: true),
    ])

    static let include = ComposeShape.choice(
        scalar: .string, list: nil,
        mapping: .object(["path": .stringOrList, "env_file": .stringOrList, "project_directory": .string], extensions: false))

    static let model = ComposeShape.object(
        ["name": .string, "model": .string, "context_size": .integer, "runtime_flags": .listOfStrings],
        required: ["model"])

    static let ulimits = ComposeShape.dictionary(
        .choice(scalar: .stringOrInteger, list: nil, mapping: .object(["hard": .stringOrInteger, "soft": .stringOrInteger], required: ["soft", "hard"])))

    static let serviceConfigOrSecret = ComposeShape.list(
        .choice(
            scalar: .string, list: nil,
            mapping: .object([
                "source": .string, "target": .string, "uid": .string, "gid": .string, "mode": .stringOrNumber,
            ])))

    static let build = ComposeShape.choice(
        scalar: .string, list: nil,
        mapping: .object([
            "context": .string, "dockerfile": .string, "dockerfile_inline": .string, "entitlements": .listOfStrings,
            "args": .listOrDict, "ssh": .choice(scalar: .string, list: .list(.string), mapping: .dictionary(.scalar)),
            "labels": .listOrDict, "cache_from": .listOfStrings, "cache_to": .listOfStrings, "no_cache": .stringOrBoolean,
            "no_cache_filter": .stringOrList, "additional_contexts": .listOrDict, "network": .string,
            "provenance": .stringOrBoolean, "sbom": .stringOrBoolean, "pull": .stringOrBoolean, "target": .string,
            "shm_size": .stringOrInteger, "extra_hosts": .extraHosts, "isolation": .string, "privileged": .stringOrBoolean,
            "secrets": serviceConfigOrSecret, "tags": .listOfStrings, "ulimits": ulimits, "platforms": .listOfStrings,
        ]))

    static let blkioLimit = ComposeShape.object(["path": .string, "rate": .stringOrInteger], extensions: false)
    static let blkioWeight = ComposeShape.object(["path": .string, "weight": .stringOrInteger], extensions: false)

    static let serviceHookKeys: [String: ComposeShape] = [
        "command": .command, "user": .string, "privileged": .stringOrBoolean, "working_dir": .string,
        "environment": .listOrDict,
    ]
    static let serviceHook = ComposeShape.object(serviceHookKeys, required: ["command"])
    /// A `pre_start` step runs in a container of its own, so it may name an image.
    static let preStartHook = ComposeShape.object(
        serviceHookKeys.merging(["image": .string, "per_replica": .stringOrBoolean]) { $1 })

    static let deviceKeys: [String: ComposeShape] = [
        "capabilities": .listOfStrings, "count": .stringOrInteger, "device_ids": .listOfStrings, "driver": .string,
        "options": .listOrDict,
    ]
    /// `deploy.resources.reservations.devices`: each request names its capabilities.
    static let devices = ComposeShape.list(.object(deviceKeys, required: ["capabilities"]))
    /// `gpus`: the same requests, with `capabilities` implied.
    static let gpus = ComposeShape.list(.object(deviceKeys))

    static let updateConfig = ComposeShape.object([
        "parallelism": .stringOrInteger, "delay": .string, "failure_action": .string, "monitor": .string,
        "max_failure_ratio": .stringOrNumber, "order": .string,
    ])

    static let deploy = ComposeShape.object([
        "mode": .string, "endpoint_mode": .string, "replicas": .stringOrInteger, "labels": .listOrDict,
        "rollback_config": updateConfig, "update_config": updateConfig,
        "resources": .object([
            "limits": .object(["cpus": .stringOrNumber, "memory": .string, "pids": .stringOrInteger]),
            "reservations": .object([
                "cpus": .stringOrNumber, "memory": .string, "devices": devices,
                "generic_resources": .list(
                    .object([
                        "discrete_resource_spec": .object(["kind": .string, "value": .stringOrNumber])
                    ])),
            ]),
        ]),
        "restart_policy": .object([
            "condition": .string, "delay": .string, "max_attempts": .stringOrInteger, "window": .string,
        ]),
        "placement": .object([
            "constraints": .listOfStrings, "preferences": .list(.object(["spread": .string])),
            "max_replicas_per_node": .stringOrInteger,
        ]),
    ])

    static let healthcheck = ComposeShape.object([
        "disable": .stringOrBoolean, "interval": .string, "retries": .stringOrNumber, "test": .command,
        "timeout": .string, "start_period": .string, "start_interval": .string,
    ])

    static let develop = ComposeShape.object([
        "watch": .list(
            .object(
                [
                    "ignore": .stringOrList, "include": .stringOrList, "path": .string, "action": .string,
                    "target": .string, "exec": serviceHook, "initial_sync": .boolean,
                ], required: ["path", "action"]))
    ])

    static let serviceNetwork = ComposeShape.object([
        "aliases": .listOfStrings, "interface_name": .string, "ipv4_address": .string, "ipv6_address": .string,
        "link_local_ips": .listOfStrings, "mac_address": .string, "driver_opts": .options, "priority": .number,
        "gw_priority": .number,
    ])

    static let port = ComposeShape.choice(
        scalar: .stringOrNumber, list: nil,
        mapping: .object([
            "name": .string, "mode": .string, "host_ip": .string, "target": .stringOrInteger,
            "published": .stringOrInteger, "protocol": .string, "app_protocol": .string,
        ]))

    static let serviceVolume = ComposeShape.choice(
        scalar: .string, list: nil,
        mapping: .object([
            "type": .string, "source": .string, "target": .string, "read_only": .stringOrBoolean,
            "consistency": .string,
            "bind": .object([
                "propagation": .string, "create_host_path": .stringOrBoolean, "recursive": .string, "selinux": .string,
            ]),
            "volume": .object(["labels": .listOrDict, "nocopy": .stringOrBoolean, "subpath": .string]),
            "tmpfs": .object(["size": .stringOrInteger, "mode": .stringOrNumber]),
            "image": .object(["subpath": .string]),
        ], required: ["type", "target"]))

    static let envFile = ComposeShape.choice(
        scalar: .string,
        list: .list(
            .choice(
                scalar: .string, list: nil,
                mapping: .object(
                    ["path": .string, "format": .string, "required": .stringOrBoolean], extensions: false,
                    required: ["path"]))),
        mapping: nil)

    static let dependsOn = ComposeShape.choice(
        scalar: nil, list: .listOfStrings,
        mapping: .dictionary(
            .object(
                ["restart": .stringOrBoolean, "required": .stringOrBoolean, "condition": .string],
                required: ["condition"])))

    static let service = ComposeShape.object([
        "develop": develop,
        "deploy": deploy,
        "annotations": .listOrDict,
        "attach": .stringOrBoolean,
        "build": build,
        "blkio_config": .object(
            [
                "device_read_bps": .list(blkioLimit), "device_read_iops": .list(blkioLimit),
                "device_write_bps": .list(blkioLimit), "device_write_iops": .list(blkioLimit),
                "weight": .stringOrInteger, "weight_device": .list(blkioWeight),
            ], extensions: false),
        "cap_add": .listOfStrings,
        "cap_drop": .listOfStrings,
        "cgroup": .string,
        "cgroup_parent": .string,
        "command": .command,
        "configs": serviceConfigOrSecret,
        "container_name": .string,
        "cpu_count": .stringOrInteger,
        "cpu_percent": .stringOrInteger,
        "cpu_shares": .stringOrNumber,
        "cpu_quota": .stringOrNumber,
        "cpu_period": .stringOrNumber,
        "cpu_rt_period": .stringOrNumber,
        "cpu_rt_runtime": .stringOrNumber,
        "cpus": .stringOrNumber,
        "cpuset": .string,
        "credential_spec": .object(["config": .string, "file": .string, "registry": .string]),
        "depends_on": dependsOn,
        "device_cgroup_rules": .listOfStrings,
        "devices": .list(
            .choice(
                scalar: .string, list: nil,
                mapping: .object(
                    ["source": .string, "target": .string, "permissions": .string], required: ["source", "target"]))),
        "dns": .stringOrList,
        "dns_opt": .listOfStrings,
        "dns_search": .stringOrList,
        "domainname": .string,
        "entrypoint": .command,
        "env_file": envFile,
        "label_file": .stringOrList,
        "environment": .listOrDict,
        "expose": .list(.stringOrNumber),
        "extends": .choice(
            scalar: .string, list: nil, mapping: .object(["service": .string, "file": .string], extensions: false)),
        "provider": .object(
            ["type": .string, "options": .dictionary(.choice(scalar: .scalar, list: .list(.scalar), mapping: nil))],
            required: ["type"]),
        "external_links": .listOfStrings,
        "extra_hosts": .extraHosts,
        "gpus": .choice(scalar: .string, list: gpus, mapping: nil),
        "group_add": .list(.stringOrNumber),
        "healthcheck": healthcheck,
        "hostname": .string,
        "image": .string,
        "init": .stringOrBoolean,
        "ipc": .string,
        "isolation": .string,
        "labels": .listOrDict,
        "links": .listOfStrings,
        "logging": .object(["driver": .string, "options": .options]),
        "mac_address": .string,
        "mem_limit": .stringOrNumber,
        "mem_reservation": .stringOrInteger,
        "mem_swappiness": .stringOrInteger,
        "memswap_limit": .stringOrNumber,
        "network_mode": .string,
        "models": .choice(
            scalar: nil, list: .listOfStrings,
            mapping: .dictionary(.object(["endpoint_var": .string, "model_var": .string]))),
        "networks": .choice(scalar: nil, list: .listOfStrings, mapping: .dictionary(serviceNetwork)),
        "oom_kill_disable": .stringOrBoolean,
        "oom_score_adj": .stringOrInteger,
        "pid": .string,
        "pids_limit": .stringOrNumber,
        "platform": .string,
        "ports": .list(port),
        "pre_start": .list(preStartHook),
        "post_start": .list(serviceHook),
        "pre_stop": .list(serviceHook),
        "privileged": .stringOrBoolean,
        "profiles": .listOfStrings,
        "pull_policy": .string,
        "pull_refresh_after": .string,
        "read_only": .stringOrBoolean,
        "restart": .string,
        "runtime": .string,
        "scale": .stringOrInteger,
        "security_opt": .listOfStrings,
        "shm_size": .stringOrNumber,
        "secrets": serviceConfigOrSecret,
        "sysctls": .listOrDict,
        "stdin_open": .stringOrBoolean,
        "stop_grace_period": .string,
        "stop_signal": .string,
        "storage_opt": .dictionary(.any),
        "tmpfs": .stringOrList,
        "tty": .stringOrBoolean,
        "ulimits": ulimits,
        "use_api_socket": .boolean,
        "user": .string,
        "uts": .string,
        "userns_mode": .string,
        "volumes": .list(serviceVolume),
        "volumes_from": .listOfStrings,
        "working_dir": .string,
    ])

    /// What to write for a required key, where a word helps.
    static let requiredHints: [String: String] = [
        "condition": "write `condition: service_started` (or `service_healthy`, `service_completed_successfully`)",
        "target": "give the path inside the container",
        "soft": "give both `soft` and `hard`, or one number for both",
        "hard": "give both `soft` and `hard`, or one number for both",
        "capabilities": "name what the device provides (`capabilities: [gpu]`)",
        "command": "give the command to run",
    ]

    static let external = ComposeShape.choice(scalar: .stringOrBoolean, list: nil, mapping: .object(["name": .string]))

    static let network = ComposeShape.object([
        "name": .string, "driver": .string, "driver_opts": .options,
        "ipam": .object([
            "driver": .string,
            "config": .list(
                .object([
                    "subnet": .string, "ip_range": .string, "gateway": .string,
                    "aux_addresses": .dictionary(.string),
                ])),
            "options": .dictionary(.string),
        ]),
        "external": external, "internal": .stringOrBoolean, "enable_ipv4": .stringOrBoolean,
        "enable_ipv6": .stringOrBoolean, "attachable": .stringOrBoolean, "labels": .listOrDict,
    ])

    static let volume = ComposeShape.object([
        "name": .string, "driver": .string, "driver_opts": .options, "external": external, "labels": .listOrDict,
    ])

    static let secret = ComposeShape.object([
        "name": .string, "environment": .string, "file": .string, "external": external, "labels": .listOrDict,
        "driver": .string, "driver_opts": .options, "template_driver": .string,
    ])

    static let config = ComposeShape.object([
        "name": .string, "content": .string, "environment": .string, "file": .string, "external": external,
        "labels": .listOrDict, "template_driver": .string,
    ])
}
