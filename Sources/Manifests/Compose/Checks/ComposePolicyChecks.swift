/// Policy: images pinned to a tag or digest, and no secrets written in plain text in `environment`.
extension ComposeCheckContext {
    mutating func checkImages() {
        for service in services {
            guard let node = service.value["image"], let image = text(node), !image.isEmpty else { continue }
            guard let reason = Self.unpinnedReason(image) else { continue }
            warning(
                "service `\(service.key)` runs image `\(image)` \(reason): each pull may bring a different image; pin a version tag or a digest (`@sha256:…`)",
                at: node.location, rule: "compose/image-pinning")
        }
    }

    /// Why an image reference is not pinned, or nil when it names a tag other than `latest` or a digest.
    static func unpinnedReason(_ image: String) -> String? {
        if image.contains("@") { return nil }
        let lastSlash = image.lastIndex(of: "/")
        let name = lastSlash.map { image[image.index(after: $0)...] } ?? image[...]
        guard let colon = name.lastIndex(of: ":") else { return "without a tag (that is `latest`)" }
        let tag = name[name.index(after: colon)...]
        if tag.isEmpty { return "with an empty tag" }
        return tag == "latest" ? "with the `latest` tag" : nil
    }

    mutating func checkPlaintextSecrets() {
        for service in services {
            guard let environment = service.value["environment"] else { continue }
            if let pairs = environment.pairs {
                for pair in pairs {
                    guard let kind = Self.secretKind(pair.key), let scalar = pair.value.scalar, Self.isLiteralSecret(scalar),
                        !isInterpolated(pair.value)
                    else { continue }
                    reportPlaintext(pair.key, kind: kind, service: service.key, at: pair.value.location)
                }
            }
            for item in environment.items ?? [] {
                guard let scalar = item.scalar, !isInterpolated(item), let equals = scalar.text.firstIndex(of: "=") else { continue }
                let name = String(scalar.text[..<equals])
                let value = YAMLScalar(text: String(scalar.text[scalar.text.index(after: equals)...]), isPlain: true, tag: nil)
                guard let kind = Self.secretKind(name), Self.isLiteralSecret(value) else { continue }
                reportPlaintext(name, kind: kind, service: service.key, at: item.location)
            }
        }
    }

    private mutating func reportPlaintext(_ name: String, kind: String, service: String, at location: SourceLocation) {
        warning(
            "service `\(service)` sets `\(name)` to \(kind) in plain text; anyone who reads the file has it: "
                + "move it to `secrets:` (and point `\(name)_FILE` at `/run/secrets/…` when the image reads one), "
                + "or take it from a variable (`\(name): ${\(name)}`)",
            at: location, rule: "compose/plaintext-secret")
    }

    /// A literal worth protecting: not empty, not a boolean, not a reference to a file.
    private static func isLiteralSecret(_ scalar: YAMLScalar) -> Bool {
        let text = scalar.text
        if scalar.isNull || text.isEmpty { return false }
        if ["true", "false", "yes", "no"].contains(text.lowercased()) { return false }
        return !text.hasPrefix("/run/secrets/")
    }

    /// "a password", "a token", … when a variable name says it holds a secret; nil otherwise.
    /// Names that describe a secret without holding one: its file, its length, its lifetime…
    static let describingSecrets: Set<String> = [
        "FILE", "PATH", "DIR", "FILENAME", "LENGTH", "LEN", "ENABLED", "ENABLE", "REQUIRED", "URL", "URI", "HOST", "PORT",
        "NAME", "TTL", "EXPIRY", "EXPIRE", "EXPIRES", "EXPIRATION", "TIMEOUT", "LIFETIME", "ALGORITHM", "ALG", "TYPE",
        "MODE", "POLICY", "HEADER", "ID", "USER", "USERNAME", "LOCATION", "METHOD", "COMPLEXITY", "PROVIDER", "ROTATION",
        "DAYS", "HOURS", "MINUTES", "SECONDS", "SIZE", "BITS", "PREFIX", "FORMAT", "VERSION", "MIN", "MAX",
    ]

    static func secretKind(_ name: String) -> String? {
        let upper = name.uppercased()
        let words = upper.split(whereSeparator: { $0 == "_" || $0 == "." || $0 == "-" }).map(String.init)
        guard let last = words.last else { return nil }
        if Self.describingSecrets.contains(last) { return nil }
        if last.hasSuffix("PASSWORD") || upper.contains("PASSWD") || last == "PASS" || last == "PWD" { return "a password" }
        if upper.contains("PRIVATE_KEY") || upper.contains("PRIVATEKEY") { return "a private key" }
        if upper.contains("API_KEY") || upper.contains("APIKEY") || upper.contains("ACCESS_KEY") { return "an API key" }
        if last == "TOKEN" || last.hasSuffix("TOKEN") { return "a token" }
        if words.contains(where: { $0 == "SECRET" || $0 == "SECRETS" }) || last.hasSuffix("SECRET") { return "a secret" }
        if last == "CREDENTIALS" || last == "CREDENTIAL" { return "credentials" }
        return nil
    }
}
