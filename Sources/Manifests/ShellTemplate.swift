/// A shell command (`deploy.run`, `prepare.run`) with `{{ }}` references, each placed in the quoting
/// context it is written in, so that a substituted value always reaches the shell as literal text:
/// one word where it stands unquoted, text that cannot close the quote where it stands inside `'…'`
/// or `"…"`. A reference written where no quoting can make a value safe (inside `$(…)`, backticks or
/// `${…}`, in a here-document or a comment, right after `\` or `$`) is a `problem`; the loader reports
/// it and the command is never run. `{{ name | raw }}` asks for the value unquoted, as shell syntax.
public struct ShellTemplate: Sendable, Equatable {
    /// Where a reference sits in the command text.
    public enum Context: Sendable, Equatable {
        /// Outside quotes: the value becomes one word.
        case unquoted
        /// Inside `'…'`.
        case singleQuoted
        /// Inside `"…"`.
        case doubleQuoted
    }

    /// One `{{ … }}` of the command, in the order written.
    public struct Placement: Sendable, Equatable {
        /// The variable name; nil when the braces hold something else (reported as unsupported).
        public var name: String?
        /// `{{ name | raw }}`: substituted as written, unquoted.
        public var raw: Bool
        /// The context, or nil when the reference cannot be made safe where it is (see `problem`).
        public var context: Context?
        /// Why the reference cannot be made safe there, and how to write it instead.
        public var problem: String?
        /// Offset of its `{{` in the command, in Unicode scalars.
        public var offset: Int
        /// The reference as written (`{{ version }}`).
        public var text: String
    }

    public let command: String
    public let placements: [Placement]

    public init(_ command: String) {
        self.command = command
        placements = ShellLexer(command).placements()
    }

    /// The command with every reference whose variable is in `vars` substituted, quoted for its
    /// context; references to anything else are kept as written.
    public func render(_ vars: [String: String]) -> String {
        // Offsets count Unicode scalars, so the command is cut on scalars, never on characters.
        let scalars = Array(command.unicodeScalars)
        var result = String.UnicodeScalarView()
        var position = 0
        for placement in placements {
            result.append(contentsOf: scalars[position..<placement.offset])
            let replacement: String
            if let name = placement.name, let value = vars[name] {
                // A reference the loader refused is never run; should one get here, a quoted word is
                // the least it can do.
                replacement = placement.raw ? value : Self.quote(value, for: placement.context ?? .unquoted)
            } else {
                replacement = placement.text
            }
            result.append(contentsOf: replacement.unicodeScalars)
            position = placement.offset + placement.text.unicodeScalars.count
        }
        result.append(contentsOf: scalars[position...])
        return String(result)
    }

    /// `value` as literal text in `context`.
    public static func quote(_ value: String, for context: Context) -> String {
        switch context {
        case .unquoted:
            return ShellQuoting.quoteIfNeeded(value)
        case .singleQuoted:
            return value.replacing("'", with: "'\\''")
        case .doubleQuoted:
            var escaped = ""
            for character in value.unicodeScalars {
                if "$`\"\\".unicodeScalars.contains(character) { escaped.unicodeScalars.append("\\") }
                escaped.unicodeScalars.append(character)
            }
            return escaped
        }
    }
}

/// Quoting for /bin/sh.
public enum ShellQuoting {
    /// `text` as one single-quoted word.
    public static func quote(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }

    /// `text` as is when the shell reads it as one literal word anywhere in a command (so not `=`,
    /// which makes a first word an assignment), single-quoted otherwise; `''` when empty. For
    /// commands people read.
    public static func quoteIfNeeded(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "/", ".", "_", "-", "+", ":", ",", "@", "%": return true
            default: return false
            }
        }
        return plain ? text : quote(text)
    }
}

/// Reads a command as /bin/sh would, just far enough to know the quoting context of each reference:
/// unquoted words, `'…'`, `"…"`, backslash escapes, `$(…)`, `` `…` ``, `${…}`, comments and
/// here-documents.
struct ShellLexer {
    private enum Frame {
        /// Unquoted text: the command itself, or the inside of `$(…)` (with its open parentheses),
        /// `` `…` `` or `${…}` (with its open braces).
        case command(Nesting, depth: Int)
        case single
        case double
    }

    private enum Nesting {
        case top, dollarParen, backtick, dollarBrace
    }

    private let scalars: [Unicode.Scalar]
    /// Each reference by the offset of its `{{`: its end offset and its text.
    private let references: [Int: (end: Int, text: String, name: String?, raw: Bool)]
    private let order: [Int]

    init(_ command: String) {
        scalars = Array(command.unicodeScalars)
        var references: [Int: (end: Int, text: String, name: String?, raw: Bool)] = [:]
        var order: [Int] = []
        for match in command.matches(of: Template.referencePattern) {
            let start = command.unicodeScalars.distance(from: command.unicodeScalars.startIndex, to: match.range.lowerBound)
            let text = String(match.output.0)
            let parsed = Template.parse(String(match.output.1))
            references[start] = (start + text.unicodeScalars.count, text, parsed.name, parsed.raw)
            order.append(start)
        }
        self.references = references
        self.order = order
    }

    func placements() -> [ShellTemplate.Placement] {
        var found: [Int: (ShellTemplate.Context?, String?)] = [:]
        var stack: [Frame] = [.command(.top, depth: 0)]
        var index = 0
        /// Where the current unquoted word started (for `#`).
        var atWordStart = true
        var heredocs: [(delimiter: String, stripTabs: Bool)] = []

        func place(_ start: Int, problem: String? = nil) {
            if let problem {
                found[start] = (nil, problem)
                return
            }
            let nested = stack.lazy.compactMap { frame -> Nesting? in
                if case .command(let nesting, _) = frame, nesting != .top { return nesting }
                return nil
            }.first
            if let nested {
                let construct =
                    switch nested {
                    case .dollarParen: "`$(…)`"
                    case .backtick: "backticks"
                    default: "`${…}`"
                    }
                found[start] = (
                    nil,
                    "a value inside \(construct) is parsed by that construct's own rules, which no quoting here covers; "
                        + "assign it to a variable first and use that (`v={{ x }}; … \"$(cmd \"$v\")\"`)"
                )
                return
            }
            switch stack.last {
            case .single: found[start] = (.singleQuoted, nil)
            case .double: found[start] = (.doubleQuoted, nil)
            default: found[start] = (.unquoted, nil)
            }
        }

        /// Marks every reference that starts in `range` with `problem`.
        func placeAll(in range: Range<Int>, problem: String) {
            for start in order where range.contains(start) { found[start] = (nil, problem) }
        }

        func at(_ offset: Int) -> Unicode.Scalar? { offset < scalars.count ? scalars[offset] : nil }

        /// What `\`, `$` before a reference, `$(` and `${` do, alike inside double quotes and in a
        /// command; true when `scalar` was one of them (and `index` moved past it).
        func expansion(_ scalar: Unicode.Scalar, _ next: Unicode.Scalar?) -> Bool {
            switch scalar {
            case "\\":
                if let reference = references[index + 1] {
                    place(index + 1, problem: Self.afterBackslash)
                    index = reference.end
                } else {
                    index += 2
                }
            case "$" where references[index + 1] != nil:
                place(index + 1, problem: Self.afterDollar)
                index = references[index + 1]!.end
            case "$" where next == "(":
                stack.append(.command(.dollarParen, depth: 0))
                index += 2
            case "$" where next == "{":
                stack.append(.command(.dollarBrace, depth: 0))
                index += 2
            default:
                return false
            }
            return true
        }

        while index < scalars.count {
            if let reference = references[index] {
                place(index)
                index = reference.end
                atWordStart = false
                continue
            }
            let scalar = scalars[index]
            let next = at(index + 1)
            switch stack.last! {
            case .single:
                if scalar == "'" { stack.removeLast() }
                index += 1
            case .double:
                if expansion(scalar, next) { continue }
                switch scalar {
                case "\"":
                    stack.removeLast()
                    index += 1
                case "`":
                    stack.append(.command(.backtick, depth: 0))
                    index += 1
                default:
                    index += 1
                }
            case .command(let nesting, let depth):
                let wordStart = atWordStart
                atWordStart = false
                switch scalar {
                case " ", "\t", ";", "&", "|", "(", ")", "<", ">", "\n":
                    atWordStart = true
                default: break
                }
                if expansion(scalar, next) { continue }
                switch scalar {
                case "'":
                    stack.append(.single)
                    index += 1
                case "\"":
                    stack.append(.double)
                    index += 1
                case "`":
                    if nesting == .backtick { stack.removeLast() } else { stack.append(.command(.backtick, depth: 0)) }
                    index += 1
                case "(" where nesting == .dollarParen:
                    stack[stack.count - 1] = .command(nesting, depth: depth + 1)
                    index += 1
                case ")" where nesting == .dollarParen:
                    if depth == 0 { stack.removeLast() } else { stack[stack.count - 1] = .command(nesting, depth: depth - 1) }
                    index += 1
                case "{" where nesting == .dollarBrace:
                    stack[stack.count - 1] = .command(nesting, depth: depth + 1)
                    index += 1
                case "}" where nesting == .dollarBrace:
                    if depth == 0 { stack.removeLast() } else { stack[stack.count - 1] = .command(nesting, depth: depth - 1) }
                    index += 1
                case "#" where wordStart:
                    var end = index
                    while end < scalars.count, scalars[end] != "\n" {
                        if let reference = references[end] { end = reference.end } else { end += 1 }
                    }
                    placeAll(
                        in: index..<end,
                        problem: "a reference in a comment can end the comment with a newline in its value; "
                            + "move it out of the comment, or remove it")
                    index = end
                case "<" where next == "<" && at(index + 2) == "<":
                    // bash's here-string: a word follows, as after any redirection.
                    index += 3
                    atWordStart = true
                case "<" where next == "<" && nesting == .top:
                    index += 2
                    var stripTabs = false
                    if at(index) == "-" {
                        stripTabs = true
                        index += 1
                    }
                    while at(index) == " " || at(index) == "\t" { index += 1 }
                    let delimiterStart = index
                    var delimiter = ""
                    var quote: Unicode.Scalar?
                    while let scalar = at(index) {
                        if let open = quote {
                            if scalar == open { quote = nil } else { delimiter.unicodeScalars.append(scalar) }
                        } else if scalar == "'" || scalar == "\"" {
                            quote = scalar
                        } else if scalar == "\\" {
                            if let escaped = at(index + 1) { delimiter.unicodeScalars.append(escaped) }
                            index += 1
                        } else if " \t\n;&|<>()".unicodeScalars.contains(scalar) {
                            break
                        } else {
                            delimiter.unicodeScalars.append(scalar)
                        }
                        index += 1
                    }
                    placeAll(in: delimiterStart..<index, problem: Self.inHeredoc)
                    heredocs.append((delimiter, stripTabs))
                    atWordStart = false
                case "\n" where nesting == .top && !heredocs.isEmpty:
                    index += 1
                    let bodyStart = index
                    for heredoc in heredocs {
                        while index < scalars.count {
                            var end = index
                            while end < scalars.count, scalars[end] != "\n" { end += 1 }
                            var line = String(String.UnicodeScalarView(scalars[index..<end]))
                            if heredoc.stripTabs { line = String(line.drop { $0 == "\t" }) }
                            index = min(end + 1, scalars.count)
                            if line == heredoc.delimiter { break }
                        }
                    }
                    placeAll(in: bodyStart..<index, problem: Self.inHeredoc)
                    heredocs = []
                    atWordStart = true
                default:
                    index += 1
                }
            }
        }
        return order.map { start in
            let reference = references[start]!
            let (context, problem) = found[start] ?? (.unquoted, nil)
            return ShellTemplate.Placement(
                name: reference.name, raw: reference.raw, context: context, problem: problem, offset: start,
                text: reference.text)
        }
    }

    private static let afterBackslash =
        "a reference right after `\\` would have its first character escaped, not quoted; remove the backslash"
    private static let afterDollar =
        "a reference right after `$` would make the value part of an expansion; separate them, or write `${…}` in full"
    private static let inHeredoc =
        "a value in a here-document is not quoted by the shell (a line of its own can end it); pass it on the "
        + "command line instead (`printf '%s\\n' {{ x }} | cmd`)"
}
