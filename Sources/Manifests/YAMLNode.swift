import Foundation

/// A YAML node with the place it was written, as the manifest loaders read it.
///
/// Scalars keep their text; their type is resolved with the YAML 1.2 core schema (so `yes`, `22:22`
/// and `0755` are strings), and the YAML 1.1 readings are only used to warn.
struct YAMLNode: Sendable {
    enum Content: Sendable {
        case scalar(YAMLScalar)
        /// Pairs in file order, duplicates kept (they are reported by the parser).
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    var content: Content
    var location: SourceLocation
    /// An explicit tag written on a mapping or a sequence (`!reset`, `!override`); a scalar's tag is
    /// in its `YAMLScalar`.
    var tag: String? = nil

    /// The explicit tag of the node, whatever its kind.
    var anyTag: String? { tag ?? scalar?.tag }

    var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    var items: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    var isNull: Bool { scalar?.isNull ?? false }

    /// The value under `key`, the last one when the key is repeated (as YAML loaders do).
    subscript(key: String) -> YAMLNode? {
        pairs?.last { $0.key == key }?.value
    }

    /// What the node is, for messages: "a mapping", "a list", "a string", "a number", …
    var kindDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar): return scalar.kindDescription
        }
    }

    /// The node written back as compact flow YAML (for variables that are not scalars).
    var flowText: String {
        switch content {
        case .scalar(let scalar):
            if scalar.isPlain { return scalar.text }
            return "\"" + scalar.text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .sequence(let items):
            return "[" + items.map(\.flowText).joined(separator: ", ") + "]"
        case .mapping(let pairs):
            return "{" + pairs.map { "\($0.key): \($0.value.flowText)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A mapping entry; `key` is the key's text.
struct YAMLPair: Sendable {
    var key: String
    var keyLocation: SourceLocation
    var value: YAMLNode
}

/// A scalar: its text, whether it was written plain (unquoted), and its explicit tag if any.
struct YAMLScalar: Sendable {
    var text: String
    var isPlain: Bool
    /// An explicit tag such as `tag:yaml.org,2002:str` or `!vault`; nil when none was written.
    var tag: String?

    /// A plain empty, `~` or `null` scalar.
    var isNull: Bool {
        guard isPlain, tag == nil else { return tag == "tag:yaml.org,2002:null" }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// The boolean a plain `true`/`false` stands for (YAML 1.2 core schema).
    var bool: Bool? {
        guard isPlain, tag == nil || tag == "tag:yaml.org,2002:bool" else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// The integer a plain decimal, `0x` or `0o` number stands for.
    var int: Int? {
        guard isPlain, tag == nil || tag == "tag:yaml.org,2002:int" else { return nil }
        if text.hasPrefix("0x") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int(text.dropFirst(2), radix: 8) }
        guard ScalarShape.isDecimalInteger(text) else { return nil }
        return Int(text)
    }

    /// The number a plain integer or float stands for.
    var double: Double? {
        if let int { return Double(int) }
        guard isPlain, tag == nil || tag == "tag:yaml.org,2002:float" else { return nil }
        guard ScalarShape.isFloat(text) else { return nil }
        return Double(text)
    }

    var kindDescription: String {
        if isNull { return "null" }
        if bool != nil { return "a boolean" }
        if double != nil { return "a number" }
        return "a string"
    }

    /// What a YAML 1.1 reader (PyYAML, Ansible, older tools) would turn this plain scalar into, when
    /// that differs from the string it is for us: `yes` → boolean, `22:22` → 1342, `0755` → 493,
    /// `1.10` → 1.1.
    var yaml11Reading: String? {
        guard isPlain, tag == nil else { return nil }
        if ScalarShape.yaml11Booleans.contains(text) {
            return "the boolean \(["y", "yes", "on"].contains(text.lowercased()) ? "true" : "false")"
        }
        if ScalarShape.isSexagesimal(text) {
            return "a sexagesimal (base 60) number"
        }
        if ScalarShape.isOctal(text), text.count > 1 {
            return "an octal number"
        }
        if ScalarShape.isFloatEndingInZero(text) {
            return "the number \(Double(text).map { "\($0)" } ?? text)"
        }
        return nil
    }
}

/// The shapes of plain scalars that YAML 1.2 and YAML 1.1 resolve to numbers and booleans, matched by
/// hand: every plain scalar of every file is looked at, and a regular expression would be parsed
/// again at each use.
enum ScalarShape {
    static let yaml11Booleans: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
    ]

    /// A cursor over the scalar's bytes.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0
        init(_ text: String) { bytes = Array(text.utf8) }
        var atEnd: Bool { index == bytes.count }
        var next: UInt8? { index < bytes.count ? bytes[index] : nil }
        mutating func take(_ accepted: (UInt8) -> Bool) -> Bool {
            guard let next, accepted(next) else { return false }
            index += 1
            return true
        }
        /// Takes as many as match; how many.
        @discardableResult
        mutating func takeAll(_ accepted: (UInt8) -> Bool) -> Int {
            var count = 0
            while take(accepted) { count += 1 }
            return count
        }
        mutating func takeSign() { _ = take { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") } }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isDigitOrUnderscore(_ byte: UInt8) -> Bool { isDigit(byte) || byte == UInt8(ascii: "_") }
    private static func isDot(_ byte: UInt8) -> Bool { byte == UInt8(ascii: ".") }

    /// `[-+]?[0-9]+`
    static func isDecimalInteger(_ text: String) -> Bool {
        var cursor = Cursor(text)
        cursor.takeSign()
        return cursor.takeAll(isDigit) > 0 && cursor.atEnd
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isFloat(_ text: String) -> Bool {
        var cursor = Cursor(text)
        cursor.takeSign()
        if cursor.take(isDot) {
            guard cursor.takeAll(isDigit) > 0 else { return false }
        } else {
            guard cursor.takeAll(isDigit) > 0 else { return false }
            if cursor.take(isDot) { cursor.takeAll(isDigit) }
        }
        if cursor.take({ $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            cursor.takeSign()
            guard cursor.takeAll(isDigit) > 0 else { return false }
        }
        return cursor.atEnd
    }

    /// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`
    static func isSexagesimal(_ text: String) -> Bool {
        var cursor = Cursor(text)
        cursor.takeSign()
        guard cursor.take(isDigit) else { return false }
        cursor.takeAll(isDigitOrUnderscore)
        var groups = 0
        while cursor.take({ $0 == UInt8(ascii: ":") }) {
            // [0-5]?[0-9]: one or two digits, the first of two at most 5.
            let start = cursor.index
            let digits = cursor.takeAll(isDigit)
            guard digits == 1 || (digits == 2 && cursor.bytes[start] <= UInt8(ascii: "5")) else { return false }
            groups += 1
        }
        guard groups > 0 else { return false }
        if cursor.take(isDot) { cursor.takeAll(isDigitOrUnderscore) }
        return cursor.atEnd
    }

    /// `[-+]?0[0-7_]+`
    static func isOctal(_ text: String) -> Bool {
        var cursor = Cursor(text)
        cursor.takeSign()
        guard cursor.take({ $0 == UInt8(ascii: "0") }) else { return false }
        let rest = cursor.takeAll { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7")) || $0 == UInt8(ascii: "_") }
        return rest > 0 && cursor.atEnd
    }

    /// `[-+]?[0-9]+\.[0-9]*0`
    static func isFloatEndingInZero(_ text: String) -> Bool {
        var cursor = Cursor(text)
        cursor.takeSign()
        guard cursor.takeAll(isDigit) > 0, cursor.take(isDot) else { return false }
        let fraction = cursor.index
        cursor.takeAll(isDigit)
        return cursor.atEnd && cursor.index > fraction && cursor.bytes[cursor.index - 1] == UInt8(ascii: "0")
    }
}
