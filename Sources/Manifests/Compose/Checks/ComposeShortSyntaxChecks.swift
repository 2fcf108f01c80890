/// The short forms compose-go parses itself, and refuses when they cannot be read: a volume
/// `SOURCE:TARGET[:MODE]` (`format.ParseVolume`), an `extra_hosts` entry `host=ip` or `host:ip`
/// (`types.HostsList`), and a `KEY=VALUE` of `environment` or `build.args` (`types.MappingWithEquals`).
extension ComposeCheckContext {
    mutating func checkShortSyntax() {
        for service in services {
            let name = service.key
            for item in service.value["volumes"]?.items ?? [] {
                guard item.scalar != nil, let spec = text(item), let problem = Self.volumeSpecProblem(spec) else { continue }
                error(
                    "service `\(name)`: volume `\(spec)` cannot be read: \(problem); write `SOURCE:TARGET[:MODE]`, or the long syntax",
                    at: item.location, rule: "compose/invalid-value")
            }
            checkExtraHosts(of: name, service.value["extra_hosts"])
            for (key, node) in [("environment", service.value["environment"]), ("build.args", service.value["build"]?["args"])] {
                for item in node?.items ?? [] {
                    guard let entry = text(item) else { continue }
                    let variable = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
                    guard let last = variable.last, last.isWhitespace else { continue }
                    error(
                        "service `\(name)`: `\(key)` entry `\(entry)` names its variable with a trailing space (`\(variable)`), which compose "
                            + "refuses; write `\(String(variable.reversed().drop(while: \.isWhitespace).reversed()))=…`", at: item.location, rule: "compose/invalid-value")
                }
            }
        }
    }

    /// Why compose cannot read a short volume spec, or nil: empty, an empty part between colons, or
    /// more parts than source, target and mode. A Windows drive's colon (`C:\data`) and `${…}` are not separators.
    static func volumeSpecProblem(_ spec: String) -> String? {
        guard !spec.isEmpty else { return "it is empty" }
        guard spec.count > 2 else { return nil }
        var parts: [String] = []
        var buffer = ""
        var substitution = 0
        let characters = Array(spec)
        for (index, character) in characters.enumerated() {
            if character == "$", index + 1 < characters.count, characters[index + 1] == "{" {
                substitution += 1
            } else if character == "}", substitution > 0 {
                substitution -= 1
            } else if character == ":", substitution == 0, !(buffer.count == 1 && buffer.first!.isLetter) {
                parts.append(buffer)
                buffer = ""
                continue
            }
            buffer.append(character)
        }
        parts.append(buffer)
        if parts.contains(where: \.isEmpty) { return "a part between colons is empty" }
        if parts.count > 3 { return "too many colons (\(parts.count) parts; at most source, target and mode)" }
        return nil
    }

    private mutating func checkExtraHosts(of name: String, _ node: YAMLNode?) {
        func badName(_ host: String, _ location: SourceLocation) {
            error(
                "service `\(name)`: extra host name `\(host)` is \(host.isEmpty ? "empty" : "not a host name (it holds `:` or `=`)"), which compose refuses",
                at: location, rule: "compose/invalid-value")
        }
        for pair in node?.pairs ?? [] where pair.key.isEmpty || pair.key.contains(where: { $0 == ":" || $0 == "=" }) {
            badName(pair.key, pair.keyLocation)
        }
        for item in node?.items ?? [] {
            guard let entry = text(item) else { continue }
            guard let separator = entry.firstIndex(of: "=") ?? entry.firstIndex(of: ":") else {
                error(
                    "service `\(name)`: extra host `\(entry)` has no address; write `\(entry)=IP` (or `\(entry):IP`)",
                    at: item.location, rule: "compose/invalid-value")
                continue
            }
            let host = String(entry[..<separator])
            if host.isEmpty || host.contains(where: { $0 == ":" || $0 == "=" }) { badName(host, item.location) }
        }
    }
}
