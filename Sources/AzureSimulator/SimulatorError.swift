import JSONDocument
/// What went wrong loading a scenario or starting the simulator, written for the person running it.
public struct SimulatorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file concerned, when there is one.
    public var file: String?
    /// What is wrong and, where it helps, what to do about it.
    public var message: String

    /// An error about `file` (nil when no file is involved).
    public init(file: String? = nil, _ message: String) {
        self.file = file
        self.message = message
    }

    /// `file: error: message`, the form the rest of deployer's diagnostics take.
    public var description: String {
        if let file { return "\(file): error: \(message)" }
        return "error: \(message)"
    }
}
