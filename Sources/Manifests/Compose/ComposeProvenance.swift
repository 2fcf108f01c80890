/// Where the values of a merged compose project came from: every time a later file (an overlay, an
/// extending service, a local definition over an included one) changed a value, what it wrote, where,
/// and what was there before.
struct ComposeProvenance: Sendable, Equatable {
    struct Change: Sendable, Equatable {
        enum Action: String, Sendable, Equatable {
            /// A value (or list entry) replaced by one with the same key.
            case replaced
            /// A key or list entry that was not there before.
            case added
            /// `!reset`: the value was removed.
            case reset
            /// `!override`: the value was replaced whole, without merging.
            case overridden
            /// A service took the settings of the service it `extends` (`old` is where that one is).
            case extended
        }

        /// Dotted path of the value (`services.web.ports[1]`).
        var path: String
        var action: Action
        /// Where the new value was written (nil for a reset without a value).
        var new: SourceLocation?
        var newText: String?
        /// Where the previous value was written, and what it was.
        var old: SourceLocation?
        var oldText: String?
    }

    var changes: [Change] = []

    /// The changes at `path` or below it, in the order they happened.
    func changes(under path: String) -> [Change] {
        changes.filter { $0.path == path || $0.path.hasPrefix(path + ".") || $0.path.hasPrefix(path + "[") }
    }

    /// `a.b[2]` from path components (`["a", "b", "[2]"]`).
    static func dotted(_ components: [String]) -> String {
        var result = ""
        for component in components {
            if component.hasPrefix("[") || result.isEmpty {
                result += component
            } else {
                result += "." + component
            }
        }
        return result
    }
}
