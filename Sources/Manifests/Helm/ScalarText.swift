import Foundation

/// Where a one-line scalar is written in a file's text, and how to write a new value in its style,
/// so a value can be replaced without re-serialising (and reformatting) the YAML around it.
struct ScalarText {
    enum Style: Equatable {
        case plain, singleQuoted, doubleQuoted
    }

    /// Offsets in the text's Unicode scalars: the scalar's written form, quotes included.
    var range: Range<Int>
    var style: Style

    /// Finds the written form of `node` (a scalar) in `scalars`, or nil when it is not a one-line
    /// plain or quoted scalar whose text reads back as the node's value (block scalars, multi-line
    /// plain scalars, escapes the node's value does not round-trip).
    static func locate(_ node: YAMLNode, in scalars: [Unicode.Scalar]) -> ScalarText? {
        guard let value = node.scalar, let start = offset(of: node.location, in: scalars) else { return nil }
        guard let (end, style) = extent(from: start, in: scalars) else { return nil }
        let raw = String(String.UnicodeScalarView(scalars[start..<end]))
        guard decode(raw, style: style) == value.text else { return nil }
        return ScalarText(range: start..<end, style: style)
    }

    /// The offset of a 1-based line and column (columns counted in Unicode scalars).
    static func offset(of location: SourceLocation, in scalars: [Unicode.Scalar]) -> Int? {
        var line = 1
        var index = 0
        while line < location.line {
            guard index < scalars.count else { return nil }
            if scalars[index] == "\n" { line += 1 }
            index += 1
        }
        let offset = index + location.column - 1
        guard offset <= scalars.count, !scalars[index..<offset].contains("\n") else { return nil }
        return offset
    }

    /// The end of the scalar starting at `start`, and its style.
    static func extent(from start: Int, in scalars: [Unicode.Scalar]) -> (Int, Style)? {
        guard start <= scalars.count else { return nil }
        let first = start < scalars.count ? scalars[start] : "\n"
        if first == "\"" || first == "'" {
            var end = start + 1
            while end < scalars.count, scalars[end] != "\n" {
                if first == "\"", scalars[end] == "\\" {
                    end += 2
                    continue
                }
                if scalars[end] == first {
                    if first == "'", end + 1 < scalars.count, scalars[end + 1] == "'" {
                        end += 2
                        continue
                    }
                    return (end + 1, first == "\"" ? .doubleQuoted : .singleQuoted)
                }
                end += 1
            }
            return nil
        }
        if first == "|" || first == ">" { return nil }
        var end = start
        while end < scalars.count {
            let c = scalars[end]
            if c == "\n" || c == "\r" || c == "," || c == "}" || c == "]" { break }
            if c == ":", end + 1 == scalars.count || [" ", "\n", "\r", "\t"].contains(scalars[end + 1]) { break }
            if c == "#", end > start, scalars[end - 1] == " " || scalars[end - 1] == "\t" { break }
            end += 1
        }
        while end > start, scalars[end - 1] == " " || scalars[end - 1] == "\t" { end -= 1 }
        return (end, .plain)
    }

    /// The value a written scalar stands for (the escapes deployer writes and common ones).
    static func decode(_ raw: String, style: Style) -> String? {
        switch style {
        case .plain:
            return raw
        case .singleQuoted:
            return String(raw.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        case .doubleQuoted:
            var result = ""
            var escaping = false
            for character in raw.dropFirst().dropLast() {
                if escaping {
                    switch character {
                    case "\\", "\"", "/": result.append(character)
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    default: return nil
                    }
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else {
                    result.append(character)
                }
            }
            return escaping ? nil : result
        }
    }

    /// `value` written in `style`; a plain style becomes double-quoted when YAML would otherwise
    /// read the value as something other than the same string (a number, a boolean, null, …).
    static func render(_ value: String, style: Style) -> String {
        switch style {
        case .plain where !needsQuotes(value):
            return value
        case .plain, .doubleQuoted:
            return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .singleQuoted:
            return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        }
    }

    /// Whether a plain scalar with this text would not read back as this string, in YAML 1.2 or in
    /// the YAML 1.1 readers Helm uses.
    static func needsQuotes(_ value: String) -> Bool {
        let scalar = YAMLScalar(text: value, isPlain: true, tag: nil)
        if value.isEmpty || scalar.kindDescription != "a string" || scalar.yaml11Reading != nil { return true }
        if let first = value.unicodeScalars.first, "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return true }
        if value.contains(": ") || value.contains(" #") || value.hasSuffix(":") { return true }
        if value.first == " " || value.last == " " || value.contains("\n") || value.contains("\t") { return true }
        // YAML 1.1 floats such as `1e3` or `.5`, and timestamps.
        if value.wholeMatch(of: /[-+]?([0-9][0-9_]*)?\.?[0-9]+([eE][-+]?[0-9]+)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*/) != nil {
            return true
        }
        return false
    }
}
