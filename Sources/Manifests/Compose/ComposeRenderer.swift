import Foundation

/// A merged compose model written back as YAML (keys in file order) or JSON, and the explanation of
/// where a value came from.
enum ComposeRenderer {
    // MARK: - YAML

    static func yaml(_ node: YAMLNode) -> String {
        var lines: [String] = []
        switch node.content {
        case .mapping(let pairs) where !pairs.isEmpty: appendMapping(pairs, indent: 0, to: &lines)
        case .sequence(let items) where !items.isEmpty: appendSequence(items, indent: 0, to: &lines)
        default: lines.append(inline(node))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func appendMapping(_ pairs: [YAMLPair], indent: Int, to lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for pair in pairs {
            let key = pad + scalarText(pair.key, plain: true) + ":"
            switch pair.value.content {
            case .mapping(let children) where !children.isEmpty:
                lines.append(key)
                appendMapping(children, indent: indent + 2, to: &lines)
            case .sequence(let items) where !items.isEmpty:
                lines.append(key)
                appendSequence(items, indent: indent + 2, to: &lines)
            default:
                lines.append(key + " " + inline(pair.value))
            }
        }
    }

    private static func appendSequence(_ items: [YAMLNode], indent: Int, to lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            var nested: [String] = []
            switch item.content {
            case .mapping(let pairs) where !pairs.isEmpty: appendMapping(pairs, indent: indent + 2, to: &nested)
            case .sequence(let children) where !children.isEmpty: appendSequence(children, indent: indent + 2, to: &nested)
            default:
                lines.append(pad + "- " + inline(item))
                continue
            }
            nested[0] = pad + "- " + nested[0].dropFirst(indent + 2)
            lines += nested
        }
    }

    /// A scalar, or an empty collection, on one line.
    private static func inline(_ node: YAMLNode) -> String {
        switch node.content {
        case .mapping: return "{}"
        case .sequence: return "[]"
        case .scalar(let scalar):
            if scalar.isNull { return "null" }
            return scalarText(scalar.text, plain: scalar.isPlain)
        }
    }

    /// The text as a plain scalar when that reads back the same, double-quoted otherwise.
    static func scalarText(_ text: String, plain: Bool) -> String {
        let special: Set<Character> = ["-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`"]
        let needsQuotes =
            !plain || text.isEmpty || special.contains(text.first!) || text.contains(": ") || text.contains(" #")
            || text.hasSuffix(":") || text.first == " " || text.last == " " || text.contains("\n") || text.contains("\t")
        if !needsQuotes || (text.count > 1 && text.first == "-" && text.dropFirst().allSatisfy(\.isNumber) && plain) {
            return text
        }
        return jsonString(text)
    }

    // MARK: - JSON

    static func json(_ node: YAMLNode) -> String {
        var out = ""
        appendJSON(node, indent: 0, to: &out)
        return out + "\n"
    }

    private static func appendJSON(_ node: YAMLNode, indent: Int, to out: inout String) {
        let pad = String(repeating: " ", count: indent + 2)
        switch node.content {
        case .mapping(let pairs):
            guard !pairs.isEmpty else { return out += "{}" }
            out += "{\n"
            for (index, pair) in pairs.enumerated() {
                out += pad + jsonString(pair.key) + ": "
                appendJSON(pair.value, indent: indent + 2, to: &out)
                out += index == pairs.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case .sequence(let items):
            guard !items.isEmpty else { return out += "[]" }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                appendJSON(item, indent: indent + 2, to: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        case .scalar(let scalar):
            if scalar.isNull {
                out += "null"
            } else if let bool = scalar.bool {
                out += bool ? "true" : "false"
            } else if scalar.int != nil || (scalar.double.map { $0.isFinite } ?? false) {
                out += scalar.int.map(String.init) ?? scalar.text
            } else {
                out += jsonString(scalar.text)
            }
        }
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: - Explain

    /// The node at a dotted path (`services.web.ports`, `services.web.ports[0]`; a key may itself
    /// hold dots, like the network `meet.jitsi`), with its path written canonically.
    static func lookup(_ path: String, in root: YAMLNode) -> (node: YAMLNode, path: String)? {
        var segments: [String] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            var part = Substring(part)
            var indices: [String] = []
            while part.hasSuffix("]"), let open = part.lastIndex(of: "[") {
                indices.insert(String(part[open...]), at: 0)
                part = part[..<open]
            }
            if !part.isEmpty || indices.isEmpty { segments.append(String(part)) }
            segments += indices
        }
        var node = root
        var canonical: [String] = []
        var index = 0
        while index < segments.count {
            let segment = segments[index]
            if segment.hasPrefix("["), let items = node.items, let position = Int(segment.dropFirst().dropLast()),
                items.indices.contains(position)
            {
                node = items[position]
                canonical.append(segment)
                index += 1
                continue
            }
            guard let pairs = node.pairs else { return nil }
            var matched = false
            // The longest run of segments that names a key (keys may contain dots).
            var end = segments.count
            while end > index {
                let key = segments[index..<end].joined(separator: ".")
                if !segments[index..<end].contains(where: { $0.hasPrefix("[") }), let pair = pairs.last(where: { $0.key == key }) {
                    node = pair.value
                    canonical.append(key)
                    index = end
                    matched = true
                    break
                }
                end -= 1
            }
            if !matched { return nil }
        }
        return (node, ComposeProvenance.dotted(canonical))
    }

    /// Where the value at `path` was written (each leaf with its file:line:column) and what each
    /// later file changed there; nil when the project has no such value.
    static func explain(_ path: String, root: YAMLNode, provenance: ComposeProvenance) -> String? {
        guard let (node, canonical) = lookup(path, in: root) else { return nil }
        var lines = ["\(canonical) = \(ComposeMerger.summary(node))", "  written at:"]
        var leaves: [(String, YAMLNode)] = []
        collectLeaves(node, path: canonical, into: &leaves)
        for (leafPath, leaf) in leaves {
            lines.append("    \(leaf.location)  \(leafPath) = \(ComposeMerger.summary(leaf))")
        }
        let changes = provenance.changes(under: canonical)
        if changes.isEmpty {
            lines.append("  no later file changed it")
        } else {
            lines.append("  changes, in merge order:")
            for change in changes {
                let at = change.new.map(\.description) ?? "-"
                let was = change.old.map { " (was \(change.oldText ?? "") from \($0))" } ?? ""
                switch change.action {
                case .added:
                    lines.append("    \(at)  \(change.path) added: \(change.newText ?? "")")
                case .replaced:
                    lines.append("    \(at)  \(change.path) replaced by \(change.newText ?? "")\(was)")
                case .overridden:
                    lines.append("    \(at)  \(change.path) overridden whole (!override) by \(change.newText ?? "")\(was)")
                case .extended:
                    lines.append("    \(at)  \(change.path) \(change.newText ?? "extends") (defined at \(change.old.map(\.description) ?? "-"))")
                case .reset:
                    lines.append("    \(change.path) removed (!reset)\(was)")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func collectLeaves(_ node: YAMLNode, path: String, into leaves: inout [(String, YAMLNode)]) {
        switch node.content {
        case .mapping(let pairs) where !pairs.isEmpty:
            for pair in pairs { collectLeaves(pair.value, path: path + "." + pair.key, into: &leaves) }
        case .sequence(let items) where !items.isEmpty:
            for (index, item) in items.enumerated() { collectLeaves(item, path: path + "[\(index)]", into: &leaves) }
        default:
            leaves.append((path, node))
        }
    }
}
