/// The syntax of an env file as compose reads it (compose-go's dotenv format): `KEY=value`,
/// `KEY: value`, `export KEY=value`, a bare `KEY` (taken from the environment), `'single'` or
/// `"double"` quoted values that may span lines, and `#` comments. Names hold letters, digits, `_`
/// and `.`.
enum DotEnvSyntax {
    struct Problem: Equatable {
        var line: Int
        var column: Int
        var message: String
    }

    /// Every line compose would refuse, with its place (1-based, columns in Unicode scalars).
    static func problems(in text: String) -> [Problem] {
        let chars = Array(text.unicodeScalars)
        var problems: [Problem] = []
        var index = 0
        var line = 1
        var lineStart = 0
        var column: Int { index - lineStart + 1 }

        func peek(_ offset: Int = 0) -> Unicode.Scalar? { index + offset < chars.count ? chars[index + offset] : nil }
        func advance() {
            if chars[index] == "\n" {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        func skipToLineEnd() { while let c = peek(), c != "\n" { advance() } }
        func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" }

        while index < chars.count {
            while let c = peek(), isBlank(c) || c == "\n" { advance() }
            guard let first = peek() else { break }
            if first == "#" {
                skipToLineEnd()
                continue
            }
            if String(String.UnicodeScalarView(chars[index..<min(chars.count, index + 6)])) == "export",
                let after = peek(6), isBlank(after)
            {
                for _ in 0..<6 { advance() }
                while let c = peek(), isBlank(c) { advance() }
            }
            let keyColumn = column
            var key = ""
            var trailingBlank = false
            var bad: Problem?
            while let c = peek(), c != "=", c != ":", c != "\n" {
                if isBlank(c) {
                    trailingBlank = true
                } else if c == "_" || c == "." || c.properties.isAlphabetic || c.properties.numericType != nil {
                    if trailingBlank, bad == nil {
                        bad = Problem(line: line, column: column, message: "a variable name cannot contain a space")
                    }
                    key.unicodeScalars.append(c)
                } else if bad == nil {
                    bad = Problem(
                        line: line, column: column,
                        message: "unexpected character `\(c)` in a variable name; names hold letters, digits, `_` and `.`")
                }
                advance()
            }
            if let bad {
                problems.append(bad)
                skipToLineEnd()
                continue
            }
            if key.isEmpty {
                problems.append(Problem(line: line, column: keyColumn, message: "a value without a variable name; write `NAME=value`"))
                skipToLineEnd()
                continue
            }
            guard let separator = peek(), separator != "\n" else { continue }
            advance()
            while let c = peek(), isBlank(c) { advance() }
            guard let quote = peek(), quote == "\"" || quote == "'" else {
                skipToLineEnd()
                continue
            }
            let quoteLine = line
            let quoteColumn = column
            advance()
            var closed = false
            while let c = peek() {
                if c == quote, chars[index - 1] != "\\" {
                    closed = true
                    advance()
                    break
                }
                advance()
            }
            guard closed else {
                problems.append(
                    Problem(line: quoteLine, column: quoteColumn, message: "the quoted value of `\(key)` is never closed; add the closing \(quote)"))
                break
            }
            while let c = peek(), isBlank(c) { advance() }
            if let c = peek(), c != "\n", c != "#" {
                problems.append(
                    Problem(
                        line: line, column: column,
                        message: "text after the closing quote of `\(key)`; put it inside the quotes or start a comment with `#`"))
                skipToLineEnd()
            }
        }
        return problems
    }
}
