import Foundation

/// `{{ var }}` references in manifest strings, resolved against inventory host variables.
enum Template {
    struct Reference {
        /// The variable name, or nil when the braces hold something other than a plain name.
        var name: String?
        var text: String
        var location: SourceLocation
    }

    /// The references written in a string scalar, each with the place it is written (exact for
    /// single-line plain and quoted scalars, the scalar's start otherwise).
    static func references(in node: YAMLNode) -> [Reference] {
        guard let scalar = node.scalar else { return [] }
        let text = scalar.text
        var result: [Reference] = []
        for match in text.matches(of: /\{\{(.*?)\}\}/) {
            let inner = match.output.1.trimmingCharacters(in: .whitespaces)
            let name = inner.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) != nil ? inner : nil
            var location = node.location
            if !text.contains("\n") {
                let offset = text.unicodeScalars.distance(
                    from: text.unicodeScalars.startIndex, to: match.range.lowerBound)
                location.column += offset + (scalar.isPlain ? 0 : 1)
            }
            result.append(Reference(name: name, text: String(match.output.0), location: location))
        }
        return result
    }

    /// `text` with every `{{ name }}` found in `vars` replaced by its value; others are kept as written.
    static func render(_ text: String, vars: [String: String]) -> String {
        text.replacing(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/) { match in
            vars[String(match.output.1)] ?? String(match.output.0)
        }
    }
}

/// The variables a template can see for one host (or one stand-in, when hosts are not known yet).
struct TemplateScope {
    var host: String
    var vars: [String: String]

    /// A host's variables plus the two that are always defined.
    static func host(name: String, address: String, vars: [String: String]) -> TemplateScope {
        var all = vars
        all["inventory_hostname"] = name
        all["address"] = address
        return TemplateScope(host: name, vars: all)
    }
}

extension ManifestReader {
    /// Reports references that cannot be resolved in every scope. `{{ version }}` is allowed when
    /// `keepVersion` (it is substituted at deploy time).
    mutating func checkTemplate(_ node: YAMLNode, _ path: String, scopes: [TemplateScope], keepVersion: Bool) {
        for reference in Template.references(in: node) {
            guard let name = reference.name else {
                error(
                    "`\(path)`: `\(reference.text)` is not supported; only plain `{{ variable }}` references are",
                    at: reference.location, rule: "unsupported-template")
                continue
            }
            if keepVersion, name == "version" { continue }
            let missing = scopes.filter { $0.vars[name] == nil }.map(\.host)
            guard !missing.isEmpty else { continue }
            var message = "undefined variable `\(name)` in `\(path)`"
            if scopes.count > 1 || scopes.first?.host.isEmpty == false {
                let shown = missing.prefix(3).joined(separator: ", ")
                message += ": not defined for " + (missing.count == 1 ? "host \(shown)" : "hosts \(shown)")
                if missing.count > 3 { message += " and \(missing.count - 3) more" }
            }
            var known = Set(scopes.flatMap(\.vars.keys))
            if keepVersion { known.insert("version") }
            if let guess = Suggestion.closest(to: name, among: known.sorted()) {
                message += "; did you mean `\(guess)`?"
            }
            error(message, at: reference.location, rule: "undefined-variable")
        }
    }
}

extension HostTarget {
    /// `template` (a `run` command, a `health.http` URL) for this host: its inventory variables,
    /// `{{ inventory_hostname }}`, `{{ address }}` and `{{ version }}` substituted. The loader has
    /// already refused references to anything else.
    public func render(_ template: String, version: String?) -> String {
        var vars = TemplateScope.host(name: inventoryName, address: address, vars: self.vars).vars
        if let version { vars["version"] = version }
        return Template.render(template, vars: vars)
    }
}
