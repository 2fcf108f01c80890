/// The key sets and shapes of a compose file, from the Compose Specification's JSON schema
/// (compose-spec/compose-spec `schema/compose-spec.json`).
enum ComposeSchema {
    static let top = ComposeShape.object([
        "version": .scalar,
        "name": .scalar,
        "include": .list(include),
        "services": .dictionary(service, names: true),
        "models": .dictionary(model, names: true),
        "networks": .dictionary(network, names: true),
        "volumes": .dictionary(volume, names: true),
        "secrets": .dictionary(secret, names: true),
        "configs": .dictionary(config, names: true),
    ])

    static let include = ComposeShape.choice(
        scalar: .scalar, list: nil,
        mapping: .object(["path": .stringOrList, "env_file": .stringOrList, "project_directory": .scalar], extensions: false))

    static let model = ComposeShape.object([
        "name": .scalar, "model": .scalar, "context_size": .scalar, "runtime_flags": .listOfStrings,
    ])

    static let ulimits = ComposeShape.dictionary(
        .choice(scalar: .scalar, list: nil, mapping: .object(["hard": .scalar, "soft": .scalar])))

    static let serviceConfigOrSecret = ComposeShape.list(
        .choice(
            scalar: .scalar, list: nil,
            mapping: .object(["source": .scalar, "target": .scalar, "uid": .scalar, "gid": .scalar, "mode": .scalar])))

    static let build = ComposeShape.choice(
        scalar: .scalar, list: nil,
        mapping: .object([
            "context": .scalar, "dockerfile": .scalar, "dockerfile_inline": .scalar, "entitlements": .listOfStrings,
            "args": .listOrDict, "ssh": .choice(scalar: .scalar, list: .list(.scalar), mapping: .dictionary(.scalar)),
            "labels": .listOrDict, "cache_from": .listOfStrings, "cache_to": .listOfStrings, "no_cache": .scalar,
            "additional_contexts": .listOrDict, "network": .scalar, "pull": .scalar, "target": .scalar,
            "shm_size": .scalar, "extra_hosts": .extraHosts, "isolation": .scalar, "privileged": .scalar,
            "secrets": serviceConfigOrSecret, "tags": .listOfStrings, "ulimits": ulimits, "platforms": .listOfStrings,
        ]))

    static let blkioLimit = ComposeShape.object(["path": .scalar, "rate": .scalar], extensions: false)
    static let blkioWeight = ComposeShape.object(["path": .scalar, "weight": .scalar], extensions: false)

    static let serviceHook = ComposeShape.object([
        "command": .command, "user": .scalar, "privileged": .scalar, "working_dir": .scalar, "environment": .listOrDict,
    ])

    static let devices = ComposeShape.list(
        .object([
            "capabilities": .listOfStrings, "count": .scalar, "device_ids": .listOfStrings, "driver": .scalar,
            "options": .listOrDict,
        ]))

    static let updateConfig = ComposeShape.object([
        "parallelism": .scalar, "delay": .scalar, "failure_action": .scalar, "monitor": .scalar,
        "max_failure_ratio": .scalar, "order": .scalar,
    ])

    static let deploy = ComposeShape.object([
        "mode": .scalar, "endpoint_mode": .scalar, "replicas": .scalar, "labels": .listOrDict,
        "rollback_config": updateConfig, "update_config": updateConfig,
        "resources": .object([
            "limits": .object(["cpus": .scalar, "memory": .scalar, "pids": .scalar]),
            "reservations": .object([
                "cpus": .scalar, "memory": .scalar, "devices": devices,
                "generic_resources": .list(
                    .object([
                        "discrete_resource_spec": .object(["kind": .scalar, "value": .scalar])
                    ])),
            ]),
        ]),
        "restart_policy": .object(["condition": .scalar, "delay": .scalar, "max_attempts": .scalar, "window": .scalar]),
        "placement": .object([
            "constraints": .listOfStrings, "preferences": .list(.object(["spread": .scalar])),
            "max_replicas_per_node": .scalar,
        ]),
    ])

    static let healthcheck = ComposeShape.object([
        "disable": .scalar, "interval": .scalar, "retries": .scalar, "test": .command, "timeout": .scalar,
        "start_period": .scalar, "start_interval": .scalar,
    ])

    static let develop = ComposeShape.object([
        "watch": .list(
            .object([
                "ignore": .stringOrList, "include": .stringOrList, "path": .scalar, "action": .scalar, "target": .scalar,
                "exec": serviceHook,
            ]))
    ])

    static let serviceNetwork = ComposeShape.object([
        "aliases": .listOfStrings, "interface_name": .scalar, "ipv4_address": .scalar, "ipv6_address": .scalar,
        "link_local_ips": .listOfStrings, "mac_address": .scalar, "driver_opts": .options, "priority": .scalar,
        "gw_priority": .scalar,
    ])

    static let port = ComposeShape.choice(
        scalar: .scalar, list: nil,
        mapping: .object([
            "name": .scalar, "mode": .scalar, "host_ip": .scalar, "target": .scalar, "published": .scalar,
            "protocol": .scalar, "app_protocol": .scalar,
        ]))

    static let serviceVolume = ComposeShape.choice(
        scalar: .scalar, list: nil,
        mapping: .object([
            "type": .scalar, "source": .scalar, "target": .scalar, "read_only": .scalar, "consistency": .scalar,
            "bind": .object(["propagation": .scalar, "create_host_path": .scalar, "recursive": .scalar, "selinux": .scalar]),
            "volume": .object(["labels": .listOrDict, "nocopy": .scalar, "subpath": .scalar]),
            "tmpfs": .object(["size": .scalar, "mode": .scalar]),
            "image": .object(["subpath": .scalar]),
        ]))

    static let envFile = ComposeShape.choice(
        scalar: .scalar,
        list: .list(
            .choice(
                scalar: .scalar, list: nil,
                mapping: .object(["path": .scalar, "format": .scalar, "required": .scalar], extensions: false))),
        mapping: nil)

    static let dependsOn = ComposeShape.choice(
        scalar: nil, list: .listOfStrings,
        mapping: .dictionary(.object(["restart": .scalar, "required": .scalar, "condition": .scalar])))

    static let service = ComposeShape.object([
        "develop": develop,
        "deploy": deploy,
        "annotations": .listOrDict,
        "attach": .scalar,
        "build": build,
        "blkio_config": .object(
            [
                "device_read_bps": .list(blkioLimit), "device_read_iops": .list(blkioLimit),
                "device_write_bps": .list(blkioLimit), "device_write_iops": .list(blkioLimit), "weight": .scalar,
                "weight_device": .list(blkioWeight),
            ], extensions: false),
        "cap_add": .listOfStrings,
        "cap_drop": .listOfStrings,
        "cgroup": .scalar,
        "cgroup_parent": .scalar,
        "command": .command,
        "configs": serviceConfigOrSecret,
        "container_name": .scalar,
        "cpu_count": .scalar,
        "cpu_percent": .scalar,
        "cpu_shares": .scalar,
        "cpu_quota": .scalar,
        "cpu_period": .scalar,
        "cpu_rt_period": .scalar,
        "cpu_rt_runtime": .scalar,
        "cpus": .scalar,
        "cpuset": .scalar,
        "credential_spec": .object(["config": .scalar, "file": .scalar, "registry": .scalar]),
        "depends_on": dependsOn,
        "device_cgroup_rules": .listOfStrings,
        "devices": .list(
            .choice(
                scalar: .scalar, list: nil,
                mapping: .object(["source": .scalar, "target": .scalar, "permissions": .scalar]))),
        "dns": .stringOrList,
        "dns_opt": .listOfStrings,
        "dns_search": .stringOrList,
        "domainname": .scalar,
        "entrypoint": .command,
        "env_file": envFile,
        "label_file": .stringOrList,
        "environment": .listOrDict,
        "expose": .list(.scalar),
        "extends": .choice(scalar: .scalar, list: nil, mapping: .object(["service": .scalar, "file": .scalar], extensions: false)),
        "provider": .object(["type": .scalar, "options": .dictionary(.choice(scalar: .scalar, list: .list(.scalar), mapping: nil))]),
        "external_links": .listOfStrings,
        "extra_hosts": .extraHosts,
        "gpus": .choice(scalar: .scalar, list: devices, mapping: nil),
        "group_add": .list(.scalar),
        "healthcheck": healthcheck,
        "hostname": .scalar,
        "image": .scalar,
        "init": .scalar,
        "ipc": .scalar,
        "isolation": .scalar,
        "labels": .listOrDict,
        "links": .listOfStrings,
        "logging": .object(["driver": .scalar, "options": .options]),
        "mac_address": .scalar,
        "mem_limit": .scalar,
        "mem_reservation": .scalar,
        "mem_swappiness": .scalar,
        "memswap_limit": .scalar,
        "network_mode": .scalar,
        "models": .choice(scalar: nil, list: .listOfStrings, mapping: .dictionary(.object(["endpoint_var": .scalar]))),
        "networks": .choice(scalar: nil, list: .listOfStrings, mapping: .dictionary(serviceNetwork)),
        "oom_kill_disable": .scalar,
        "oom_score_adj": .scalar,
        "pid": .scalar,
        "pids_limit": .scalar,
        "platform": .scalar,
        "ports": .list(port),
        "post_start": .list(serviceHook),
        "pre_stop": .list(serviceHook),
        "privileged": .scalar,
        "profiles": .listOfStrings,
        "pull_policy": .scalar,
        "pull_refresh_after": .scalar,
        "read_only": .scalar,
        "restart": .scalar,
        "runtime": .scalar,
        "scale": .scalar,
        "security_opt": .listOfStrings,
        "shm_size": .scalar,
        "secrets": serviceConfigOrSecret,
        "sysctls": .listOrDict,
        "stdin_open": .scalar,
        "stop_grace_period": .scalar,
        "stop_signal": .scalar,
        "storage_opt": .dictionary(.any),
        "tmpfs": .stringOrList,
        "tty": .scalar,
        "ulimits": ulimits,
        "use_api_socket": .scalar,
        "user": .scalar,
        "uts": .scalar,
        "userns_mode": .scalar,
        "volumes": .list(serviceVolume),
        "volumes_from": .listOfStrings,
        "working_dir": .scalar,
    ])

    static let external = ComposeShape.choice(scalar: .scalar, list: nil, mapping: .object(["name": .scalar]))

    static let network = ComposeShape.object([
        "name": .scalar, "driver": .scalar, "driver_opts": .options,
        "ipam": .object([
            "driver": .scalar,
            "config": .list(
                .object([
                    "subnet": .scalar, "ip_range": .scalar, "gateway": .scalar,
                    "aux_addresses": .dictionary(.scalar),
                ])),
            "options": .dictionary(.scalar),
        ]),
        "external": external, "internal": .scalar, "enable_ipv4": .scalar, "enable_ipv6": .scalar,
        "attachable": .scalar, "labels": .listOrDict,
    ])

    static let volume = ComposeShape.object([
        "name": .scalar, "driver": .scalar, "driver_opts": .options, "external": external, "labels": .listOrDict,
    ])

    static let secret = ComposeShape.object([
        "name": .scalar, "environment": .scalar, "file": .scalar, "external": external, "labels": .listOrDict,
        "driver": .scalar, "driver_opts": .options, "template_driver": .scalar,
    ])

    static let config = ComposeShape.object([
        "name": .scalar, "content": .scalar, "environment": .scalar, "file": .scalar, "external": external,
        "labels": .listOrDict, "template_driver": .scalar,
    ])
}

