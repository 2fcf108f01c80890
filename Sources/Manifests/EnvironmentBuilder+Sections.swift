import Foundation

/// Load balancers, deploy actions and health checks of an environment file.
extension EnvironmentBuilder {
    mutating func readLoadBalancers(_ node: YAMLNode, targets: TargetSource?) -> [LoadBalancerSpec] {
        guard let items = node.items else {
            reader.error("`load-balancers` must be a list, not \(node.kindDescription)", at: node.location, rule: "wrong-type")
            return []
        }
        var result: [LoadBalancerSpec] = []
        var names: [String: SourceLocation] = [:]
        for (index, item) in items.enumerated() {
            let path = "load-balancers[\(index)]"
            guard let pairs = reader.mapping(item, path) else { continue }
            let kinds = ["haproxy", "application-gateway", "simulated"]
            reader.checkKeys(pairs, allowed: kinds, in: path)
            guard let kind = reader.exactlyOne(of: kinds, in: pairs, at: item.location, path: path) else { continue }
            checkLoadBalancerKind(kind, path: path, targets: targets)
            let specs: [LoadBalancerSpec]
            switch kind.key {
            case "haproxy": specs = readHAProxy(kind.value, "\(path).haproxy").map(LoadBalancerSpec.haproxy)
            case "application-gateway":
                specs = readApplicationGateway(kind.value, "\(path).application-gateway").map { [.applicationGateway($0)] } ?? []
            default:
                let simulatedPath = "\(path).simulated"
                guard let fields = reader.mapping(kind.value, simulatedPath) else { continue }
                reader.checkKeys(fields, allowed: ["name"], in: simulatedPath)
                specs = reader.required("name", in: fields, at: kind.value.location, path: simulatedPath)
                    .flatMap { reader.string($0, "\(simulatedPath).name") }
                    .map { [.simulated(SimulatedPoolSpec(name: $0))] } ?? []
            }
            for spec in specs {
                if let first = names[spec.name] {
                    reader.error(
                        "two load balancers are named `\(spec.name)` (the first at line \(first.line)); names must be unique",
                        at: kind.keyLocation, rule: "duplicate-load-balancer")
                }
                names[spec.name] = names[spec.name] ?? kind.keyLocation
            }
            result += specs
        }
        return result
    }

    /// Inventory hosts are drained from HAProxy, scale set instances from Application Gateway pools;
    /// a simulated fleet takes any load balancer as a simulated pool.
    mutating func checkLoadBalancerKind(_ kind: YAMLPair, path: String, targets: TargetSource?) {
        switch (targets, kind.key) {
        case (.hosts?, "haproxy"), (.vmss?, "application-gateway"), (.simulated?, _), (nil, _): return
        case (.hosts?, _):
            reader.error(
                "`\(path).\(kind.key)`: inventory hosts can only be drained from HAProxy in this version; "
                    + "use `haproxy:` (with `hosts:` or `name:` and `socket:`)",
                at: kind.keyLocation, rule: "incompatible-load-balancer")
        case (.vmss?, _):
            reader.error(
                "`\(path).\(kind.key)`: scale set instances can only be drained from Application Gateway pools in "
                    + "this version; use `application-gateway:` (with `resource-group`, `gateway` and `pool`)",
                at: kind.keyLocation, rule: "incompatible-load-balancer")
        }
    }

    /// One HAProxy per host of an inventory group (`hosts:`), or a single one (`name:`).
    mutating func readHAProxy(_ node: YAMLNode, _ path: String) -> [HAProxyLoadBalancer] {
        guard let pairs = reader.mapping(node, path) else { return [] }
        reader.checkKeys(pairs, allowed: ["hosts", "name", "socket", "backend", "server", "timeout"], in: path)
        func value(_ key: String) -> YAMLNode? { pairs.last { $0.key == key }?.value }
        let which = reader.exactlyOne(of: ["hosts", "name"], in: pairs, at: node.location, path: path)
        let socketNode = reader.required("socket", in: pairs, at: node.location, path: path)
        let socket = socketNode.flatMap { reader.string($0, "\(path).socket") }
        let backendNode = reader.required("backend", in: pairs, at: node.location, path: path)
        let backend = backendNode.flatMap { reader.string($0, "\(path).backend") }
        if let backend, let backendNode { checkHAProxyName(backend, at: backendNode.location, path: "\(path).backend") }
        let timeout = value("timeout").map { reader.duration($0, "\(path).timeout") } ?? .seconds(5)
        var servers: [String: String] = [:]
        if let serverNode = value("server"), reader.string(serverNode, "\(path).server") != nil {
            reader.checkTemplate(serverNode, "\(path).server", scopes: targetScopes, keepVersion: false)
            for (name, scope) in zip(targetNames ?? [], targetScopes) {
                let server = serverNode.scalar.map { Template.render($0.text, vars: scope.vars) } ?? name
                servers[name] = server
                if !server.contains("{{") {
                    checkHAProxyName(server, at: serverNode.location, path: "\(path).server", target: name)
                }
            }
        } else {
            for name in targetNames ?? [] {
                servers[name] = name
                // An unresolved name was already reported where it is written.
                if !name.contains("{{") { checkHAProxyName(name, at: node.location, path: "\(path).server", target: name) }
            }
        }
        if let socket, let socketNode, which?.key == "name" { checkSocket(socket, at: socketNode.location, path: "\(path).socket") }
        guard let which, let socket, let socketNode, let backend, let timeout else { return [] }
        if which.key == "name" {
            guard let name = reader.string(which.value, "\(path).name") else { return [] }
            reader.checkTemplate(
                socketNode, "\(path).socket", scopes: [TemplateScope(host: "", vars: [:])], keepVersion: false)
            return [HAProxyLoadBalancer(name: name, socket: socket, host: nil, backend: backend, servers: servers, timeout: timeout)]
        }
        guard let group = reader.string(which.value, "\(path).hosts") else { return [] }
        guard let inventory else {
            reader.error(
                "`\(path).hosts` names an inventory group, but the targets do not come from an inventory; use `name:` and `socket:` instead",
                at: which.value.location, rule: "no-inventory")
            return []
        }
        guard requireGroup(group, at: which.value, path: "\(path).hosts", in: inventory) else { return [] }
        let hosts = inventory.hosts(inGroup: group)
        if hosts.isEmpty {
            reader.error("group `\(group)` of \(inventory.file) has no hosts", at: which.value.location, rule: "empty-group")
        }
        let scopes = hosts.map { TemplateScope.host(name: $0.name, address: $0.address, vars: $0.vars) }
        reader.checkTemplate(socketNode, "\(path).socket", scopes: scopes, keepVersion: false)
        for scope in scopes {
            let rendered = Template.render(socket, vars: scope.vars)
            if !rendered.contains("{{") { checkSocket(rendered, at: socketNode.location, path: "\(path).socket") }
        }
        return zip(hosts, scopes).map { host, scope in
            HAProxyLoadBalancer(
                name: host.name, socket: Template.render(socket, vars: scope.vars), host: host.address, hostVars: host.vars, backend: backend,
                servers: servers, timeout: timeout)
        }
    }

    /// HAProxy names (backends, servers) hold only letters, digits, `-`, `_`, `.` and `:`; anything
    /// else could end or change a runtime-API command, and the HAProxy client refuses to send it.
    mutating func checkHAProxyName(_ name: String, at location: SourceLocation, path: String, target: String? = nil) {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", ":": return true
            default: return false
            }
        }
        let whose = target.map { " (target \($0))" } ?? ""
        if allowed, name.utf8.count > 255 {
            reader.error(
                "`\(path)`: the name\(whose) is \(name.utf8.count) bytes; HAProxy names are at most 255",
                at: location, rule: "haproxy-name")
            return
        }
        guard !allowed || name.isEmpty else { return }
        reader.error(
            "`\(path)`: \(name.debugDescription)\(whose) is not an HAProxy name: use only letters, digits, '-', '_', '.' and ':'",
            at: location, rule: "haproxy-name")
    }

    /// An admin socket as haproxy.cfg writes it: a path, `unix@PATH`, or `ipv4@HOST:PORT` / `ipv6@[HOST]:PORT`.
    mutating func checkSocket(_ socket: String, at location: SourceLocation, path: String) {
        if AdminSocketText.isValid(socket) { return }
        reader.error(
            "`\(path)`: \(socket.debugDescription) is not an admin socket: write an absolute Unix socket path "
                + "(/run/haproxy/admin.sock) or ipv4@HOST:PORT / ipv6@[HOST]:PORT, as in haproxy.cfg's `stats socket`",
            at: location, rule: "haproxy-socket")
    }

    mutating func readApplicationGateway(_ node: YAMLNode, _ path: String) -> ApplicationGatewayPool? {
        guard let pairs = reader.mapping(node, path) else { return nil }
        reader.checkKeys(pairs, allowed: ["name", "subscription", "resource-group", "gateway", "pool"], in: path)
        func optional(_ key: String) -> String? {
            pairs.last { $0.key == key }.flatMap { reader.string($0.value, "\(path).\(key)") }
        }
        func required(_ key: String) -> String? {
            reader.required(key, in: pairs, at: node.location, path: path).flatMap { reader.string($0, "\(path).\(key)") }
        }
        let name = optional("name")
        let subscription = optional("subscription")
        let group = required("resource-group")
        let gateway = required("gateway")
        let pool = required("pool")
        guard let group, let gateway, let pool else { return nil }
        return ApplicationGatewayPool(
            name: name ?? "\(gateway)/\(pool)", subscription: subscription, resourceGroup: group, gateway: gateway, pool: pool)
    }

    // MARK: Deploy and prepare

    /// `deploy.compose`: the local compose file is read now, so a missing service or an image that
    /// cannot be retagged is reported at load time, with its place in the compose file.
    mutating func readCompose(_ node: YAMLNode, _ path: String, become: Bool, timeout: Duration) -> ComposeAction? {
        guard let fields = reader.mapping(node, path) else { return nil }
        reader.checkKeys(fields, allowed: ["file", "service", "project-dir", "remote-file", "command"], in: path)
        func string(_ key: String, required: Bool) -> (String, YAMLNode)? {
            let found = required ? reader.required(key, in: fields, at: node.location, path: path) : fields.last { $0.key == key }?.value
            guard let found, let text = reader.string(found, "\(path).\(key)") else { return nil }
            return (text, found)
        }
        let fileEntry = string("file", required: true)
        let serviceEntry = string("service", required: true)
        let directoryEntry = string("project-dir", required: true)
        let remoteEntry = string("remote-file", required: false)
        let command = string("command", required: false)?.0 ?? "docker compose"
        if let (directory, directoryNode) = directoryEntry {
            reader.checkTemplate(directoryNode, "\(path).project-dir", scopes: targetScopes, keepVersion: false)
            if !directory.hasPrefix("/") && !directory.hasPrefix("{{") {
                reader.error(
                    "`\(path).project-dir` must be an absolute path on the host (got `\(directory)`)",
                    at: directoryNode.location, rule: "compose-project-dir")
            }
        }
        if let (remote, remoteNode) = remoteEntry, remote.isEmpty || remote.contains("/") || remote.hasPrefix(".") {
            reader.error(
                "`\(path).remote-file` is a file name in the project directory, without `/` (got `\(remote)`)",
                at: remoteNode.location, rule: "compose-remote-file")
        }
        guard let (relative, fileNode) = fileEntry, let (service, serviceNode) = serviceEntry, let (directory, _) = directoryEntry
        else { return nil }
        let composeFile = ManifestFile.resolve(relative, nextTo: file)
        let text: String
        switch ManifestFile.read(composeFile, referencedAt: fileNode.location) {
        case .failure(let error):
            reader.diagnostics += error.diagnostics
            return nil
        case .success(let read): text = read
        }
        let (root, parsed) = YAMLParser.parse(text, file: composeFile)
        let errors = parsed.filter { $0.severity == .error }
        reader.diagnostics += errors
        guard errors.isEmpty, let root else { return nil }
        let services = root["services"]?.pairs ?? []
        guard let serviceValue = services.last(where: { $0.key == service })?.value else {
            var message = "`\(path).service`: \(composeFile) has no service `\(service)`"
            if let guess = Suggestion.closest(to: service, among: services.map(\.key)) { message += "; did you mean `\(guess)`?" }
            reader.error(message, at: serviceNode.location, rule: "compose-service")
            return nil
        }
        guard let imageNode = serviceValue["image"], let image = imageNode.scalar?.text, !image.isEmpty else {
            reader.error(
                "service `\(service)` of \(composeFile) has no `image:`; deployer sets that image's tag to the version "
                    + "deployed", at: serviceValue.location, rule: "compose-image")
            return nil
        }
        if image.contains("$") {
            reader.error(
                "the image of `\(service)` is interpolated (`\(image)`); deployer sets the tag itself: write the image "
                    + "literally", at: imageNode.location, rule: "compose-image")
            return nil
        }
        let lines = text.sourceLines
        let line = imageNode.location.line - 1
        guard lines.indices.contains(line),
            ComposeImage.range(of: image, in: String(lines[line]), from: imageNode.location.column) != nil
        else {
            reader.error(
                "the image of `\(service)` is not written on one line as it reads (escapes or folding); write it as "
                    + "a plain or quoted one-line string", at: imageNode.location, rule: "compose-image")
            return nil
        }
        let remote = remoteEntry?.0 ?? (composeFile as NSString).lastPathComponent
        return ComposeAction(
            file: composeFile, service: service, projectDirectory: directory, remoteFile: remote, command: command,
            become: become, timeout: timeout, source: text, image: image, imageLocation: imageNode.location)
    }

    mutating func readAction(_ node: YAMLNode, _ path: String, targets: TargetSource?) -> DeployAction? {
        guard let pairs = reader.mapping(node, path) else { return nil }
        reader.checkKeys(
            pairs, allowed: ["run", "compose", "become", "timeout", "connection", "vmss-model-update", "simulated"], in: path)
        guard
            let kind = reader.exactlyOne(
                of: ["run", "compose", "vmss-model-update", "simulated"], in: pairs, at: node.location, path: path)
        else { return nil }
        func value(_ key: String) -> YAMLNode? { pairs.last { $0.key == key }?.value }
        for pair in pairs where ["become", "timeout", "connection"].contains(pair.key) {
            let applies = kind.key == "run" || (kind.key == "compose" && pair.key != "connection")
            if !applies {
                let scope = pair.key == "connection" ? "`run`" : "`run` and `compose`"
                reader.error(
                    "`\(path).\(pair.key)` only applies to \(scope)" + (kind.key == "compose" ? " (compose runs over SSH)" : ""),
                    at: pair.keyLocation, rule: "unexpected-key")
            }
        }
        switch kind.key {
        case "compose":
            if let targets, case .hosts = targets {} else if targets != nil {
                reader.error(
                    "`\(path).compose` ships a compose file to inventory hosts; it needs `targets.inventory`",
                    at: kind.keyLocation, rule: "incompatible-action")
            }
            let become = value("become").map { reader.bool($0, "\(path).become") } ?? false
            let timeout = value("timeout").map { reader.duration($0, "\(path).timeout") } ?? .seconds(600)
            guard let become, let timeout else { return nil }
            return readCompose(kind.value, "\(path).compose", become: become, timeout: timeout).map { .compose($0) }
        case "run":
            if let targets, case .vmss = targets {
                reader.error(
                    "`\(path).run` runs a command on inventory hosts; a scale set's instances are updated with "
                        + "`deploy.vmss-model-update`" + (path == "prepare" ? ", and have no `prepare` step" : ""),
                    at: kind.keyLocation, rule: "incompatible-action")
            }
            guard let command = reader.string(kind.value, "\(path).run") else { return nil }
            reader.checkTemplate(kind.value, "\(path).run", scopes: targetScopes, keepVersion: true, shell: true)
            reader.checkShellTemplate(kind.value, "\(path).run")
            let become = value("become").map { reader.bool($0, "\(path).become") } ?? false
            let timeout = value("timeout").map { reader.duration($0, "\(path).timeout") } ?? .seconds(600)
            let connection = value("connection").map { reader.choice($0, "\(path).connection", as: RunAction.Connection.self) }
                ?? .ssh
            guard let become, let timeout, let connection else { return nil }
            return .run(RunAction(command: command, become: become, timeout: timeout, connection: connection))
        case "vmss-model-update":
            if let targets, case .vmss = targets {} else if targets != nil {
                reader.error(
                    "`\(path).vmss-model-update` updates scale set instances; it needs `targets.vmss`",
                    at: kind.keyLocation, rule: "incompatible-action")
            }
            guard !kind.value.isNull else { return .vmssModelUpdate(VMSSModelUpdate(forceUpdateExtension: nil)) }
            let sub = "\(path).vmss-model-update"
            guard let fields = reader.mapping(kind.value, sub) else { return nil }
            reader.checkKeys(fields, allowed: ["force-update-extension"], in: sub)
            let ext = fields.last { $0.key == "force-update-extension" }.flatMap { reader.string($0.value, "\(sub).force-update-extension") }
            return .vmssModelUpdate(VMSSModelUpdate(forceUpdateExtension: ext))
        default:
            switch targets {
            case .hosts?:
                reader.error(
                    "`\(path).simulated` updates simulated targets; inventory hosts are updated with `\(path).run` or "
                        + "`\(path).compose`",
                    at: kind.keyLocation, rule: "incompatible-action")
            case .vmss?:
                reader.error(
                    "`\(path).simulated` updates simulated targets; a scale set's instances are updated with "
                        + "`deploy.vmss-model-update`",
                    at: kind.keyLocation, rule: "incompatible-action")
            case .simulated?, nil: break
            }
            let sub = "\(path).simulated"
            guard let fields = reader.mapping(kind.value, sub) else { return nil }
            reader.checkKeys(fields, allowed: ["duration", "failure-rate", "unhealthy-rate"], in: sub)
            func field(_ key: String) -> YAMLNode? { fields.last { $0.key == key }?.value }
            let duration = field("duration").map { reader.duration($0, "\(sub).duration") } ?? .seconds(1)
            let failure = field("failure-rate").map { reader.double($0, "\(sub).failure-rate", range: 0...1) } ?? 0
            let unhealthy = field("unhealthy-rate").map { reader.double($0, "\(sub).unhealthy-rate", range: 0...1) } ?? 0
            guard let duration, let failure, let unhealthy else { return nil }
            return .simulated(SimulatedUpdate(duration: duration, failureRate: failure, unhealthyRate: unhealthy))
        }
    }

    // MARK: Health

    /// The health check when `health:` is not written: the provider's, which inventory hosts lack.
    mutating func defaultHealth(targets: TargetSource?) -> HealthCheckSpec {
        if case .hosts? = targets {
            reader.error(
                "inventory hosts have no provider health signal, and `health:` is not written (its default is "
                    + "`provider`); add `health: {http: \"http://{{ address }}:8000/health\"}` or "
                    + "`health: {load-balancer: true}`",
                at: locations["targets"], rule: "incompatible-health")
        }
        return .provider
    }

    mutating func readHealth(_ node: YAMLNode, loadBalancers: [LoadBalancerSpec], targets: TargetSource?) -> HealthCheckSpec? {
        guard let pairs = reader.mapping(node, "health") else { return nil }
        reader.checkKeys(pairs, allowed: ["http", "expect-status", "load-balancer", "provider"], in: "health")
        guard let kind = reader.exactlyOne(of: ["http", "load-balancer", "provider"], in: pairs, at: node.location, path: "health")
        else { return nil }
        let expect = pairs.last { $0.key == "expect-status" }
        if kind.key != "http", let expect {
            reader.error("`health.expect-status` only applies to `http`", at: expect.keyLocation, rule: "unexpected-key")
        }
        switch (targets, kind.key) {
        case (.hosts?, "provider"):
            reader.error(
                "`health.provider`: inventory hosts have no provider health signal; use `health.http` (a URL per host, "
                    + "e.g. \"http://{{ address }}:8000/health\") or `health.load-balancer: true`",
                at: kind.keyLocation, rule: "incompatible-health")
        case (.vmss?, "http"), (.vmss?, "load-balancer"):
            reader.error(
                "`health.\(kind.key)`: a scale set's health is its instance view; use `health: {provider: true}` "
                    + "(or leave `health:` out)",
                at: kind.keyLocation, rule: "incompatible-health")
        default: break
        }
        switch kind.key {
        case "http":
            guard let url = reader.string(kind.value, "health.http") else { return nil }
            reader.checkTemplate(kind.value, "health.http", scopes: targetScopes, keepVersion: true)
            var status: Int?
            if let expect {
                status = reader.int(expect.value, "health.expect-status", minimum: 100)
                if let value = status, value > 599 {
                    reader.error("`health.expect-status` must be an HTTP status (100…599), not \(value)", at: expect.value.location, rule: "out-of-range")
                }
            }
            return .http(url: url, expectStatus: status)
        case "load-balancer", "provider":
            guard let enabled = reader.bool(kind.value, "health.\(kind.key)") else { return nil }
            guard enabled else {
                reader.error(
                    "`health.\(kind.key): false` turns off the check; choose one of `http`, `load-balancer` or `provider` instead",
                    at: kind.value.location, rule: "wrong-type")
                return nil
            }
            if kind.key == "provider" { return .provider }
            if loadBalancers.isEmpty {
                reader.error(
                    "`health.load-balancer` asks the load balancers, but the environment has none",
                    at: kind.keyLocation, rule: "no-load-balancer")
            }
            return .loadBalancer
        default:
            return nil
        }
    }
}

/// How haproxy.cfg's `stats socket` names an admin socket: an absolute path, `unix@PATH`, or
/// `ipv4@HOST:PORT` / `ipv6@[HOST]:PORT`.
enum AdminSocketText {
    static func isValid(_ socket: String) -> Bool {
        if socket.hasPrefix("/") || socket.hasPrefix("unix@/") { return true }
        if let match = socket.wholeMatch(of: /(?:ipv4|ipv6|tcp|tcp4|tcp6)@(\[[^\]]+\]|[^:\[\]]+):(\d{1,5})/),
            let port = Int(match.output.2), (1...65535).contains(port)
        {
            return true
        }
        return false
    }
}
