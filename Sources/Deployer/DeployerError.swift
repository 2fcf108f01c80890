public import Foundation

/// An error of the engine, written for the user.
public struct DeployerError: Error, LocalizedError, CustomStringConvertible, Sendable {
    public var message: String
    /// What to do about it.
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message)\n\($0)" } ?? message }
    public var errorDescription: String? { description }
}
