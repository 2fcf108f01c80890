/// Finds the first syntax error in JSON text, with its line and column (JSONSerialization only gives
/// a character offset, and not on every platform).
struct JSONSyntax {
    /// What is wrong and where (1-based line and column, in Unicode scalars), or nil for valid JSON.
    static func firstError(in text: String) -> (message: String, line: Int, column: Int)? {
        var checker = JSONSyntax(scalars: Array(text.unicodeScalars))
        do {
            checker.skipSpace()
            try checker.value(depth: 0)
            checker.skipSpace()
            if checker.index < checker.scalars.count { throw checker.failure("unexpected text after the JSON value") }
            return nil
        } catch let failure as Failure {
            return (failure.message, failure.line, failure.column)
        } catch {
            return ("invalid JSON", 1, 1)
        }
    }

    private struct Failure: Error {
        var message: String
        var line: Int
        var column: Int
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private func failure(_ message: String) -> Failure {
        var line = 1
        var column = 1
        for scalar in scalars[..<min(index, scalars.count)] {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return Failure(message: message, line: line, column: column)
    }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private mutating func skipSpace() {
        while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
    }

    private mutating func value(depth: Int) throws {
        guard depth < 512 else { throw failure("nested too deeply") }
        guard let c = current else { throw failure("the JSON ends where a value was expected") }
        switch c {
        case "{":
            index += 1
            skipSpace()
            if current == "}" { index += 1; return }
            while true {
                skipSpace()
                guard current == "\"" else { throw failure("expected a quoted member name") }
                try string()
                skipSpace()
                guard current == ":" else { throw failure("expected `:` after the member name") }
                index += 1
                skipSpace()
                try value(depth: depth + 1)
                skipSpace()
                if current == "," { index += 1; continue }
                if current == "}" { index += 1; return }
                throw failure(current == nil ? "the JSON ends inside an object; a `}` is missing" : "expected `,` or `}` in the object")
            }
        case "[":
            index += 1
            skipSpace()
            if current == "]" { index += 1; return }
            while true {
                skipSpace()
                try value(depth: depth + 1)
                skipSpace()
                if current == "," { index += 1; continue }
                if current == "]" { index += 1; return }
                throw failure(current == nil ? "the JSON ends inside an array; a `]` is missing" : "expected `,` or `]` in the array")
            }
        case "\"":
            try string()
        case "t": try literal("true")
        case "f": try literal("false")
        case "n": try literal("null")
        case "-", "0"..."9":
            try number()
        default:
            throw failure("unexpected character `\(c)`; expected a value")
        }
    }

    private mutating func literal(_ word: String) throws {
        let start = index
        for expected in word.unicodeScalars {
            guard current == expected else {
                index = start
                throw failure("expected `\(word)`")
            }
            index += 1
        }
    }

    private mutating func string() throws {
        index += 1
        while let c = current {
            switch c {
            case "\"":
                index += 1
                return
            case "\\":
                index += 1
                guard let escaped = current else { break }
                if escaped == "u" {
                    for _ in 0..<4 {
                        index += 1
                        guard let hex = current, hex.properties.isASCIIHexDigit else { throw failure("`\\u` needs four hex digits") }
                    }
                } else if !"\"\\/bfnrt".unicodeScalars.contains(escaped) {
                    throw failure("invalid escape `\\\(escaped)` in a string")
                }
                index += 1
            case "\n":
                throw failure("a string runs to the end of the line; a closing `\"` is missing")
            default:
                if c.value < 0x20 { throw failure("a control character in a string must be escaped") }
                index += 1
            }
        }
        throw failure("the JSON ends inside a string; a closing `\"` is missing")
    }

    private mutating func number() throws {
        let start = index
        if current == "-" { index += 1 }
        guard let first = current, ("0"..."9").contains(first) else { throw failure("expected digits") }
        if first == "0" {
            index += 1
        } else {
            while let c = current, ("0"..."9").contains(c) { index += 1 }
        }
        if current == "." {
            index += 1
            guard let c = current, ("0"..."9").contains(c) else { throw failure("expected digits after `.`") }
            while let c = current, ("0"..."9").contains(c) { index += 1 }
        }
        if current == "e" || current == "E" {
            index += 1
            if current == "+" || current == "-" { index += 1 }
            guard let c = current, ("0"..."9").contains(c) else { throw failure("expected digits in the exponent") }
            while let c = current, ("0"..."9").contains(c) { index += 1 }
        }
        if let c = current, ("0"..."9").contains(c) || c == "." {
            index = start
            throw failure("invalid number (a leading zero, or a second `.`)")
        }
    }
}
