import Foundation

/// The inventory lints that go beyond what Ansible checks: host names YAML reads as numbers,
/// references to groups defined nowhere, secrets in plain text, addresses, and the platform's
/// conventions for load balancers and web hosts.
extension InventoryLoader.Builder {
    /// A host written as a plain `1234`, `1.5`, `true` or `0755`: YAML (and Ansible's YAML 1.1 reader
    /// even more so) turns it into a number or boolean, and Ansible refuses it.
    /// A host and a group of one name: Ansible warns ("Found both group and host with same name") and a
    /// pattern naming it means both.
    mutating func checkHostGroupClashes() {
        for (name, hostLocation) in hostLocations.sorted(by: { $0.value < $1.value }) {
            guard let groupLocation = groups[name]?.location else { continue }
            let (at, other) = hostLocation > groupLocation ? (hostLocation, groupLocation) : (groupLocation, hostLocation)
            reader.warning(
                "`\(name)` is both a host and a group (the other at \(other.shortDescription)); Ansible warns, and a play "
                    + "for `\(name)` runs on the group's hosts and the host alike; rename one", at: at, rule: "inventory/host-group-clash")
        }
    }

    mutating func checkHostName(_ host: String, at location: SourceLocation) {
        guard !isQuoted(at: location) else { return }
        let scalar = YAMLScalar(text: host, isPlain: true, tag: nil)
        let reading: String?
        if scalar.bool != nil {
            reading = "a boolean by YAML"
        } else if scalar.double != nil {
            reading = "a number by YAML"
        } else {
            reading = scalar.yaml11Reading.map { "\($0) by Ansible's YAML 1.1 reader" }
        }
        guard let reading else { return }
        reader.error(
            "host `\(host)` is read as \(reading), and Ansible wants host names as strings "
                + "(\"Host pattern must be a string\"); quote it: \"\(host)\"",
            at: location, rule: "inventory/host-name")
    }

    /// Whether the key written at `location` starts with a quote.
    func isQuoted(at location: SourceLocation) -> Bool {
        guard location.line >= 1, location.line <= lines.count else { return false }
        let scalars = Array(lines[location.line - 1].unicodeScalars)
        guard location.column >= 1, location.column <= scalars.count else { return false }
        return scalars[location.column - 1] == "\"" || scalars[location.column - 1] == "'"
    }

    /// `all` is every host's group and cannot be anyone's child; `ungrouped` belongs under `all` only.
    mutating func checkChildName(_ child: String, parent: String, at location: SourceLocation) {
        guard child == "all" || (child == "ungrouped" && parent != "all") else { return }
        reader.warning(
            "`\(child)` is listed as a child of group `\(parent)`, but Ansible manages `\(child)` itself "
                + (child == "all" ? "(every host is in it)" : "(hosts in no other group)") + "; remove it from `children`",
            at: location, rule: "inventory/reserved-child")
    }

    /// Secrets written literally, and `ansible_host` values that are no address.
    mutating func checkVariable(_ pair: YAMLPair, owner: String) {
        guard let scalar = pair.value.scalar, !scalar.isNull, scalar.bool == nil else { return }
        let templated = scalar.text.contains("{{") || scalar.text.contains("{%")
        if Self.isSecretName(pair.key), !templated, scalar.tag != "!vault", !scalar.text.isEmpty {
            reader.warning(
                "`\(pair.key)` of \(owner) is a secret written in plain text; encrypt it with "
                    + "`ansible-vault encrypt_string` (a `!vault` value) or look it up (`{{ lookup(…) }}`)",
                at: pair.value.location, rule: "inventory/plaintext-secret")
        }
        if pair.key == "ansible_host", !templated, !Self.isAddress(scalar.text) {
            reader.error(
                "`ansible_host` of \(owner) must be an IP address or a host name, not `\(scalar.text)`"
                    + (scalar.text.contains("://") || scalar.text.contains("/") ? "; write the address only" : ""),
                at: pair.value.location, rule: "inventory/ansible-host")
        }
    }

    /// Names that hold secrets: `*password`, `*passwd`, `*_pass`, `*secret`, `*token`, `*_key`, `api_key`.
    static func isSecretName(_ name: String) -> Bool {
        let lower = name.lowercased()
        if ["password", "passwd", "pass", "secret", "token", "key", "apikey"].contains(lower) { return true }
        return ["password", "passwd", "_pass", "_pwd", "secret", "token", "_key", "apikey"].contains { lower.hasSuffix($0) }
    }

    static func isAddress(_ text: String) -> Bool {
        if text.contains(":") { return isIPv6(text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text) }
        if text.wholeMatch(of: /[0-9.]+/) != nil { return isIPv4(Substring(text)) }
        guard !text.isEmpty, text.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            label.wholeMatch(of: /[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?/) != nil
        }
    }

    static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && (Int(part).map { $0 <= 255 } ?? false)
        }
    }

    static func isIPv6(_ address: String) -> Bool {
        var text = address
        if let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].contains(".") {
            guard isIPv4(text[text.index(after: colon)...]) else { return false }
            text = String(text[...colon]) + "0:0"  // the embedded IPv4 address counts as two groups
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        let groups = halves.flatMap { $0.isEmpty ? [] : $0.split(separator: ":", omittingEmptySubsequences: false) }
        guard groups.allSatisfy({ (1...4).contains($0.count) && $0.allSatisfy(\.isHexDigit) }) else { return false }
        return halves.count == 2 ? groups.count < 8 : groups.count == 8
    }

    /// Groups listed under `children:` with nothing in them and defined nowhere else: Ansible
    /// silently creates them empty, which is usually a misspelt name.
    mutating func checkReferences() {
        var reported = Set<String>()
        for (name, location) in emptyChildren where !definedGroups.contains(name) && reported.insert(name).inserted {
            var message = "group `\(name)` is listed under `children` but defined nowhere and has no hosts; "
                + "Ansible creates it empty"
            let candidates = groupOrder.filter { definedGroups.contains($0) && $0 != name && $0 != "all" }
            if let guess = Suggestion.closest(to: name, among: candidates) {
                message += "; did you mean `\(guess)`?"
            }
            reader.warning(message, at: location, rule: "inventory/undefined-child")
        }
    }

    /// Two hosts that connect to the same address and port are probably one machine listed twice.
    /// Loopback addresses and local connections are left out (labs run several hosts there).
    mutating func checkAddresses(_ inventory: Inventory) {
        var first: [String: String] = [:]
        for host in inventory.hosts {
            guard let address = host.vars["ansible_host"], !address.contains("{{"),
                host.vars["ansible_connection"] != "local"
            else { continue }
            let lower = address.lowercased()
            if lower == "localhost" || lower == "::1" || lower.hasPrefix("127.") { continue }
            let key = lower + " " + (host.vars["ansible_port"] ?? "22")
            guard let earlier = first[key] else {
                first[key] = host.name
                continue
            }
            reader.warning(
                "host `\(host.name)` connects to \(address) like host `\(earlier)` does; if they are one machine, "
                    + "list it once (in several groups if needed)",
                at: varSources[host.name]?["ansible_host"] ?? host.location, rule: "inventory/duplicate-address")
        }
    }

    /// The platform's rules: every load balancer has an admin socket (an absolute path or ipv4@HOST:PORT); every web host
    /// has an HAProxy server name, unique across the group.
    mutating func checkConventions(_ inventory: Inventory, _ conventions: InventoryConventions) {
        for host in inventory.hosts(inGroup: conventions.loadBalancerGroup) {
            let variable = conventions.socketVariable
            guard let path = host.vars[variable], !path.isEmpty else {
                reader.error(
                    "load balancer `\(host.name)` (group `\(conventions.loadBalancerGroup)`) has no `\(variable)`; the "
                        + "deploy reaches HAProxy's admin socket through it: set it to an absolute path such as "
                        + "/run/haproxy/admin.sock",
                    at: host.location, rule: "inventory/lb-socket")
                continue
            }
            if !AdminSocketText.isValid(path), !path.contains("{{") {
                reader.error(
                    "`\(variable)` of load balancer `\(host.name)` must be HAProxy's admin socket: an absolute path "
                        + "(/run/haproxy/admin.sock) or ipv4@HOST:PORT, as in haproxy.cfg's `stats socket`; not `\(path)`",
                    at: varSources[host.name]?[variable] ?? host.location, rule: "inventory/lb-socket")
            }
        }
        var named: [String: String] = [:]
        for host in inventory.hosts(inGroup: conventions.webGroup) {
            let variable = conventions.serverNameVariable
            guard let name = host.vars[variable], !name.isEmpty else {
                reader.error(
                    "web host `\(host.name)` (group `\(conventions.webGroup)`) has no `\(variable)`; the deploy "
                        + "disables it in HAProxy by that server name: set it to the name haproxy.cfg gives the server",
                    at: host.location, rule: "inventory/server-name")
                continue
            }
            let location = varSources[host.name]?[variable] ?? host.location
            if name.contains("{{") { continue }
            if name.wholeMatch(of: /[A-Za-z0-9_.:-]+/) == nil {
                reader.error(
                    "`\(variable)` of web host `\(host.name)` is `\(name)`, which is no HAProxy server name "
                        + "(letters, digits, `-`, `_`, `.`, `:`)",
                    at: location, rule: "inventory/server-name")
            } else if let earlier = named[name] {
                reader.error(
                    "web hosts `\(earlier)` and `\(host.name)` have the same `\(variable)` `\(name)`; HAProxy would "
                        + "disable one server for both during a deploy, so give each its own",
                    at: location, rule: "inventory/server-name")
            } else {
                named[name] = host.name
            }
        }
    }
}
