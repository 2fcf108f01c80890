/// The shape a compose value must have, as the Compose Specification's JSON schema
/// (compose-spec/compose-spec `schema/compose-spec.json`) gives it: which keys a mapping may hold,
/// whether a value is a scalar, a list or a mapping, and which kinds of scalar it accepts.
///
/// A null is accepted anywhere (compose reads it as "not set"). Values that came from interpolation
/// are text whatever they look like, so their kind is not checked here; the semantic checks read them.
indirect enum ComposeShape: Sendable {
    /// Anything.
    case any
    /// A scalar of one of these kinds.
    case value(ComposeScalarKinds)
    /// A mapping with these keys only, of which `required` must be written; `x-` keys are allowed when
    /// `extensions` is true.
    case object([String: ComposeShape], extensions: Bool = true, required: [String] = [])
    /// A mapping whose keys the user chooses (names, variables, labels), each value of one shape.
    case dictionary(ComposeShape, names: Bool = false)
    /// A list of items of one shape.
    case list(ComposeShape)
    /// One of several shapes, told apart by the kind of node written.
    case choice(scalar: ComposeShape?, list: ComposeShape?, mapping: ComposeShape?)

    /// What the shape accepts, for messages: "a mapping", "a list or a mapping", …
    var expectation: String {
        switch self {
        case .any: return "anything"
        case .value(let kinds): return kinds.expectation
        case .object, .dictionary: return "a mapping"
        case .list: return "a list"
        case .choice(let scalar, let list, let mapping):
            var kinds: [String] = []
            if scalar != nil { kinds.append("a single value") }
            if list != nil { kinds.append("a list") }
            if mapping != nil { kinds.append("a mapping") }
            return kinds.joined(separator: " or ")
        }
    }

    /// A string, number or boolean (the schema's `string`, `number`, `boolean` union, or a key compose
    /// casts from text, such as `privileged` or `retries`).
    static let scalar = ComposeShape.value(.all)
    /// Text only: a plain `1000` or `true` is refused (`must be a string`).
    static let string = ComposeShape.value(.text)
    /// Text or a number, not a boolean (`driver_opts` values, `expose`, `cpus`).
    static let stringOrNumber = ComposeShape.value([.text, .number])
    /// Text or a whole number (`scale`, `replicas`, `ulimits`; compose casts the text).
    static let stringOrInteger = ComposeShape.value([.text, .integer])
    /// Text or a boolean (`privileged`, `read_only`, `external`; compose casts the text).
    static let stringOrBoolean = ComposeShape.value([.text, .boolean])
    /// `true` or `false` only, with no cast from text (`use_api_socket`, `initial_sync`).
    static let boolean = ComposeShape.value(.boolean)
    /// A whole number only (`context_size`).
    static let integer = ComposeShape.value(.integer)
    /// A number only (`priority`).
    static let number = ComposeShape.value(.number)

    static let stringOrList = ComposeShape.choice(scalar: .string, list: .list(.string), mapping: nil)
    static let listOfStrings = ComposeShape.list(.string)
    static let listOrDict = ComposeShape.choice(scalar: nil, list: .list(.string), mapping: .dictionary(.scalar))
    static let command = ComposeShape.choice(scalar: .string, list: .list(.string), mapping: nil)
    static let options = ComposeShape.dictionary(.stringOrNumber)
    static let extraHosts = ComposeShape.choice(
        scalar: nil, list: .list(.string), mapping: .dictionary(.choice(scalar: .string, list: .list(.string), mapping: nil)))
}

/// The kinds of scalar a compose key accepts.
struct ComposeScalarKinds: OptionSet, Sendable {
    let rawValue: Int

    /// A string: anything quoted, or plain text YAML 1.2 reads as neither a number nor a boolean.
    static let text = ComposeScalarKinds(rawValue: 1)
    /// Any number, whole or not.
    static let number = ComposeScalarKinds(rawValue: 2)
    /// A whole number (a number with no fractional part, as JSON Schema's `integer`).
    static let integer = ComposeScalarKinds(rawValue: 4)
    static let boolean = ComposeScalarKinds(rawValue: 8)
    static let all: ComposeScalarKinds = [.text, .number, .integer, .boolean]

    /// Whether a scalar written this way is of an accepted kind.
    func accepts(_ scalar: YAMLScalar) -> Bool {
        if scalar.bool != nil { return contains(.boolean) }
        if let number = scalar.double {
            return contains(.number) || (contains(.integer) && number.rounded() == number)
        }
        return contains(.text)
    }

    /// What the kinds accept, for messages: "text", "text or a number", …
    var expectation: String {
        if self == .all { return "a single value (text, number or boolean)" }
        var kinds: [String] = []
        if contains(.text) { kinds.append("text") }
        if contains(.number) {
            kinds.append("a number")
        } else if contains(.integer) {
            kinds.append("a whole number")
        }
        if contains(.boolean) { kinds.append("a boolean (`true` or `false`)") }
        return kinds.joined(separator: " or ")
    }
}
