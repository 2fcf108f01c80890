import Foundation

extension EnvironmentBuilder {
    /// The default directory on a state host, under the SSH user's home.
    static func defaultStateDirectory(_ environment: String) -> String { ".deployer/state/\(environment)" }

    /// `state:` — `local: {dir}`, `ssh: {host, dir}`, `azure-blob: {account, resource-group, …}` or
    /// `etcd: {endpoints, …}`; nil after an error.
    mutating func readState(
        _ node: YAMLNode, name: String, targets: TargetSource?, loadBalancers: [LoadBalancerSpec]
    ) -> StateSpec? {
        guard let pairs = reader.mapping(node, "state") else { return nil }
        reader.checkKeys(pairs, allowed: ["local", "ssh", "azure-blob", "etcd"], in: "state")
        guard let kind = reader.exactlyOne(of: ["local", "ssh", "azure-blob", "etcd"], in: pairs, at: node.location, path: "state") else {
            return nil
        }
        var fields: [YAMLPair] = []
        if !kind.value.isNull {
            guard let mapping = reader.mapping(kind.value, "state.\(kind.key)") else { return nil }
            fields = mapping
        }
        func value(_ key: String) -> YAMLNode? { fields.last { $0.key == key }?.value }
        switch kind.key {
        case "local":
            reader.checkKeys(fields, allowed: ["dir"], in: "state.local")
            guard let node = value("dir") else { return .local(directory: nil) }
            guard let directory = reader.string(node, "state.local.dir") else { return nil }
            return .local(directory: ManifestFile.resolve(directory, nextTo: file))
        case "azure-blob":
            return readBlobState(fields, at: kind, name: name)
        case "etcd":
            return readEtcdState(fields, at: kind, name: name, file: file)
        default:
            reader.checkKeys(fields, allowed: ["host", "address", "port", "user", "key", "dir"], in: "state.ssh")
            var directory = Self.defaultStateDirectory(name)
            if let node = value("dir") {
                guard let text = reader.string(node, "state.ssh.dir") else { return nil }
                guard !text.isEmpty, !text.contains("\n") else {
                    reader.error("`state.ssh.dir` must be a directory path", at: node.location, rule: "wrong-type")
                    return nil
                }
                directory = text
            }
            if let addressNode = value("address") {
                // Any machine SSH reaches (an ops host, a bastion): for every kind of environment.
                if let host = fields.last(where: { $0.key == "host" }) {
                    reader.error(
                        "`state.ssh` takes `host` (an inventory host) or `address`, not both", at: host.keyLocation,
                        rule: "exactly-one-of")
                    return nil
                }
                guard let address = reader.string(addressNode, "state.ssh.address") else { return nil }
                var vars: [String: String] = [:]
                if let node = value("port") {
                    guard let port = reader.int(node, "state.ssh.port", minimum: 1) else { return nil }
                    vars["ansible_port"] = String(port)
                }
                if let node = value("user") {
                    guard let user = reader.string(node, "state.ssh.user") else { return nil }
                    vars["ansible_user"] = user
                }
                if let node = value("key") {
                    guard let key = reader.string(node, "state.ssh.key") else { return nil }
                    vars["ansible_ssh_private_key_file"] = key.hasPrefix("~") ? key : ManifestFile.resolve(key, nextTo: file)
                }
                return .ssh(SSHStateSpec(host: address, address: address, vars: vars, directory: directory))
            }
            for key in ["port", "user", "key"] {
                if let pair = fields.last(where: { $0.key == key }) {
                    reader.error(
                        "`state.ssh.\(key)` goes with `address`; an inventory host's SSH settings come from the inventory",
                        at: pair.keyLocation, rule: "unexpected-key")
                }
            }
            guard case .hosts = targets else {
                if targets != nil {
                    reader.error(
                        "`state.ssh.host` names an inventory host, and these targets come from no inventory; give `address` instead",
                        at: kind.keyLocation, rule: "incompatible-state")
                }
                return nil
            }
            guard let hostNode = value("host") else {
                guard let first = defaultStateHost(loadBalancers) else {
                    reader.error(
                        "`state.ssh` needs `host:` here: no load balancer of this environment is on an inventory host",
                        at: kind.keyLocation, rule: "missing-key")
                    return nil
                }
                return .ssh(SSHStateSpec(host: first.name, address: first.address, vars: first.vars, directory: directory))
            }
            guard let hostName = reader.string(hostNode, "state.ssh.host") else { return nil }
            guard let host = inventory?.host(named: hostName) else {
                let known = inventory?.hosts.map(\.name) ?? []
                var message = "`state.ssh.host`: \(hostName) is not a host of the inventory"
                if let guess = Suggestion.closest(to: hostName, among: known) { message += "; did you mean `\(guess)`?" }
                reader.error(message, at: hostNode.location, rule: "unknown-state-host")
                return nil
            }
            return .ssh(SSHStateSpec(host: host.name, address: host.address, vars: host.vars, directory: directory))
        }
    }

    /// `state.azure-blob`: the account and its group are needed; container and prefix have defaults.
    private mutating func readBlobState(_ fields: [YAMLPair], at kind: YAMLPair, name: String) -> StateSpec? {
        let path = "state.azure-blob"
        reader.checkKeys(fields, allowed: ["account", "resource-group", "subscription", "container", "prefix", "key-env"], in: path)
        func text(_ key: String) -> (value: String, node: YAMLNode)?? {
            guard let node = fields.last(where: { $0.key == key })?.value else { return .some(nil) }
            guard let value = reader.string(node, "\(path).\(key)") else { return nil }
            return (value, node)
        }
        guard let account = text("account"), let group = text("resource-group"), let subscription = text("subscription"),
            let container = text("container"), let prefix = text("prefix"), let keyVariable = text("key-env")
        else { return nil }
        var ok = true
        for (key, value) in [("account", account), ("resource-group", group)] where value == nil {
            reader.error("`\(path)` needs `\(key):`", at: kind.keyLocation, rule: "missing-key")
            ok = false
        }
        if let account, !Self.isStorageAccountName(account.value) {
            reader.error(
                "`\(path).account`: \(account.value) is not a storage account name (3 to 24 lowercase letters and digits)",
                at: account.node.location, rule: "invalid-state-name")
            ok = false
        }
        if let container, !Self.isContainerName(container.value) {
            reader.error(
                "`\(path).container`: \(container.value) is not a container name (3 to 63 lowercase letters, digits and single "
                    + "hyphens, starting and ending with a letter or digit)",
                at: container.node.location, rule: "invalid-state-name")
            ok = false
        }
        let folder = prefix?.value ?? name
        let segments = folder.split(separator: "/", omittingEmptySubsequences: false)
        if folder.isEmpty || segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
            || !folder.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-/".unicodeScalars.contains($0)) })
        {
            reader.error(
                "`\(path).prefix`: \(folder) is not a blob folder (segments of letters, digits, `.`, `_` and `-`, joined by `/`)",
                at: prefix?.node.location ?? kind.keyLocation, rule: "invalid-state-name")
            ok = false
        }
        if let keyVariable, !Self.isVariableName(keyVariable.value) {
            reader.error(
                "`\(path).key-env` names the environment variable that holds the account key: \(keyVariable.value) is not a variable name",
                at: keyVariable.node.location, rule: "invalid-state-name")
            ok = false
        }
        guard ok, let account, let group else { return nil }
        return .azureBlob(
            AzureBlobStateSpec(
                account: account.value, resourceGroup: group.value, subscription: subscription?.value,
                container: container?.value ?? AzureBlobStateSpec.defaultContainer, prefix: folder, keyVariable: keyVariable?.value))
    }

    /// `state.etcd`: `endpoints` (one URL or a list), `prefix`, `user` and `password-env`; for https
    /// endpoints `ca`, `cert` and `key`.
    private mutating func readEtcdState(_ fields: [YAMLPair], at kind: YAMLPair, name: String, file: String) -> StateSpec? {
        let path = "state.etcd"
        reader.checkKeys(fields, allowed: ["endpoints", "prefix", "user", "password-env", "ca", "cert", "key"], in: path)
        guard let endpointsNode = fields.last(where: { $0.key == "endpoints" })?.value else {
            reader.error("`\(path)` needs `endpoints:` (e.g. `[http://10.0.0.5:2379, http://10.0.0.6:2379]`)", at: kind.keyLocation, rule: "missing-key")
            return nil
        }
        let endpointNodes: [YAMLNode] = endpointsNode.items ?? [endpointsNode]
        var endpoints: [String] = []
        for node in endpointNodes {
            guard let text = reader.string(node, "\(path).endpoints") else { return nil }
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", let host = url.host, !host.isEmpty,
                url.path.isEmpty || url.path == "/"
            else {
                reader.error(
                    "`\(path).endpoints`: \(text) is not an etcd endpoint (write it as http://host:port, or https://host:port for TLS)",
                    at: node.location, rule: "invalid-state-name")
                return nil
            }
            if let first = endpoints.first, URL(string: first)?.scheme != url.scheme {
                reader.error(
                    "`\(path).endpoints`: \(text) is \(url.scheme ?? "") where \(first) is not; a cluster's members are all reached the same way",
                    at: node.location, rule: "invalid-state-name")
                return nil
            }
            endpoints.append(text.hasSuffix("/") ? String(text.dropLast()) : text)
        }
        guard !endpoints.isEmpty else {
            reader.error("`\(path).endpoints` names no endpoint", at: endpointsNode.location, rule: "missing-key")
            return nil
        }
        func text(_ key: String) -> (value: String, node: YAMLNode)?? {
            guard let node = fields.last(where: { $0.key == key })?.value else { return .some(nil) }
            guard let value = reader.string(node, "\(path).\(key)") else { return nil }
            return (value, node)
        }
        guard let prefix = text("prefix"), let user = text("user"), let password = text("password-env"),
            let ca = text("ca"), let certificate = text("cert"), let key = text("key")
        else { return nil }
        let tlsFiles = [("ca", ca), ("cert", certificate), ("key", key)].filter { $0.1 != nil }
        if let (field, _) = tlsFiles.first, endpoints.first?.hasPrefix("https://") != true {
            reader.error(
                "`\(path).\(field)` is for TLS, and the endpoints are http://; write them as https://host:port (or leave out `ca`, `cert` and `key`)",
                at: fields.last(where: { $0.key == field })!.keyLocation, rule: "invalid-state-name")
            return nil
        }
        if (certificate == nil) != (key == nil) {
            reader.error(
                "`\(path)`: `cert` and `key` go together (the client certificate and its private key)",
                at: (certificate ?? key)!.node.location, rule: "missing-key")
            return nil
        }
        func resolved(_ value: (value: String, node: YAMLNode)?) -> String? {
            value.map { $0.value.hasPrefix("~") ? $0.value : ManifestFile.resolve($0.value, nextTo: file) }
        }
        let folder = prefix?.value ?? "deployer/\(name)"
        if folder.isEmpty || folder.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            reader.error(
                "`\(path).prefix`: \(folder) is not a key folder (segments joined by `/`, none empty)",
                at: prefix?.node.location ?? kind.keyLocation, rule: "invalid-state-name")
            return nil
        }
        if let password, !Self.isVariableName(password.value) {
            reader.error(
                "`\(path).password-env` names the environment variable that holds the password: \(password.value) is not a variable name",
                at: password.node.location, rule: "invalid-state-name")
            return nil
        }
        if (user == nil) != (password == nil) {
            reader.error("`\(path)`: `user` and `password-env` go together", at: (user ?? password)!.node.location, rule: "missing-key")
            return nil
        }
        return .etcd(
            EtcdStateSpec(
                endpoints: endpoints, prefix: folder, user: user?.value, passwordVariable: password?.value, ca: resolved(ca),
                certificate: resolved(certificate), key: resolved(key)))
    }

    static func isStorageAccountName(_ text: String) -> Bool {
        (3...24).contains(text.count) && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    static func isContainerName(_ text: String) -> Bool {
        guard (3...63).contains(text.count), text.first != "-", text.last != "-", !text.contains("--") else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    static func isVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_") }
    }

    /// Without `state:`: for inventory hosts, a directory on the first load balancer that is an
    /// inventory host (every machine that deploys reaches it already); elsewhere this machine.
    func defaultState(name: String, targets: TargetSource, loadBalancers: [LoadBalancerSpec]) -> StateSpec {
        guard case .hosts = targets, let host = defaultStateHost(loadBalancers) else { return .local(directory: nil) }
        return .ssh(
            SSHStateSpec(host: host.name, address: host.address, vars: host.vars, directory: Self.defaultStateDirectory(name)))
    }

    private func defaultStateHost(_ loadBalancers: [LoadBalancerSpec]) -> (name: String, address: String, vars: [String: String])? {
        for balancer in loadBalancers {
            if case .haproxy(let spec) = balancer, let address = spec.host { return (spec.name, address, spec.hostVars) }
        }
        return nil
    }
}
