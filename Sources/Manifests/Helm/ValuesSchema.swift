import Foundation
import JSONDocument

/// values.yaml checked against the chart's values.schema.json, as `helm lint`, `helm install` and
/// `helm template` check it (JSON Schema draft 7): each value the schema refuses is reported at that
/// value in values.yaml (a missing required key at the mapping that lacks it, a key the schema does
/// not allow at that key), naming the schema's place (`#/properties/image/properties/tag`).
///
/// Keywords checked: `type`, `enum`, `const`, `properties`, `required`, `additionalProperties`,
/// `patternProperties`, `propertyNames`, `minProperties`/`maxProperties`, `items` (one schema or a
/// tuple), `additionalItems`, `contains`, `minItems`/`maxItems`, `uniqueItems`, `minimum`/`maximum`,
/// `exclusiveMinimum`/`exclusiveMaximum`, `multipleOf`, `minLength`/`maxLength`, `pattern`, `allOf`,
/// `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, `dependencies`, and `$ref` within the file (`#/…`).
/// A `$ref` to another file or URL, and `format`, are not followed (Helm fetches the former).
struct ValuesSchema {
    let root: JSONValue

    init?(json text: String) {
        guard let root = JSONValue.parse(Data(text.utf8)) else { return nil }
        self.root = root
    }

    /// One value the schema refuses.
    struct Violation {
        var message: String
        var location: SourceLocation
    }

    /// The violations found so far, shared by the checks of one value and its children.
    final class Collector {
        var items: [Violation] = []
        func append(_ violation: Violation) { items.append(violation) }
    }

    func violations(of values: YAMLNode) -> [Violation] {
        let found = Collector()
        check(values, against: root, at: "#", path: [], into: found, depth: 0)
        return found.items
    }

    // MARK: - The JSON values of YAML values, as Helm reads values.yaml (YAML 1.1 scalars: `yes` is true, `0755` octal).

    static func json(_ node: YAMLNode) -> JSONValue {
        switch node.content {
        case .mapping(let pairs): return .object(Dictionary(pairs.map { ($0.key, json($0.value)) }, uniquingKeysWith: { _, last in last }))
        case .sequence(let items): return .array(items.map(json))
        case .scalar(let scalar):
            let text = scalar.text
            switch scalar.tag {
            case "tag:yaml.org,2002:null": return .null
            case "tag:yaml.org,2002:bool": return boolean(text).map(JSONValue.bool) ?? .string(text)
            case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float": return number(text) ?? .string(text)
            case .some: return .string(text)
            case nil: break
            }
            guard scalar.isPlain else { return .string(text) }
            if scalar.isNull { return .null }
            if let boolean = boolean(text) { return .bool(boolean) }
            return number(text) ?? .string(text)
        }
    }

    static func boolean(_ text: String) -> Bool? {
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return true
        case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    /// A plain scalar read as a number: decimal, `0x`, `0o`, `0b` and leading-zero octal integers,
    /// floats, `.inf`; nil for anything else.
    static func number(_ text: String) -> JSONValue? {
        var digits = Substring(text.replacingOccurrences(of: "_", with: ""))
        var negative = false
        if let sign = digits.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        switch digits {
        case ".inf", ".Inf", ".INF": return .double(negative ? -.infinity : .infinity)
        default: break
        }
        guard let first = digits.first, first.isASCII, first.isNumber || first == "." else { return nil }
        let integer: Int?
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            integer = Int(digits.dropFirst(2), radix: 16)
        } else if digits.hasPrefix("0b") || digits.hasPrefix("0B") {
            integer = Int(digits.dropFirst(2), radix: 2)
        } else if digits.hasPrefix("0o") || digits.hasPrefix("0O") {
            integer = Int(digits.dropFirst(2), radix: 8)
        } else if digits.count > 1, digits.hasPrefix("0"), digits.allSatisfy(\.isNumber) {
            integer = Int(digits.dropFirst(), radix: 8)
        } else {
            integer = Int(digits, radix: 10)
        }
        if let integer { return .int(negative ? -integer : integer) }
        guard digits.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }), let double = Double(digits) else { return nil }
        return .double(negative ? -double : double)
    }

    /// The JSON type names a value answers to (an integer is also a number; a whole float an integer).
    static func types(of value: JSONValue) -> [String] {
        switch value {
        case .null: return ["null"]
        case .bool: return ["boolean"]
        case .int: return ["integer", "number"]
        case .double(let double): return double.rounded() == double && double.isFinite ? ["integer", "number"] : ["number"]
        case .string: return ["string"]
        case .array: return ["array"]
        case .object: return ["object"]
        }
    }

    static func numeric(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let int): return Double(int)
        case .double(let double): return double
        default: return nil
        }
    }

    /// JSON Schema's equality: numbers by value (`1` is `1.0`), the rest structurally.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = numeric(a), let y = numeric(b) { return x == y }
        switch (a, b) {
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)): return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default: return a == b
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .string(let text): return "`\(text)`"
        case .bool(let bool): return "`\(bool)`"
        case .int(let int): return "`\(int)`"
        case .double(let double): return double.rounded() == double && abs(double) < 1e15 ? "`\(Int(double))`" : "`\(double)`"
        case .array, .object: return "`" + String(decoding: value.data, as: UTF8.self) + "`"
        }
    }

    private static func kindName(_ node: YAMLNode, _ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean `\(node.scalar?.text ?? "")`"
        case .int: return "an integer `\(node.scalar?.text ?? "")`"
        case .double: return "a number `\(node.scalar?.text ?? "")`"
        case .string(let text): return "a string `\(text)`"
        case .array: return "a list"
        case .object: return "a mapping"
        }
    }

    // MARK: - Checking

    private static func name(_ path: [String]) -> String { path.isEmpty ? "values.yaml" : "`" + path.joined(separator: ".") + "`" }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        for raw in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let part = (String(raw).removingPercentEncoding ?? String(raw)).replacingOccurrences(of: "~1", with: "/")
                .replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let members) where members[part] != nil: node = members[part]!
            case .array(let items) where Int(part).map(items.indices.contains) == true: node = items[Int(part)!]
            default: return nil
            }
        }
        return node
    }

    private func check(
        _ node: YAMLNode, against schemaValue: JSONValue, at place: String, path: [String], into found: Collector, depth: Int,
        owner: SourceLocation? = nil
    ) {
        guard depth < 64 else { return }
        if case .bool(let allowed) = schemaValue {
            if !allowed { found.append(Violation(message: "\(Self.name(path)) is not allowed here (values.schema.json \(place) is `false`)", location: node.location)) }
            return
        }
        guard case .object(let schema) = schemaValue else { return }
        func refuse(_ message: String, at location: SourceLocation? = nil) {
            found.append(Violation(message: "\(Self.name(path)) \(message) (values.schema.json \(place))", location: location ?? node.location))
        }
        if let reference = schema["$ref"]?.stringValue {
            // Draft 7: `$ref` stands alone; its siblings are not read. Other files and URLs are not followed.
            if let target = resolve(reference) { check(node, against: target, at: reference, path: path, into: found, depth: depth + 1, owner: owner) }
            return
        }
        let value = Self.json(node)
        if let wanted = schema["type"] {
            let names = (wanted.arrayValue ?? [wanted]).compactMap(\.stringValue)
            let has = Self.types(of: value)
            if !names.isEmpty, !names.contains(where: has.contains) {
                var message = "is \(Self.kindName(node, value)), but the schema wants " + names.map { Self.article($0) + " " + $0 }.joined(separator: " or ")
                if node.scalar?.isPlain == false, case .string(let text) = value, names.contains(where: { ["integer", "number", "boolean"].contains($0) }),
                    Self.number(text) != nil || Self.boolean(text) != nil
                {
                    message += "; remove the quotes"
                } else if names == ["string"], node.scalar != nil, value != .null {
                    message += "; quote it"
                }
                refuse(message)
                return
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(where: { Self.equal($0, value) }) {
            refuse("is \(Self.describe(value)), not one of " + options.map(Self.describe).joined(separator: ", "))
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            refuse("is \(Self.describe(value)), but the schema wants \(Self.describe(constant))")
        }
        switch (node.content, value) {
        case (.mapping(let pairs), _): checkObject(pairs, node, owner ?? node.location, schema, place, path, found, depth, refuse)
        case (.sequence(let items), _): checkArray(items, schema, place, path, found, depth, refuse)
        case (.scalar, .string(let text)): checkString(text, schema, refuse)
        case (.scalar, _): if let number = Self.numeric(value) { checkNumber(number, schema, refuse) }
        }
        for (index, branch) in (schema["allOf"]?.arrayValue ?? []).enumerated() {
            check(node, against: branch, at: "\(place)/allOf/\(index)", path: path, into: found, depth: depth + 1, owner: owner)
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let branches = schema[keyword]?.arrayValue else { continue }
            let results = branches.enumerated().map { index, branch in violations(node, branch, "\(place)/\(keyword)/\(index)", path, depth) }
            let matching = results.indices.filter { results[$0].isEmpty }
            if matching.isEmpty {
                refuse("matches none of the `\(keyword)` choices" + (results.first?.first.map { ": the first says it \(Self.inner($0.message, path))" } ?? ""))
            } else if keyword == "oneOf", matching.count > 1 {
                refuse("matches more than one of the `oneOf` choices (\(matching.map(String.init).joined(separator: ", "))), and must match exactly one")
            }
        }
        if let negated = schema["not"], violations(node, negated, "\(place)/not", path, depth).isEmpty {
            refuse("matches the schema's `not`, which it must not")
        }
        if let condition = schema["if"] {
            let holds = violations(node, condition, "\(place)/if", path, depth).isEmpty
            if holds, let then = schema["then"] {
                check(node, against: then, at: "\(place)/then", path: path, into: found, depth: depth + 1, owner: owner)
            } else if !holds, let otherwise = schema["else"] {
                check(node, against: otherwise, at: "\(place)/else", path: path, into: found, depth: depth + 1, owner: owner)
            }
        }
    }

    private func violations(_ node: YAMLNode, _ schema: JSONValue, _ place: String, _ path: [String], _ depth: Int) -> [Violation] {
        let found = Collector()
        check(node, against: schema, at: place, path: path, into: found, depth: depth + 1)
        return found.items
    }

    /// A violation's message without the value's name and the schema's place, to quote inside another.
    private static func inner(_ message: String, _ path: [String]) -> String {
        var text = Substring(message)
        if text.hasPrefix(name(path) + " ") { text = text.dropFirst(name(path).count + 1) }
        if let close = text.range(of: " (values.schema.json ", options: .backwards) { text = text[..<close.lowerBound] }
        return String(text)
    }

    private static func article(_ word: String) -> String { "aeiou".contains(word.first ?? "x") ? "an" : "a" }

    private func checkObject(
        _ pairs: [YAMLPair], _ node: YAMLNode, _ owner: SourceLocation, _ schema: [String: JSONValue], _ place: String, _ path: [String], _ found: Collector,
        _ depth: Int, _ refuse: (String, SourceLocation?) -> Void
    ) {
        let keys = Set(pairs.map(\.key))
        for required in (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue) where !keys.contains(required) {
            refuse("has no `\(required)`, which the schema requires", owner)
        }
        if let least = schema["minProperties"]?.intValue, pairs.count < least { refuse("has \(pairs.count) key(s), fewer than \(least)", owner) }
        if let most = schema["maxProperties"]?.intValue, pairs.count > most { refuse("has \(pairs.count) key(s), more than \(most)", owner) }
        let properties = schema["properties"]?.objectValue ?? [:]
        let patterns = (schema["patternProperties"]?.objectValue ?? [:]).sorted { $0.key < $1.key }
        for pair in pairs {
            let childPath = path + [pair.key]
            var matched = false
            if let property = properties[pair.key] {
                matched = true
                check(pair.value, against: property, at: "\(place)/properties/\(pair.key)", path: childPath, into: found, depth: depth + 1, owner: pair.keyLocation)
            }
            for (pattern, property) in patterns where Self.matches(pair.key, pattern) {
                matched = true
                check(pair.value, against: property, at: "\(place)/patternProperties/\(pattern)", path: childPath, into: found, depth: depth + 1, owner: pair.keyLocation)
            }
            if !matched, let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    var message = "\(Self.name(path)): `\(pair.key)` is not a value the schema allows here (values.schema.json \(place) has `additionalProperties: false`)"
                    if let guess = Suggestion.closest(to: pair.key, among: properties.keys.sorted()) { message += "; did you mean `\(guess)`?" }
                    found.append(Violation(message: message, location: pair.keyLocation))
                } else {
                    check(pair.value, against: additional, at: "\(place)/additionalProperties", path: childPath, into: found, depth: depth + 1, owner: pair.keyLocation)
                }
            }
            if let names = schema["propertyNames"] {
                let key = YAMLNode(content: .scalar(YAMLScalar(text: pair.key, isPlain: false)), location: pair.keyLocation)
                check(key, against: names, at: "\(place)/propertyNames", path: childPath, into: found, depth: depth + 1, owner: pair.keyLocation)
            }
        }
        for (key, dependency) in schema["dependencies"]?.objectValue ?? [:] where keys.contains(key) {
            if let needed = dependency.arrayValue {
                for other in needed.compactMap(\.stringValue) where !keys.contains(other) {
                    refuse("has `\(key)` but not `\(other)`, which the schema requires with it", owner)
                }
            } else {
                check(node, against: dependency, at: "\(place)/dependencies/\(key)", path: path, into: found, depth: depth + 1, owner: owner)
            }
        }
    }

    private func checkArray(
        _ items: [YAMLNode], _ schema: [String: JSONValue], _ place: String, _ path: [String], _ found: Collector, _ depth: Int,
        _ refuse: (String, SourceLocation?) -> Void
    ) {
        if let least = schema["minItems"]?.intValue, items.count < least { refuse("has \(items.count) item(s), fewer than \(least)", nil) }
        if let most = schema["maxItems"]?.intValue, items.count > most { refuse("has \(items.count) item(s), more than \(most)", nil) }
        if schema["uniqueItems"] == .bool(true) {
            let values = items.map(Self.json)
            for index in values.indices {
                guard let first = values[..<index].firstIndex(where: { Self.equal($0, values[index]) }) else { continue }
                refuse("has item \(index + 1) equal to item \(first + 1) (line \(items[first].location.line)), and the schema wants each once", items[index].location)
            }
        }
        func itemPath(_ index: Int) -> [String] { path.dropLast() + [(path.last ?? "") + "[\(index)]"] }
        if let tuple = schema["items"]?.arrayValue {
            for (index, item) in items.enumerated() {
                if index < tuple.count {
                    check(item, against: tuple[index], at: "\(place)/items/\(index)", path: itemPath(index), into: found, depth: depth + 1)
                } else if let additional = schema["additionalItems"] {
                    check(item, against: additional, at: "\(place)/additionalItems", path: itemPath(index), into: found, depth: depth + 1)
                }
            }
        } else if let every = schema["items"] {
            for (index, item) in items.enumerated() {
                check(item, against: every, at: "\(place)/items", path: itemPath(index), into: found, depth: depth + 1)
            }
        }
        if let contains = schema["contains"], !items.contains(where: { violations($0, contains, "\(place)/contains", path, depth).isEmpty }) {
            refuse("has no item that matches the schema's `contains`", nil)
        }
    }

    private func checkString(_ text: String, _ schema: [String: JSONValue], _ refuse: (String, SourceLocation?) -> Void) {
        let length = text.unicodeScalars.count
        if let least = schema["minLength"]?.intValue, length < least { refuse("is \(length) character(s) long, shorter than \(least)", nil) }
        if let most = schema["maxLength"]?.intValue, length > most { refuse("is \(length) character(s) long, longer than \(most)", nil) }
        if let pattern = schema["pattern"]?.stringValue, !Self.matches(text, pattern) {
            refuse("is `\(text)`, which does not match the pattern `\(pattern)`", nil)
        }
    }

    private func checkNumber(_ number: Double, _ schema: [String: JSONValue], _ refuse: (String, SourceLocation?) -> Void) {
        let shown = Self.describe(.double(number))
        func bound(_ key: String) -> Double? { schema[key].flatMap(Self.numeric) }
        if let least = bound("minimum"), number < least { refuse("is \(shown), below the minimum \(Self.describe(.double(least)))", nil) }
        if let most = bound("maximum"), number > most { refuse("is \(shown), above the maximum \(Self.describe(.double(most)))", nil) }
        if let limit = bound("exclusiveMinimum"), number <= limit { refuse("is \(shown), and must be above \(Self.describe(.double(limit)))", nil) }
        if let limit = bound("exclusiveMaximum"), number >= limit { refuse("is \(shown), and must be below \(Self.describe(.double(limit)))", nil) }
        if let step = bound("multipleOf"), step > 0 {
            let ratio = number / step
            if abs(ratio - ratio.rounded()) > 1e-9 { refuse("is \(shown), not a multiple of \(Self.describe(.double(step)))", nil) }
        }
    }

    /// ECMA-262 patterns as JSON Schema writes them, through NSRegularExpression (unanchored, as the
    /// standard says); a pattern it cannot read refuses nothing.
    private static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return true }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
