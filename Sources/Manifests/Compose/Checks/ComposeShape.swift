/// The shape a compose value must have, as the Compose Specification's JSON schema
/// (compose-spec/compose-spec `schema/compose-spec.json`) gives it: which keys a mapping may hold,
/// and whether a value is a scalar, a list or a mapping.
///
/// Scalars are not told apart (string, number, boolean): compose accepts text for nearly every scalar
/// so that interpolation fits (`retries: "3"`), and the values that matter are checked by the
/// semantic checks. A null is accepted anywhere (compose reads it as "not set").
indirect enum ComposeShape: Sendable {
    /// Anything.
    case any
    /// A string, number or boolean.
    case scalar
    /// A mapping with these keys only; `x-` keys are allowed when `extensions` is true.
    case object([String: ComposeShape], extensions: Bool = true)
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
        case .scalar: return "a single value (text, number or boolean)"
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

    static let stringOrList = ComposeShape.choice(scalar: .scalar, list: .list(.scalar), mapping: nil)
    static let listOfStrings = ComposeShape.list(.scalar)
    static let listOrDict = ComposeShape.choice(scalar: nil, list: .list(.scalar), mapping: .dictionary(.scalar))
    static let command = ComposeShape.choice(scalar: .scalar, list: .list(.scalar), mapping: nil)
    static let options = ComposeShape.dictionary(.scalar)
    static let extraHosts = ComposeShape.choice(
        scalar: nil, list: .list(.scalar), mapping: .dictionary(.choice(scalar: .scalar, list: .list(.scalar), mapping: nil)))
}
