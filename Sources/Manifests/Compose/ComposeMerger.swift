import Foundation

/// The merge of compose models (13-merge.md, and compose-go's `override` package where the spec is
/// silent): mappings merge key by key and the later value wins; sequences are appended, except
/// `command`, `entrypoint` and `healthcheck.test`, which are replaced; `volumes`, `secrets`,
/// `configs`, `ports` and other lists keep one entry per key (the later entry takes the earlier's
/// place); `environment`, `labels`, `depends_on`, `networks`, `extra_hosts`… merge a list form with a
/// map form; `!reset` removes a value and `!override` replaces it whole.
///
/// Every node keeps the location it was written at, so the merged tree names, for each value, the
/// file that contributed it; `provenance` records what each later value replaced.
struct ComposeMerger {
    var provenance = ComposeProvenance()
    var diagnostics: [Diagnostic] = []

    /// How values at one path merge.
    enum Rule: Equatable {
        case standard
        /// The later value replaces the earlier one whole.
        case replace
        /// `KEY=VALUE` list entries or a mapping; `separators` split a list entry.
        case keyValue(separators: [Character])
        /// A list of names or a mapping keyed by them (`depends_on`, service `networks`).
        case names(listValue: NameValue)
        /// A list whose entries are unique by a key (the later entry takes the earlier one's place).
        case unique(UniqueKey)
        /// `logging`: merged when both name the same driver (or one names none), replaced otherwise.
        case logging
        /// `build`: a string is short for `{context: …}`.
        case build
        /// `ulimits.*`: a number or a `{soft, hard}` mapping; mappings merge, anything else is replaced.
        case replaceUnlessBothMappings
    }

    enum NameValue: Equatable {
        case null
        case startedCondition
    }

    enum UniqueKey: Equatable {
        case value, mountTarget, secretTarget, configTarget, port, envFile, subnet
    }

    static func rule(for path: [String]) -> Rule {
        guard path.count >= 3 else { return .standard }
        let rest = path.dropFirst(2).joined(separator: ".")
        switch path[0] {
        case "services":
            switch rest {
            case "command", "entrypoint", "healthcheck.test": return .replace
            case "environment", "labels", "annotations", "sysctls", "build.args", "build.labels", "deploy.labels",
                "build.additional_contexts":
                return .keyValue(separators: ["="])
            case "extra_hosts", "build.extra_hosts": return .keyValue(separators: ["=", ":"])
            case "depends_on": return .names(listValue: .startedCondition)
            case "networks": return .names(listValue: .null)
            case "volumes", "devices": return .unique(.mountTarget)
            case "secrets": return .unique(.secretTarget)
            case "configs": return .unique(.configTarget)
            case "ports": return .unique(.port)
            case "env_file": return .unique(.envFile)
            case "expose", "dns", "dns_search", "dns_opt", "tmpfs", "cap_add", "cap_drop", "profiles", "links",
                "security_opt", "group_add", "build.tags", "build.platforms":
                return .unique(.value)
            case "logging": return .logging
            case _ where path.count == 4 && path[2] == "ulimits": return .replaceUnlessBothMappings
            case "build": return .build
            default:
                if path.count == 5, path[2] == "networks", path[4] == "aliases" { return .unique(.value) }
                return .standard
            }
        case "networks", "volumes", "secrets", "configs":
            if rest == "labels" { return .keyValue(separators: ["="]) }
            if path[0] == "networks", rest == "ipam.config" { return .unique(.subnet) }
            return .standard
        default:
            return .standard
        }
    }

    /// A model read alone (the first file, or a file that nothing is merged into): `!reset` values
    /// are dropped and `!override` tags cleared.
    static func settle(_ node: YAMLNode) -> YAMLNode {
        var node = node
        node.tag = nil
        if var scalar = node.scalar, scalar.tag == "!reset" || scalar.tag == "!override" {
            scalar.tag = nil
            node.content = .scalar(scalar)
        }
        switch node.content {
        case .mapping(let pairs):
            node.content = .mapping(
                pairs.filter { $0.value.anyTag != "!reset" }.map {
                    YAMLPair(key: $0.key, keyLocation: $0.keyLocation, value: settle($0.value))
                })
        case .sequence(let items):
            node.content = .sequence(items.filter { $0.anyTag != "!reset" }.map(settle))
        case .scalar: break
        }
        return node
    }

    /// `over` merged into `base` at `path`.
    mutating func merge(_ base: YAMLNode, _ over: YAMLNode, path: [String]) -> YAMLNode {
        let dotted = ComposeProvenance.dotted(path)
        if over.anyTag == "!override" {
            record(.overridden, dotted, new: over, old: base)
            return Self.settle(over)
        }
        switch Self.rule(for: path) {
        case .replace:
            record(.replaced, dotted, new: over, old: base)
            return Self.settle(over)
        case .keyValue(let separators):
            if let basePairs = base.pairs, over.pairs != nil {
                return mergeMappings(base, over, path: path, basePairs: basePairs)
            }
            if let baseItems = base.items, let overItems = over.items {
                let key: (YAMLNode) -> String = { Self.keyValueSplit($0, separators).key }
                return mergeUnique(base, baseItems, overItems, path: path, key: key)
            }
            let baseMap = Self.asMapping(base, separators: separators, listValue: nil)
            let overMap = Self.asMapping(over, separators: separators, listValue: nil)
            guard let basePairs = baseMap.pairs, overMap.pairs != nil else { return mismatch(base, over, path) }
            return mergeMappings(baseMap, overMap, path: path, basePairs: basePairs)
        case .names(let listValue):
            if let baseItems = base.items, let overItems = over.items {
                return mergeUnique(base, baseItems, overItems, path: path) { $0.scalar?.text ?? $0.flowText }
            }
            let baseMap = Self.asMapping(base, separators: [], listValue: listValue)
            let overMap = Self.asMapping(over, separators: [], listValue: listValue)
            guard let basePairs = baseMap.pairs, overMap.pairs != nil else { return mismatch(base, over, path) }
            return mergeMappings(baseMap, overMap, path: path, basePairs: basePairs)
        case .unique(let unique):
            let baseList = base.items ?? (base.scalar != nil && !base.isNull ? [base] : [])
            let overList = over.items ?? (over.scalar != nil && !over.isNull ? [over] : [])
            guard base.pairs == nil, over.pairs == nil else { return mismatch(base, over, path) }
            var list = base
            list.content = .sequence(baseList)
            return mergeUnique(list, baseList, overList, path: path) { Self.uniqueKey($0, unique) }
        case .logging:
            if let basePairs = base.pairs, over.pairs != nil {
                let baseDriver = base["driver"]?.scalar?.text
                let overDriver = over["driver"]?.scalar?.text
                if baseDriver == nil || overDriver == nil || baseDriver == overDriver {
                    return mergeMappings(base, over, path: path, basePairs: basePairs)
                }
                record(.replaced, dotted, new: over, old: base)
                return Self.settle(over)
            }
            return mergeStandard(base, over, path: path)
        case .build:
            let baseMap = Self.buildMapping(base)
            let overMap = Self.buildMapping(over)
            return mergeStandard(baseMap, overMap, path: path)
        case .replaceUnlessBothMappings:
            if let basePairs = base.pairs, over.pairs != nil {
                return mergeMappings(base, over, path: path, basePairs: basePairs)
            }
            record(.replaced, dotted, new: over, old: base)
            return Self.settle(over)
        case .standard:
            return mergeStandard(base, over, path: path)
        }
    }

    private mutating func mergeStandard(_ base: YAMLNode, _ over: YAMLNode, path: [String]) -> YAMLNode {
        switch (base.content, over.content) {
        case (.mapping(let basePairs), .mapping):
            return mergeMappings(base, over, path: path, basePairs: basePairs)
        case (.sequence(let baseItems), .sequence(let overItems)):
            var result = base
            for (offset, item) in overItems.enumerated() where item.anyTag != "!reset" {
                record(.added, ComposeProvenance.dotted(path + ["[\(baseItems.count + offset)]"]), new: item, old: nil)
            }
            result.content = .sequence(baseItems + overItems.filter { $0.anyTag != "!reset" }.map(Self.settle))
            return result
        case (.scalar, .scalar):
            if base.scalar?.text != over.scalar?.text || base.location != over.location {
                record(.replaced, ComposeProvenance.dotted(path), new: over, old: base)
            }
            return Self.settle(over)
        default:
            if base.isNull {
                record(.replaced, ComposeProvenance.dotted(path), new: over, old: base)
                return Self.settle(over)
            }
            if over.isNull {
                // `key:` with nothing after it in an overlay leaves the base value as it is.
                return base
            }
            return mismatch(base, over, path)
        }
    }

    private mutating func mismatch(_ base: YAMLNode, _ over: YAMLNode, _ path: [String]) -> YAMLNode {
        let dotted = ComposeProvenance.dotted(path)
        diagnostics.append(
            .error(
                "`\(dotted)` is \(over.kindDescription) here but \(base.kindDescription) at \(base.location), "
                    + "and the two cannot be merged (this value is ignored); write the same kind, or tag this value "
                    + "`!override` to replace it", at: over.location, rule: "overlay/kind-mismatch"))
        return base
    }

    mutating func mergeMappings(
        _ base: YAMLNode, _ over: YAMLNode, path: [String], basePairs: [YAMLPair]
    ) -> YAMLNode {
        var pairs = basePairs
        for pair in over.pairs ?? [] {
            let childPath = path + [pair.key]
            let dotted = ComposeProvenance.dotted(childPath)
            let existing = pairs.lastIndex { $0.key == pair.key }
            if pair.value.anyTag == "!reset" {
                if let existing {
                    record(.reset, dotted, new: nil, old: pairs[existing].value)
                    pairs.remove(at: existing)
                }
                continue
            }
            guard let existing else {
                record(.added, dotted, new: pair.value, old: nil)
                pairs.append(YAMLPair(key: pair.key, keyLocation: pair.keyLocation, value: Self.settle(pair.value)))
                continue
            }
            if pair.key.hasPrefix("x-") {
                record(.replaced, dotted, new: pair.value, old: pairs[existing].value)
                pairs[existing].value = Self.settle(pair.value)
                continue
            }
            pairs[existing].value = merge(pairs[existing].value, pair.value, path: childPath)
        }
        var result = base
        result.content = .mapping(pairs)
        result.tag = nil
        return result
    }

    private mutating func mergeUnique(
        _ base: YAMLNode, _ baseItems: [YAMLNode], _ overItems: [YAMLNode], path: [String],
        key: (YAMLNode) -> String
    ) -> YAMLNode {
        var items = baseItems
        var keys = items.map(key)
        for item in overItems where item.anyTag != "!reset" {
            let itemKey = key(item)
            if let index = keys.firstIndex(of: itemKey) {
                let dotted = ComposeProvenance.dotted(path + ["[\(index)]"])
                if let basePairs = items[index].pairs, item.pairs != nil {
                    items[index] = mergeMappings(items[index], item, path: path + ["[\(index)]"], basePairs: basePairs)
                } else {
                    record(.replaced, dotted, new: item, old: items[index])
                    items[index] = Self.settle(item)
                }
            } else {
                record(.added, ComposeProvenance.dotted(path + ["[\(items.count)]"]), new: item, old: nil)
                items.append(Self.settle(item))
                keys.append(itemKey)
            }
        }
        var result = base
        result.content = .sequence(items)
        result.tag = nil
        return result
    }

    private mutating func record(
        _ action: ComposeProvenance.Change.Action, _ path: String, new: YAMLNode?, old: YAMLNode?
    ) {
        provenance.changes.append(
            ComposeProvenance.Change(
                path: path, action: action, new: new?.location, newText: new.map(Self.summary),
                old: old?.location, oldText: old.map(Self.summary)))
    }

    /// A value in one line, for explanations.
    static func summary(_ node: YAMLNode) -> String {
        let text = settle(node).flowText
        return text.count > 120 ? String(text.prefix(117)) + "…" : text
    }

    // MARK: - Normal forms

    /// `KEY=VALUE` (or `KEY:VALUE` where allowed) split; a bare `KEY` has no value.
    static func keyValueSplit(_ node: YAMLNode, _ separators: [Character]) -> (key: String, value: String?) {
        let text = node.scalar?.text ?? node.flowText
        guard let index = text.firstIndex(where: { separators.contains($0) }) else { return (text, nil) }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }

    /// A list form turned into the mapping form (a mapping is returned as it is). Each entry keeps the
    /// location of the list item it came from.
    static func asMapping(_ node: YAMLNode, separators: [Character], listValue: NameValue?) -> YAMLNode {
        guard let items = node.items else { return node }
        var pairs: [YAMLPair] = []
        for item in items where item.anyTag != "!reset" {
            let value: YAMLNode
            let key: String
            switch listValue {
            case .startedCondition?:
                key = item.scalar?.text ?? item.flowText
                let condition = YAMLNode(
                    content: .scalar(YAMLScalar(text: "service_started", isPlain: true, tag: nil)), location: item.location)
                value = YAMLNode(
                    content: .mapping([YAMLPair(key: "condition", keyLocation: item.location, value: condition)]),
                    location: item.location)
            case .null?:
                key = item.scalar?.text ?? item.flowText
                value = YAMLNode(content: .scalar(YAMLScalar(text: "", isPlain: true, tag: nil)), location: item.location)
            case nil:
                let split = keyValueSplit(item, separators)
                key = split.key
                value = YAMLNode(
                    content: .scalar(YAMLScalar(text: split.value ?? "", isPlain: split.value == nil, tag: nil)),
                    location: item.location)
            }
            pairs.append(YAMLPair(key: key, keyLocation: item.location, value: value))
        }
        var result = node
        result.content = .mapping(pairs)
        return result
    }

    static func buildMapping(_ node: YAMLNode) -> YAMLNode {
        guard node.scalar != nil, !node.isNull else { return node }
        var result = node
        result.content = .mapping([YAMLPair(key: "context", keyLocation: node.location, value: node)])
        return result
    }

    /// What makes two list entries "the same" entry for the merge.
    static func uniqueKey(_ node: YAMLNode, _ kind: UniqueKey) -> String {
        switch kind {
        case .value:
            return node.scalar?.text ?? node.flowText
        case .envFile:
            return node["path"]?.scalar?.text ?? node.scalar?.text ?? node.flowText
        case .subnet:
            return node["subnet"]?.scalar?.text ?? node.flowText
        case .mountTarget:
            if let target = node["target"]?.scalar?.text { return target }
            guard let text = node.scalar?.text else { return node.flowText }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count >= 2 ? String(parts[1]) : text
        case .secretTarget, .configTarget:
            let prefix = kind == .secretTarget ? "/run/secrets/" : "/"
            if let target = node["target"]?.scalar?.text { return target.hasPrefix("/") ? target : prefix + target }
            let source = node["source"]?.scalar?.text ?? node.scalar?.text ?? node.flowText
            return prefix + source
        case .port:
            if node.pairs != nil {
                let ip = node["host_ip"]?.scalar?.text ?? ""
                let published = node["published"]?.scalar?.text ?? ""
                let target = node["target"]?.scalar?.text ?? ""
                let proto = node["protocol"]?.scalar?.text ?? "tcp"
                return "\(ip)|\(published)|\(target)|\(proto)"
            }
            var text = node.scalar?.text ?? node.flowText
            var proto = "tcp"
            if let slash = text.lastIndex(of: "/") {
                proto = String(text[text.index(after: slash)...])
                text = String(text[..<slash])
            }
            var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if parts.count > 3 {
                // An IPv6 host address: everything before the last two fields.
                let tail = Array(parts.suffix(2))
                parts = [parts.dropLast(2).joined(separator: ":")] + tail
            }
            let target = parts.last ?? ""
            let published = parts.count >= 2 ? parts[parts.count - 2] : ""
            let ip = parts.count == 3 ? parts[0].trimmingCharacters(in: ["[", "]"]) : ""
            return "\(ip)|\(published)|\(target)|\(proto)"
        }
    }
}
