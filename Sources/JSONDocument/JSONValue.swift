public import Foundation

/// A JSON document kept as data, so that a resource round-trips exactly: an Application Gateway read
/// from ARM is written back whole with every section deployer does not model as it was, and the ARM
/// simulator stores what clients sent (a gateway's unknown sections, a scale set's model) as sent.
public enum JSONValue: Sendable, Equatable, Codable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A whole number.
    case int(Int)
    /// A number with a fraction.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Decodes any JSON value (booleans before numbers, so `true` never becomes 1).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as the JSON it stands for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value):
            // Whole numbers as integers: ARM rejects `60.0` where an int is declared.
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a body; nil for an empty or non-JSON body.
    public static func parse(_ data: Data) -> JSONValue? {
        guard !data.isEmpty else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Compact JSON text with sorted keys, so equal documents serialise identically.
    public var data: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    /// The member of an object (nil for anything else or a missing key).
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let members) = self { return members[key] }
            return nil
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The member at a path of keys, e.g. `["properties", "provisioningState"]`.
    public subscript(path path: [String]) -> JSONValue? {
        get {
            var current: JSONValue? = self
            for key in path { current = current?[key] }
            return current
        }
        set {
            guard let first = path.first else {
                if let newValue { self = newValue }
                return
            }
            var child = self[first] ?? .object([:])
            if path.count == 1 {
                self[first] = newValue
            } else {
                child[path: Array(path.dropFirst())] = newValue
                self[first] = child
            }
        }
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number as an integer, when it is a whole one.
    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value == value.rounded(): return Int(value)
        default: return nil
        }
    }

    /// The elements, when this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, when this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// RFC 7396 merge patch: objects merge member by member, `null` deletes, anything else replaces.
    public func merging(patch: JSONValue) -> JSONValue {
        guard case .object(let patchMembers) = patch else { return patch }
        var members = objectValue ?? [:]
        for (key, value) in patchMembers {
            if value == .null {
                members[key] = nil
            } else {
                members[key] = (members[key] ?? .null).merging(patch: value)
            }
        }
        return .object(members)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A JSON string from a literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A JSON number from a literal.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A JSON boolean from a literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A JSON array from a literal.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// JSON null from `nil`.
    public init(nilLiteral: ()) { self = .null }
    /// A JSON object from a literal.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: Reading ARM documents

/// ARM treats property names case-insensitively; these read a document that way, and give `.null`,
/// `nil` or `[]` for anything missing, so that a long path reads in one expression.
extension JSONValue {
    /// A member of an object, found case-insensitively; `.null` otherwise.
    public func member(_ key: String) -> JSONValue {
        guard case .object(let members) = self else { return .null }
        if let exact = members[key] { return exact }
        return members.first { $0.key.caseInsensitiveCompare(key) == .orderedSame }?.value ?? .null
    }

    /// Sets a member, replacing one whose name differs only in case (the document keeps ARM's spelling).
    public mutating func setMember(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        let existing = members.keys.first { $0.caseInsensitiveCompare(key) == .orderedSame } ?? key
        members[existing] = value
        self = .object(members)
    }

    /// Follows a dotted path of member names (`properties.upgradePolicy.mode`), case-insensitively.
    public func at(_ path: String) -> JSONValue {
        path.split(separator: ".").reduce(self) { $0.member(String($1)) }
    }

    /// The string, when this is one.
    public var string: String? { stringValue }

    /// The boolean, when this is one.
    public var bool: Bool? { boolValue }

    /// The number (or a string holding one).
    public var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .string(let text): return Double(text)
        default: return nil
        }
    }

    /// The elements of an array; none for anything else.
    public var array: [JSONValue] { arrayValue ?? [] }

    public var isNull: Bool { self == .null }
}
