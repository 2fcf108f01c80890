/// `${VAR}` interpolation as the Compose Specification defines it (12-interpolation.md): `$VAR`,
/// `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`,
/// `${VAR+alt}`, nesting inside the text after the operator, and `$$` for a literal `$`.
///
/// The text after an operator is itself interpolated, but only when it is used, so an unset variable
/// in an unused default is not reported (a syntax error in it always is).
struct ComposeInterpolation: Equatable, Sendable {
    /// A problem at a character offset (0-based, in Unicode scalars) of the interpolated text.
    struct Problem: Equatable, Sendable {
        enum Kind: Equatable, Sendable {
            /// Malformed `$` syntax.
            case syntax
            /// `${NAME:?message}` or `${NAME?message}` with NAME unset (or empty for `:?`).
            case required(name: String, message: String)
        }

        var kind: Kind
        var offset: Int
        var message: String
    }

    /// The text with every reference substituted (an unset variable gives the empty string).
    var text: String
    /// Variables used without a default while unset, in order of appearance, each once.
    var unset: [String]
    /// Whether the text held a variable reference at all (`$$` alone is no reference).
    var referencesVariables: Bool
    var problems: [Problem]

    /// Interpolates `template`; `lookup` gives a variable's value, nil when it is not set.
    static func interpolate(_ template: String, lookup: (String) -> String?) -> ComposeInterpolation {
        withoutActuallyEscaping(lookup) { lookup in
            var scanner = Scanner(scalars: Array(template.unicodeScalars), lookup: lookup)
            let text = scanner.template(untilBrace: false, evaluate: true)
            return ComposeInterpolation(
                text: text, unset: scanner.unset, referencesVariables: scanner.referenced, problems: scanner.problems)
        }
    }

    /// Whether `text` could hold a reference (a cheap test before interpolating).
    static func mayInterpolate(_ text: String) -> Bool {
        text.unicodeScalars.contains("$")
    }

    private struct Scanner {
        let scalars: [Unicode.Scalar]
        let lookup: (String) -> String?
        var index = 0
        var unset: [String] = []
        var referenced = false
        var problems: [Problem] = []

        init(scalars: [Unicode.Scalar], lookup: @escaping (String) -> String?) {
            self.scalars = scalars
            self.lookup = lookup
        }

        /// Text up to the end, or (inside braces) up to the `}` that closes the enclosing reference,
        /// which is left unconsumed. With `evaluate` false, references are checked but not looked up.
        mutating func template(untilBrace: Bool, evaluate: Bool) -> String {
            var result = String.UnicodeScalarView()
            while index < scalars.count {
                let c = scalars[index]
                if untilBrace && c == "}" { break }
                if c != "$" {
                    result.append(c)
                    index += 1
                    continue
                }
                result.append(contentsOf: reference(evaluate: evaluate).unicodeScalars)
            }
            return String(result)
        }

        /// One `$…` starting at `index`.
        mutating func reference(evaluate: Bool) -> String {
            let start = index
            index += 1
            guard index < scalars.count else {
                fail(at: start, "a `$` ends the value; write `$$` for a literal dollar sign")
                return ""
            }
            let next = scalars[index]
            if next == "$" {
                index += 1
                return "$"
            }
            if Self.isNameStart(next) {
                let name = self.name()
                referenced = true
                return evaluate ? value(of: name) : ""
            }
            guard next == "{" else {
                fail(
                    at: start,
                    "`$\(Character(next))` is not a variable reference; a name must start with a letter or `_` "
                        + "(write `$$` for a literal dollar sign)")
                return ""
            }
            index += 1
            referenced = true
            guard index < scalars.count, Self.isNameStart(scalars[index]) else {
                fail(at: start, "`${` must be followed by a variable name (letters, digits and `_`, not starting with a digit)")
                skipToClosingBrace()
                return ""
            }
            let name = self.name()
            guard index < scalars.count else {
                fail(at: start, "`${\(name)` is never closed; add `}`")
                return ""
            }
            if scalars[index] == "}" {
                index += 1
                return evaluate ? value(of: name) : ""
            }
            var op = ""
            if scalars[index] == ":" {
                op = ":"
                index += 1
            }
            guard index < scalars.count, ["-", "?", "+"].contains(scalars[index]) else {
                fail(
                    at: start,
                    "unexpected text after `${\(name)`; write `${\(name)}`, `${\(name):-default}`, `${\(name)-default}`, "
                        + "`${\(name):?error}`, `${\(name)?error}`, `${\(name):+alternative}` or `${\(name)+alternative}`")
                skipToClosingBrace()
                return ""
            }
            op.unicodeScalars.append(scalars[index])
            index += 1
            let current = evaluate ? lookup(name) : nil
            let isSet = current != nil
            let isSetNonEmpty = !(current ?? "").isEmpty
            let argumentUsed: Bool
            switch op {
            case ":-": argumentUsed = !isSetNonEmpty
            case "-": argumentUsed = !isSet
            case ":+": argumentUsed = isSetNonEmpty
            case "+": argumentUsed = isSet
            default: argumentUsed = op == ":?" ? !isSetNonEmpty : !isSet
            }
            let argument = template(untilBrace: true, evaluate: evaluate && argumentUsed)
            guard index < scalars.count, scalars[index] == "}" else {
                fail(at: start, "`${\(name)\(op)…` is never closed; add `}`")
                return ""
            }
            index += 1
            guard evaluate else { return "" }
            switch op {
            case ":-", "-": return argumentUsed ? argument : current ?? ""
            case ":+", "+": return argumentUsed ? argument : ""
            default:
                if argumentUsed {
                    let reason = argument.isEmpty ? "it is required" : argument
                    problems.append(
                        Problem(
                            kind: .required(name: name, message: argument), offset: start,
                            message: "the required variable `\(name)` is \(isSet ? "empty" : "not set"): \(reason)"))
                    return ""
                }
                return current ?? ""
            }
        }

        mutating func value(of name: String) -> String {
            if let value = lookup(name) { return value }
            if !unset.contains(name) { unset.append(name) }
            return ""
        }

        mutating func name() -> String {
            var name = String.UnicodeScalarView()
            while index < scalars.count, Self.isNameStart(scalars[index]) || ("0"..."9").contains(scalars[index]) {
                name.append(scalars[index])
                index += 1
            }
            return String(name)
        }

        /// After a malformed `${`, skips to its `}` (or the end) so the rest is still read.
        mutating func skipToClosingBrace() {
            var depth = 1
            while index < scalars.count {
                if scalars[index] == "{" { depth += 1 }
                if scalars[index] == "}" {
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return
                    }
                }
                index += 1
            }
        }

        mutating func fail(at offset: Int, _ message: String) {
            problems.append(Problem(kind: .syntax, offset: offset, message: message))
        }

        static func isNameStart(_ c: Unicode.Scalar) -> Bool {
            c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
        }
    }
}
