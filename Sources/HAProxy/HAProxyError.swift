/// What went wrong talking to one HAProxy runtime API, in words for the user.
public struct HAProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// A name or argument that could change the meaning of a command; nothing was sent.
        case invalidArgument
        /// The socket could not be reached (missing, refused, no route).
        case unreachable
        /// No complete answer within the timeout.
        case timeout
        /// HAProxy answered a mutation with text: it refused it ("No such server.", "Permission denied").
        case refused
        /// The answer could not be understood.
        case unexpectedReply
        /// A change was accepted but reading the state back shows something else.
        case notConfirmed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
