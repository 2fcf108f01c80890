/// Consumers, consumer groups, credentials, certificates, SNIs, CA certificates and vaults.
extension KongChecker {
    /// Vault backends Kong ships, usable in `{vault://…}` references without a `vaults` entity.
    static let builtInVaults = ["env", "aws", "gcp", "hcv", "azure", "conjur", "konnect"]

    mutating func checkConsumer(_ node: YAMLNode, path: String) {
        var label = Self.label("consumer", node, key: "username", path: path)
        if label == path { label = Self.label("consumer", node, key: "custom_id", path: path) }
        guard let pairs = entity(node, label, allowed: KongSchema.consumer, schema: "consumer") else { return }
        let scope = identity(.consumer, pairs, at: node.location, label: label, nameKey: "username", requireName: false)
        if let customID = pairs.last(where: { $0.key == "custom_id" })?.value, let text = text(customID, label, "custom_id") {
            claim("consumer custom_id", text, what: "consumer custom_id `\(text)`", at: customID.location)
            define(.consumer, text, isName: false)
        }
        if !Self.hasValue(pairs, "username"), !Self.hasValue(pairs, "custom_id") {
            error(
                "\(label) has neither `username` nor `custom_id`; Kong requires at least one of them",
                at: node.location, rule: "kong/missing-field")
        }
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "groups":
                for group in list(value, label, "groups") { refer(.consumerGroup, group, owner: label, field: "groups") }
            case "plugins":
                for (index, plugin) in list(value, label, "plugins").enumerated() {
                    checkPlugin(plugin, path: "plugins[\(index)] of \(label)", scope: ["consumer": scope])
                }
            case "tags": tags(value, label)
            default:
                guard let credential = KongSchema.credentials.first(where: { $0.key == pair.key }) else { continue }
                for (index, item) in list(value, label, pair.key).enumerated() {
                    checkCredential(item, credential, label: "\(pair.key)[\(index)] of \(label)", consumer: scope)
                }
            }
        }
    }

    /// A credential, nested in its consumer or (with a `consumer` field) at the top level.
    mutating func checkCredential(_ node: YAMLNode, _ credential: KongSchema.Credential, label: String, consumer: String?) {
        guard let pairs = entity(node, label, allowed: credential.fields, schema: credential.key) else { return }
        for field in credential.required where !Self.hasValue(pairs, field) {
            error("\(label) has no `\(field)`, which Kong requires", at: node.location, rule: "kong/missing-field")
        }
        if consumer == nil {
            if let value = pairs.last(where: { $0.key == "consumer" })?.value {
                refer(.consumer, value, owner: label, field: "consumer")
            } else {
                error("\(label) has no `consumer`; say which consumer it belongs to", at: node.location, rule: "kong/missing-field")
            }
        }
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "algorithm": choice(value, label, "algorithm", KongSchema.jwtAlgorithms)
            case "ttl": integer(value, label, "ttl", 0...100_000_000)
            case "hash_secret": boolean(value, label, "hash_secret")
            case "redirect_uris": _ = strings(value, label, "redirect_uris")
            case "tags": tags(value, label)
            case "id":
                if let id = text(value, label, "id") { claim("\(credential.key) id", id, what: "\(credential.key) id `\(id)`", at: value.location) }
            default: break
            }
            if pair.key == credential.secret {
                checkSecret(value, label, field: pair.key, description: credential.secretDescription)
            }
            if pair.key == credential.unique, let scalar = value.scalar, !scalar.isNull, !Self.isInjected(scalar.text) {
                let what = pair.key == credential.secret
                    ? "`\(pair.key)` of \(credential.key) (the value is not shown)" : "\(credential.key) \(pair.key) `\(scalar.text)`"
                claim("\(credential.key) \(pair.key)", scalar.text, what: what, at: value.location)
            }
        }
    }

    /// A secret written into the config: a warning unless it comes from a vault or a decK variable.
    /// The value itself is never printed.
    mutating func checkSecret(_ node: YAMLNode, _ label: String, field: String, description: String) {
        guard let scalar = node.scalar, !scalar.isNull, !scalar.text.isEmpty else { return }
        if scalar.text.hasPrefix("{vault://") {
            let prefix = String(scalar.text.dropFirst("{vault://".count).prefix { $0 != "/" && $0 != "}" })
            references.append(Reference(kind: .vault, value: prefix, location: node.location, owner: "\(label) `\(field)`"))
            return
        }
        guard !Self.isInjected(scalar.text) else { return }
        warning(
            "\(label): `\(field)` is \(description) written in plain text; reference it from a vault "
                + "(`{vault://env/…}`) or inject it with decK (`${{ env \"DECK_…\" }}`) so it stays out of the repository",
            at: node.location, rule: "kong/plaintext-credential")
    }

    mutating func checkConsumerGroup(_ node: YAMLNode, path: String) {
        let label = Self.label("consumer group", node, path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.consumerGroup, schema: "consumer group") else { return }
        if !Self.hasValue(pairs, "name") {
            error("\(label) has no `name`, which Kong requires", at: node.location, rule: "kong/missing-field")
        }
        let scope = identity(.consumerGroup, pairs, at: node.location, label: label, requireName: false)
        for pair in pairs {
            switch pair.key {
            case "consumers":
                for consumer in list(pair.value, label, "consumers") {
                    refer(.consumer, consumer, owner: label, field: "consumers")
                }
            case "plugins":
                for (index, plugin) in list(pair.value, label, "plugins").enumerated() {
                    checkPlugin(plugin, path: "plugins[\(index)] of \(label)", scope: ["consumer_group": scope])
                }
            case "tags": tags(pair.value, label)
            default: break
            }
        }
    }

    // MARK: Certificates and vaults

    mutating func checkCertificate(_ node: YAMLNode, path: String) {
        let label = Self.label("certificate", node, key: "id", path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.certificate, schema: "certificate") else { return }
        let scope = identity(.certificate, pairs, at: node.location, label: label, requireName: false)
        for field in ["cert", "key"] where !Self.hasValue(pairs, field) {
            error("\(label) has no `\(field)`, which Kong requires", at: node.location, rule: "kong/missing-field")
        }
        for pair in pairs {
            let value = pair.value
            switch pair.key {
            case "cert", "cert_alt": checkPEM(value, label, field: pair.key, marker: "CERTIFICATE-----")
            case "key", "key_alt":
                checkPEM(value, label, field: pair.key, marker: "PRIVATE KEY-----")
                checkSecret(value, label, field: pair.key, description: "a TLS private key")
            case "snis":
                for (index, sni) in list(value, label, "snis").enumerated() {
                    checkSNI(sni, path: "snis[\(index)] of \(label)", certificate: scope)
                }
            case "tags": tags(value, label)
            default: break
            }
        }
    }

    /// An SNI: a bare name inside its certificate, or a mapping (with `certificate` at the top level).
    mutating func checkSNI(_ node: YAMLNode, path: String, certificate: String?) {
        if certificate != nil, let scalar = node.scalar {
            if !scalar.isNull { claimSNI(scalar.text, at: node.location, label: path) }
            return
        }
        let label = Self.label("SNI", node, path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.sni, schema: "SNI") else { return }
        if let name = pairs.last(where: { $0.key == "name" })?.value, let text = text(name, label, "name") {
            claimSNI(text, at: name.location, label: label)
        } else {
            error("\(label) has no `name`, the server name it serves", at: node.location, rule: "kong/missing-field")
        }
        for pair in pairs {
            switch pair.key {
            case "certificate" where certificate == nil: refer(.certificate, pair.value, owner: label, field: "certificate")
            case "tags": tags(pair.value, label)
            default: break
            }
        }
        if certificate == nil, !Self.hasValue(pairs, "certificate") {
            error("\(label) has no `certificate`; say which certificate it serves", at: node.location, rule: "kong/missing-field")
        }
    }

    mutating func claimSNI(_ name: String, at location: SourceLocation, label: String) {
        let host = name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        if !Self.isHostName(host) {
            error("\(label): SNI `\(name)` is not a host name", at: location, rule: "kong/invalid-value")
        }
        claim("sni", name.lowercased(), what: "SNI `\(name)`", at: location)
    }

    mutating func checkCACertificate(_ node: YAMLNode, path: String) {
        let label = Self.label("CA certificate", node, key: "id", path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.caCertificate, schema: "CA certificate") else { return }
        _ = identity(.caCertificate, pairs, at: node.location, label: label, requireName: false)
        if !Self.hasValue(pairs, "cert") {
            error("\(label) has no `cert`, which Kong requires", at: node.location, rule: "kong/missing-field")
        }
        for pair in pairs {
            switch pair.key {
            case "cert": checkPEM(pair.value, label, field: "cert", marker: "CERTIFICATE-----")
            case "tags": tags(pair.value, label)
            default: break
            }
        }
    }

    /// A PEM block of the kind `marker` names, unless the value is injected later.
    mutating func checkPEM(_ node: YAMLNode, _ label: String, field: String, marker: String) {
        guard let text = text(node, label, field), !text.isEmpty else { return }
        guard !(text.contains("-----BEGIN") && text.contains(marker)) else { return }
        let kind = marker.hasPrefix("CERT") ? "certificate" : "private key"
        error(
            "\(label): `\(field)` is not a PEM \(kind) (`-----BEGIN …\(marker)`); paste the PEM text, or reference it "
                + "from a vault (`{vault://…}`)",
            at: node.location, rule: "kong/invalid-value")
    }

    mutating func checkVault(_ node: YAMLNode, path: String) {
        let label = Self.label("vault", node, key: "prefix", path: path)
        guard let pairs = entity(node, label, allowed: KongSchema.vault, schema: "vault") else { return }
        for field in ["name", "prefix"] where !Self.hasValue(pairs, field) {
            error("\(label) has no `\(field)`, which Kong requires", at: node.location, rule: "kong/missing-field")
        }
        _ = identity(.vault, pairs, at: node.location, label: label, nameKey: "prefix", requireName: false)
        for pair in pairs {
            switch pair.key {
            case "prefix":
                if let prefix = text(pair.value, label, "prefix"), prefix.wholeMatch(of: /[a-z][a-z0-9-]*[a-z0-9]/) == nil {
                    error(
                        "\(label): `prefix` must be lower-case letters, digits and `-`, starting with a letter, not `\(prefix)`",
                        at: pair.value.location, rule: "kong/invalid-value")
                }
            case "config":
                if !pair.value.isNull, pair.value.pairs == nil {
                    error("\(label): `config` must be a mapping, not \(pair.value.kindDescription)", at: pair.value.location, rule: "kong/wrong-type")
                }
            case "tags": tags(pair.value, label)
            default: break
            }
        }
    }
}
