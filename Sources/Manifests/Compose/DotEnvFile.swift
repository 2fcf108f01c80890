import Foundation

/// A `.env` file as compose reads it: `NAME=value` lines, `#` comments, an optional `export `,
/// single-quoted values taken literally, double-quoted values with `\n`-style escapes, and `${VAR}`
/// references (to the environment or to earlier lines) in unquoted and double-quoted values.
enum DotEnvFile {
    /// The variables of `text`, in order; `environment` is what references read first.
    static func parse(_ text: String, file: String, environment: [String: String]) -> (
        variables: [String: String], diagnostics: [Diagnostic]
    ) {
        var variables: [String: String] = [:]
        var diagnostics: [Diagnostic] = []
        for (number, rawLine) in text.sourceLines.enumerated() {
            var line = Substring(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine)
            line = line.drop(while: { $0 == " " || $0 == "\t" })
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop(while: { $0 == " " }) }
            let location = SourceLocation(file: file, line: number + 1, column: 1)
            guard let equals = line.firstIndex(of: "=") else {
                // A bare name takes its value from the environment, when it is set there.
                let name = line.trimmingCharacters(in: .whitespaces)
                if let value = environment[name] { variables[name] = value }
                continue
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard name.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_.\-]*/) != nil else {
                diagnostics.append(
                    .error(
                        "`\(name)` is not a variable name; a .env line reads NAME=value", at: location,
                        rule: "compose/interpolation"))
                continue
            }
            var value = line[line.index(after: equals)...].drop(while: { $0 == " " || $0 == "\t" })
            if value.hasPrefix("'") {
                value = value.dropFirst()
                variables[name] = String(value.prefix(while: { $0 != "'" }))
                continue
            }
            var interpolate = String(value)
            if value.hasPrefix("\"") {
                value = value.dropFirst()
                var unescaped = ""
                var escaping = false
                for c in value {
                    if escaping {
                        switch c {
                        case "n": unescaped.append("\n")
                        case "t": unescaped.append("\t")
                        case "r": unescaped.append("\r")
                        default: unescaped.append(c)
                        }
                        escaping = false
                    } else if c == "\\" {
                        escaping = true
                    } else if c == "\"" {
                        break
                    } else {
                        unescaped.append(c)
                    }
                }
                interpolate = unescaped
            } else if let comment = interpolate.range(of: " #") {
                interpolate = String(interpolate[..<comment.lowerBound])
            }
            interpolate = interpolate.trimmingCharacters(in: .whitespaces)
            let known = variables
            let result = ComposeInterpolation.interpolate(interpolate) { environment[$0] ?? known[$0] }
            variables[name] = result.text
        }
        return (variables, diagnostics)
    }
}
