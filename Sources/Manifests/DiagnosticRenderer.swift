import Foundation

/// Turns diagnostics into text for a terminal, GitHub Actions annotations, or JSON.
///
/// All three are pure: the same diagnostics always give the same output, sorted by file, line and
/// column.
public enum DiagnosticRenderer {
    /// Compiler-style text: `file:line:column: error[rule]: message`, followed, when `sources` knows the
    /// file, by the source line and a caret under the column.
    ///
    /// - Parameters:
    ///   - sources: the text of a file by its path, or nil when it is not available.
    ///   - color: add ANSI colors (errors red, warnings yellow).
    public static func text(
        _ diagnostics: [Diagnostic], sources: (String) -> String?, color: Bool
    ) -> String {
        var cache: [String: [Substring]?] = [:]
        func lines(of file: String) -> [Substring]? {
            if let cached = cache[file] { return cached }
            let split = sources(file).map { $0.sourceLines }
            cache[file] = split
            return split
        }
        let bold = color ? "\u{1B}[1m" : ""
        let reset = color ? "\u{1B}[0m" : ""
        let blue = color ? "\u{1B}[1;34m" : ""
        var out: [String] = []
        for diagnostic in Diagnostic.ordered(diagnostics) {
            let tint = color ? (diagnostic.severity == .error ? "\u{1B}[1;31m" : "\u{1B}[1;33m") : ""
            let label = "\(tint)\(diagnostic.label)\(reset)"
            guard let location = diagnostic.location else {
                out.append("\(label): \(bold)\(diagnostic.message)\(reset)")
                continue
            }
            out.append("\(bold)\(location):\(reset) \(label): \(bold)\(diagnostic.message)\(reset)")
            guard let fileLines = lines(of: location.file), location.line >= 1, location.line <= fileLines.count
            else { continue }
            var sourceLine = String(fileLines[location.line - 1])
            if sourceLine.hasSuffix("\r") { sourceLine.removeLast() }
            if diagnostic.pointsAtSecret { sourceLine = redacted(sourceLine, from: location.column) }
            let number = String(location.line)
            let gutter = String(repeating: " ", count: number.count)
            // Columns count Unicode scalars; keep tabs so the caret lines up under them.
            let prefix = sourceLine.unicodeScalars.prefix(max(0, location.column - 1))
            let padding = String(prefix.map { $0 == "\t" ? "\t" : " " })
            out.append("\(blue)\(number) |\(reset) \(sourceLine)")
            out.append("\(blue)\(gutter) |\(reset) \(padding)\(tint)^\(reset)")
        }
        return out.joined(separator: "\n")
    }

    /// GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=RULE::message`.
    /// The line with the secret a finding points at hidden: the key (and its `=` or `:`) is kept when
    /// the finding points at a key; everything after it on the line is masked.
    /// The `key=` / `"key": ` that starts `text` (`["']?[A-Za-z0-9_.-]+["']?[ \t]*[=:][ \t]*`), if any.
    static func keyPrefix(_ text: String) -> Substring? {
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        func take(_ accepted: (Unicode.Scalar) -> Bool) -> Bool {
            guard index < scalars.endIndex, accepted(scalars[index]) else { return false }
            index = scalars.index(after: index)
            return true
        }
        let quote: (Unicode.Scalar) -> Bool = { $0 == "\"" || $0 == "'" }
        let name: (Unicode.Scalar) -> Bool = { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }
        let blank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
        _ = take(quote)
        guard take(name) else { return nil }
        while take(name) {}
        _ = take(quote)
        while take(blank) {}
        guard take({ $0 == "=" || $0 == ":" }) else { return nil }
        while take(blank) {}
        return Substring(text.unicodeScalars[scalars.startIndex..<index])
    }

    static func redacted(_ line: String, from column: Int) -> String {
        let scalars = Array(line.unicodeScalars)
        let start = min(max(0, column - 1), scalars.count)
        let rest = String(String.UnicodeScalarView(scalars[start...]))
        var kept = String(String.UnicodeScalarView(scalars[..<start]))
        if let key = keyPrefix(rest) { kept += key }
        return kept.count < line.unicodeScalars.count ? kept + "••••••" : kept
    }

    public static func github(_ diagnostics: [Diagnostic]) -> String {
        Diagnostic.ordered(diagnostics).map { diagnostic in
            var properties: [String] = []
            if let location = diagnostic.location {
                properties.append("file=\(escapeProperty(location.file))")
                properties.append("line=\(location.line)")
                properties.append("col=\(location.column)")
            }
            if let rule = diagnostic.rule {
                properties.append("title=\(escapeProperty(rule))")
            }
            let head = properties.isEmpty ? "" : " " + properties.joined(separator: ",")
            return "::\(diagnostic.severity.rawValue)\(head)::\(escapeData(diagnostic.message))"
        }.joined(separator: "\n")
    }

    /// A JSON array of `{"column", "file", "line", "message", "rule", "severity"}` objects, keys sorted;
    /// absent values are `null`.
    public static func json(_ diagnostics: [Diagnostic]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let records = Diagnostic.ordered(diagnostics).map(JSONRecord.init)
        guard let data = try? encoder.encode(records) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A GitHub Actions workflow command's message: `%`, CR and LF escaped.
    public static func escapeData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A GitHub Actions workflow command's property value: as data, and `:` and `,`.
    public static func escapeProperty(_ text: String) -> String {
        escapeData(text)
            .replacingOccurrences(of: ":", with: "%3A")
            .replacingOccurrences(of: ",", with: "%2C")
    }

    private struct JSONRecord: Encodable {
        var diagnostic: Diagnostic

        enum CodingKeys: String, CodingKey {
            case file, line, column, severity, rule, message
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            if let location = diagnostic.location {
                try container.encode(location.file, forKey: .file)
                try container.encode(location.line, forKey: .line)
                try container.encode(location.column, forKey: .column)
            } else {
                try container.encodeNil(forKey: .file)
                try container.encodeNil(forKey: .line)
                try container.encodeNil(forKey: .column)
            }
            try container.encode(diagnostic.severity.rawValue, forKey: .severity)
            if let rule = diagnostic.rule {
                try container.encode(rule, forKey: .rule)
            } else {
                try container.encodeNil(forKey: .rule)
            }
            try container.encode(diagnostic.message, forKey: .message)
        }
    }
}
