import Foundation

/// `{{ var }}` references in manifest strings, resolved against inventory host variables.
enum Template {
    struct Reference {
        /// The variable name, or nil when the braces hold something other than a plain name.
        var name: String?
        /// `{{ name | raw }}`: the value is wanted as shell syntax, unquoted (`run` commands only).
        var raw = false
        var text: String
        var location: SourceLocation
    }

    /// A `{{ … }}` reference; its capture is what the braces hold.
    static var referencePattern: Regex<(Substring, Substring)> { /\{\{(.*?)\}\}/ }

    /// What the braces of a reference hold: a variable name, optionally followed by `| raw`.
    static func parse(_ inner: String) -> (name: String?, raw: Bool) {
        let trimmed = inner.trimmingCharacters(in: .whitespaces)
        guard let match = trimmed.wholeMatch(of: /([A-Za-z_][A-Za-z0-9_]*)(\s*\|\s*raw)?/) else { return (nil, false) }
        return (String(match.output.1), match.output.2 != nil)
    }

    /// The references written in a string scalar, each with the place it is written (exact for
    /// single-line plain and quoted scalars, the scalar's start otherwise).
    static func references(in node: YAMLNode) -> [Reference] {
        guard let scalar = node.scalar, scalar.text.contains("{{") else { return [] }
        let text = scalar.text
        var result: [Reference] = []
        for match in text.matches(of: referencePattern) {
            let (name, raw) = parse(String(match.output.1))
            var location = node.location
            if !text.contains("\n") {
                let offset = text.unicodeScalars.distance(
                    from: text.unicodeScalars.startIndex, to: match.range.lowerBound)
                location.column += offset + (scalar.isPlain ? 0 : 1)
            }
            result.append(Reference(name: name, raw: raw, text: String(match.output.0), location: location))
        }
        return result
    }

    /// `text` with every `{{ name }}` found in `vars` replaced by its value; others are kept as written.
    static func render(_ text: String, vars: [String: String]) -> String {
        guard text.contains("{{") else { return text }
        return text.replacing(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/) { match in
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
    /// `keepVersion` (it is substituted at deploy time); `{{ name | raw }}` when `shell`.
    mutating func checkTemplate(_ node: YAMLNode, _ path: String, scopes: [TemplateScope], keepVersion: Bool, shell: Bool = false) {
        for reference in Template.references(in: node) {
            guard let name = reference.name else {
                error(
                    "`\(path)`: `\(reference.text)` is not supported; only plain `{{ variable }}` references are"
                        + (shell ? " (and `{{ variable | raw }}`)" : ""),
                    at: reference.location, rule: "unsupported-template")
                continue
            }
            if reference.raw, !shell {
                error(
                    "`\(path)`: `| raw` only applies in `run` commands (it turns off shell quoting); write `{{ \(name) }}`",
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

extension ManifestReader {
    /// Reports the references of a `run` command that no quoting can make safe where they are
    /// written (errors), and those that ask for the raw value (warnings).
    mutating func checkShellTemplate(_ node: YAMLNode, _ path: String) {
        guard let text = node.scalar?.text else { return }
        let references = Template.references(in: node)
        for (placement, reference) in zip(ShellTemplate(text).placements, references) where placement.name != nil {
            // `| raw` asks for no quoting at all, so it is accepted wherever it is written.
            if let problem = placement.problem, !placement.raw {
                error("`\(path)`: `\(reference.text)` cannot be quoted here: \(problem)", at: reference.location, rule: "unsafe-template")
            } else if placement.raw {
                warning(
                    "`\(path)`: `\(reference.text)` is substituted unquoted, so its value is read as shell syntax; "
                        + "make sure no host var or version can hold `;`, `$(`, quotes or spaces, or drop `| raw`",
                    at: reference.location, rule: "raw-template")
            }
        }
    }
}

extension HostTarget {
    /// `template` (a `health.http` URL, a compose project directory: text that is not shell) for this
    /// host: its inventory variables, `{{ inventory_hostname }}`, `{{ address }}` and `{{ version }}`
    /// substituted as they are. The loader has already refused references to anything else. A `run`
    /// command goes through `renderCommand(_:version:)` instead.
    public func render(_ template: String, version: String?) -> String {
        var vars = TemplateScope.host(name: inventoryName, address: address, vars: self.vars).vars
        if let version { vars["version"] = version }
        return Template.render(template, vars: vars)
    }

    /// A `run` command for this host, every value quoted for where its reference sits (see
    /// `ShellTemplate`): a value reaches the shell as text, never as syntax, unless written `| raw`.
    public func renderCommand(_ template: String, version: String?) -> String {
        var vars = TemplateScope.host(name: inventoryName, address: address, vars: self.vars).vars
        if let version { vars["version"] = version }
        return ShellTemplate(template).render(vars)
    }
}
