import Foundation

/// Services, routes, plugins, upstreams and targets.
extension KongChecker {
    /// "service `svc1`" when the entity has a name (or `key`), else its path ("services[2]").
    static func label(_ noun: String, _ node: YAMLNode, key: String = "name", path: String) -> String {
        if let name = node[key]?.scalar, !name.isNull, !name.text.isEmpty { return "\(noun) `\(name.text)`" }
        return path
    }

    /// Registers an entity's name and id (each unique within its kind) and returns how other
    /// entities' messages and scopes name it. With `requireName`, an entity without name or id is an
    /// error, as decK identifies entities by one of them.
    mutating func identity(
        _ kind: Kind, _ pairs: [YAMLPair], at location: SourceLocation, label: String, nameKey: String = "name",
        requireName: Bool
    ) -> String {
        var name: String?
        var id: String?
        for pair in pairs {
            if pair.key == nameKey, let value = text(pair.value, label, nameKey), !value.isEmpty {
                claim("\(kind.rawValue) \(nameKey)", value, what: "\(kind.rawValue) \(nameKey) `\(value)`", at: pair.value.location)
                define(kind, value, isName: true)
                name = value
            } else if pair.key == "id", let value = text(pair.value, label, "id") {
                claim("\(kind.rawValue) id", value, what: "\(kind.rawValue) id `\(value)`", at: pair.value.location)
                define(kind, value, isName: false)
                id = value
            }
        }
        if requireName, name == nil, id == nil {
            error(
                "\(label) has neither `\(nameKey)` nor `id`; decK needs one of them to identify the \(kind.rawValue)",
                at: location, rule: "kong/missing-field")
        }
        return name ?? id ?? label
    }

    static func hasValue(_ pairs: [YAMLPair], _ key: String) -> Bool {
        guard let value = pairs.last(where: { $0.key == key })?.value else { return false }
        if let items = value.items { return !items.isEmpty }
        if let mapping = value.pairs { return !mapping.isEmpty }
        return !value.isNull
    }

    // MARK: Services

    mutating func checkService(_ node: YAMLNode, path: String) {
        let label = Self.label("service", node, path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.service, schema: "service") else { return }
        let scope = identity(.service, pairs, at: node.location, label: label, requireName: true)
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "url": checkURL(value, label)
            case "protocol": choice(value, label, "protocol", KongSchema.serviceProtocols)
            case "host":
                if let host = text(value, label, "host"), !Self.isHostName(host) {
                    error(
                        "\(label): `host` must be a host name or IP address, not `\(host)`"
                            + (host.contains("/") || host.contains(":") ? "; put a full address in `url` instead" : ""),
                        at: value.location, rule: "kong/invalid-value")
                }
            case "port": integer(value, label, "port", 1...65535)
            case "path":
                if let text = text(value, label, "path"), !text.hasPrefix("/") {
                    error("\(label): `path` must start with `/`, not `\(text)`", at: value.location, rule: "kong/invalid-value")
                }
            case "retries": integer(value, label, "retries", 0...32767)
            case "connect_timeout", "write_timeout", "read_timeout": integer(value, label, pair.key, 1...2_147_483_646)
            case "tls_verify", "enabled": boolean(value, label, pair.key)
            case "tls_verify_depth": integer(value, label, "tls_verify_depth", 0...64)
            case "client_certificate": refer(.certificate, value, owner: label, field: "client_certificate")
            case "ca_certificates":
                for item in list(value, label, "ca_certificates") {
                    refer(.caCertificate, item, owner: label, field: "ca_certificates")
                }
            case "tags": tags(value, label)
            case "routes":
                for (index, route) in list(value, label, "routes").enumerated() {
                    checkRoute(route, path: "routes[\(index)] of \(label)", service: scope)
                }
            case "plugins":
                for (index, plugin) in list(value, label, "plugins").enumerated() {
                    checkPlugin(plugin, path: "plugins[\(index)] of \(label)", scope: ["service": scope])
                }
            default: break
            }
        }
        if pairs.contains(where: { $0.key == "url" }) {
            for pair in pairs where ["protocol", "host", "port", "path"].contains(pair.key) {
                error(
                    "\(label) sets both `url` and `\(pair.key)`; `url` already gives protocol, host, port and path, "
                        + "so keep one form: remove `\(pair.key)` or drop `url`",
                    at: pair.keyLocation, rule: "kong/url-conflict")
            }
        } else if !Self.hasValue(pairs, "host") {
            error(
                "\(label) has no upstream: set `url` (e.g. `http://backend:8080`), or `host` with optional `protocol`, "
                    + "`port` and `path`",
                at: node.location, rule: "kong/missing-field")
        }
    }

    /// A service `url`: `scheme://host[:port][/path]` with a scheme Kong speaks.
    mutating func checkURL(_ node: YAMLNode, _ label: String) {
        guard let url = text(node, label, "url") else { return }
        guard let separator = url.range(of: "://") else {
            error(
                "\(label): `url` must be a full URL such as `http://backend:8080/api`, not `\(url)`", at: node.location,
                rule: "kong/invalid-value")
            return
        }
        let scheme = String(url[..<separator.lowerBound]).lowercased()
        if !KongSchema.serviceProtocols.contains(scheme) {
            var message = "\(label): `url` scheme `\(scheme)` is not a protocol Kong speaks ("
                + KongSchema.serviceProtocols.joined(separator: ", ") + ")"
            if let guess = Suggestion.closest(to: scheme, among: KongSchema.serviceProtocols) { message += "; did you mean `\(guess)`?" }
            error(message, at: node.location, rule: "kong/invalid-value")
        }
        let rest = url[separator.upperBound...]
        let authority = String(rest.prefix { $0 != "/" && $0 != "?" })
        var host = authority
        var port: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = authority[authority.index(after: colon)...]
        }
        if host.isEmpty || !(Self.isHostName(host) || authority.hasPrefix("[")) {
            error("\(label): `url` has no valid host in `\(url)`", at: node.location, rule: "kong/invalid-value")
        }
        if let port, !(Int(port).map { (1...65535).contains($0) } ?? false) {
            error("\(label): the port in `url` must be between 1 and 65535, not `\(port)`", at: node.location, rule: "kong/invalid-value")
        }
    }

    /// A host name (letters, digits, `-`, `_`, dot-separated) or an IPv4 address.
    static func isHostName(_ text: String) -> Bool {
        guard !text.isEmpty, text.count <= 253 else { return false }
        if text.wholeMatch(of: /[0-9.]+/) != nil { return isIPv4(text) }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            label.wholeMatch(of: /[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?/) != nil
        }
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            part.count <= 3 && !part.isEmpty && part.allSatisfy(\.isASCII) && (Int(part).map { $0 <= 255 } ?? false)
        }
    }

    // MARK: Routes

    mutating func checkRoute(_ node: YAMLNode, path: String, service: String?) {
        let label = Self.label("route", node, path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.route, schema: "route") else { return }
        let scope = identity(.route, pairs, at: node.location, label: label, requireName: true)
        var match = RouteMatch(label: label, paths: [], hosts: [], methods: [], headers: "", protocols: ["http", "https"])
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "protocols":
                var protocols: Set<String> = []
                for item in list(value, label, "protocols") {
                    if let name = choice(item, label, "protocols", KongSchema.routeProtocols) { protocols.insert(name) }
                }
                if !protocols.isEmpty { match.protocols = protocols }
            case "methods":
                for (method, location) in strings(value, label, "methods") where checkMethod(method, label, at: location) {
                    match.methods.append(method)
                }
            case "hosts":
                for (host, location) in strings(value, label, "hosts") {
                    checkRouteHost(host, label, at: location)
                    match.hosts.append(host.lowercased())
                }
            case "paths":
                for (text, location) in strings(value, label, "paths") {
                    if text.hasPrefix("/") || text.hasPrefix("~") {
                        match.paths.append((text, location))
                    } else {
                        error(
                            "\(label): path `\(text)` must start with `/` (or `~` for a regular expression); write `/\(text)`",
                            at: location, rule: "kong/invalid-value")
                    }
                }
            case "headers": match.headers = checkHeaders(value, label)
            case "snis": _ = strings(value, label, "snis")
            case "sources", "destinations":
                for item in list(value, label, pair.key) {
                    guard let endpoint = entity(item, "\(label) \(pair.key)", allowed: ["ip", "port"], schema: "route") else { continue }
                    for field in endpoint where field.key == "port" { integer(field.value, label, "\(pair.key).port", 0...65535) }
                }
            case "https_redirect_status_code":
                if let code = integer(value, label, pair.key, 100...599), !KongSchema.redirectCodes.contains(code) {
                    error(
                        "\(label): `https_redirect_status_code` must be one of 426, 301, 302, 307, 308, not \(code)",
                        at: value.location, rule: "kong/invalid-value")
                }
            case "regex_priority", "priority": integer(value, label, pair.key, Int.min...Int.max)
            case "path_handling": choice(value, label, "path_handling", KongSchema.pathHandling)
            case "strip_path", "preserve_host", "request_buffering", "response_buffering": boolean(value, label, pair.key)
            case "expression": _ = text(value, label, "expression")
            case "service" where service == nil: refer(.service, value, owner: label, field: "service")
            case "plugins":
                for (index, plugin) in list(value, label, "plugins").enumerated() {
                    checkPlugin(plugin, path: "plugins[\(index)] of \(label)", scope: ["route": scope])
                }
            case "tags": tags(value, label)
            default: break
            }
        }
        checkMatching(pairs, match.protocols, label, at: node.location)
        if !match.paths.isEmpty { routes.append(match) }
    }

    /// Kong refuses a route that matches on nothing its protocols can see.
    mutating func checkMatching(_ pairs: [YAMLPair], _ protocols: Set<String>, _ label: String, at location: SourceLocation) {
        guard !Self.hasValue(pairs, "expression") else { return }
        var fields: [String] = []
        if !protocols.isDisjoint(with: ["http", "https", "grpc", "grpcs", "ws", "wss"]) {
            fields += ["methods", "hosts", "headers", "paths"]
        }
        if !protocols.isDisjoint(with: ["https", "grpcs", "wss", "tls", "tls_passthrough"]) { fields.append("snis") }
        if !protocols.isDisjoint(with: ["tcp", "tls", "udp"]) { fields += ["sources", "destinations"] }
        guard !fields.contains(where: { Self.hasValue(pairs, $0) }) else { return }
        error(
            "\(label) matches no request: for protocols \(protocols.sorted().joined(separator: ", ")) Kong requires at "
                + "least one of " + fields.map { "`\($0)`" }.joined(separator: ", ")
                + (fields.contains("paths") ? "; add e.g. `paths: [/…]`" : ""),
            at: location, rule: "kong/route-matching")
    }

    /// Whether `method` is one Kong accepts; reports it otherwise. Kong takes any upper-case token
    /// (custom methods such as `PURGE` exist), so only lower case and near misses are errors.
    mutating func checkMethod(_ method: String, _ label: String, at location: SourceLocation) -> Bool {
        if KongSchema.httpMethods.contains(method) { return true }
        if method.wholeMatch(of: /[A-Z]+/) == nil {
            let fix = method.uppercased()
            error(
                "\(label): method `\(method)` must be written in upper case"
                    + (fix.wholeMatch(of: /[A-Z]+/) != nil ? "; write `\(fix)`" : ""),
                at: location, rule: "kong/invalid-value")
            return false
        }
        // A transposition (`POTS`) counts as one typo here; `PURGE` and other custom methods pass.
        let letters = Array(method)
        if let guess = KongSchema.httpMethods.first(where: {
            $0.count >= 3 && (Array($0).sorted() == letters.sorted() || Suggestion.editDistance(Array($0), letters) == 1)
        }) {
            error("\(label): `\(method)` is not an HTTP method; did you mean `\(guess)`?", at: location, rule: "kong/invalid-value")
            return false
        }
        return true
    }

    /// A route host: a host name, optionally with a port, with at most one `*` at its start or end.
    mutating func checkRouteHost(_ host: String, _ label: String, at location: SourceLocation) {
        var name = Substring(host)
        if let colon = name.lastIndex(of: ":"), name[name.index(after: colon)...].allSatisfy(\.isNumber) {
            name = name[..<colon]
        }
        if name.hasPrefix("*.") {
            name = name.dropFirst(2)
        } else if name.hasSuffix(".*") {
            name = name.dropLast(2)
        }
        guard !Self.isHostName(String(name)) else { return }
        let hint = host.contains("/") ? "; write the host name only, without scheme or path" : "; a wildcard `*` may only start or end it"
        error("\(label): `\(host)` in `hosts` is not a host name\(hint)", at: location, rule: "kong/invalid-value")
    }

    /// Route `headers`: a mapping of header names to a value or a list of values. Returns a
    /// canonical text for comparing routes.
    mutating func checkHeaders(_ node: YAMLNode, _ label: String) -> String {
        guard !node.isNull else { return "" }
        guard let pairs = node.pairs else {
            error("\(label): `headers` must be a mapping of header names to values, not \(node.kindDescription)", at: node.location, rule: "kong/wrong-type")
            return ""
        }
        var canonical: [String] = []
        for pair in pairs {
            if pair.key.lowercased() == "host" {
                error("\(label): match the `Host` header with `hosts`, not `headers`", at: pair.keyLocation, rule: "kong/invalid-value")
            }
            let values = pair.value.items != nil ? strings(pair.value, label, "headers.\(pair.key)").map(\.text)
                : [text(pair.value, label, "headers.\(pair.key)") ?? ""]
            canonical.append(pair.key.lowercased() + "=" + values.sorted().joined(separator: ","))
        }
        return canonical.sorted().joined(separator: ";")
    }
}
