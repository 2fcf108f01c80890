/// One entry of a service's `volumes`, short (`./data:/data:ro`, `db:/var/lib/db`) or long syntax.
struct ServiceMount {
    enum Kind: Equatable {
        /// A named volume (defined under top-level `volumes`).
        case volume
        /// A host path.
        case bind
        /// Anything else: an anonymous volume, tmpfs, npipe, image, cluster.
        case other
    }

    var kind: Kind
    /// The volume name or host path; nil for anonymous volumes or unresolved values.
    var source: String?
    var sourceLocation: SourceLocation

    /// Every mount of a service whose source can be read.
    static func all(in service: YAMLNode, context: ComposeCheckContext) -> [ServiceMount] {
        (service["volumes"]?.items ?? []).compactMap { parse($0, context: context) }
    }

    static func parse(_ node: YAMLNode, context: ComposeCheckContext) -> ServiceMount? {
        if node.pairs != nil {
            let source = node["source"]
            let sourceText = context.text(source)
            switch context.text(node["type"]) {
            case "volume": return ServiceMount(kind: .volume, source: sourceText, sourceLocation: source?.location ?? node.location)
            case "bind": return ServiceMount(kind: .bind, source: sourceText, sourceLocation: source?.location ?? node.location)
            default: return ServiceMount(kind: .other, source: sourceText, sourceLocation: node.location)
            }
        }
        guard let text = context.text(node) else { return nil }
        let source = shortSource(text)
        guard let source else { return ServiceMount(kind: .other, source: nil, sourceLocation: node.location) }
        return ServiceMount(kind: isHostPath(source) ? .bind : .volume, source: source, sourceLocation: node.location)
    }

    /// The source of a short-syntax mount (`SOURCE:TARGET[:MODE]`); nil for an anonymous volume
    /// (only a target).
    static func shortSource(_ text: String) -> String? {
        // A Windows drive (`C:\data:/data`) holds a colon of its own.
        if text.count > 2, text.dropFirst().first == ":", text.first?.isLetter == true,
            let third = text.dropFirst(2).first, third == "\\" || third == "/"
        {
            let rest = text.dropFirst(2)
            guard let colon = rest.firstIndex(of: ":") else { return nil }
            return String(text[..<colon])
        }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return String(text[..<colon])
    }

    static func isHostPath(_ source: String) -> Bool {
        source.hasPrefix("/") || source.hasPrefix(".") || source.hasPrefix("~") || source.hasPrefix("\\")
            || (source.count > 1 && source.dropFirst().first == ":")
    }
}
