import Deployer
import Foundation
import Manifests

/// The exit codes documented in `deployer --help`.
enum ExitStatus: Int32 {
    case success = 0
    case failed = 1
    case badInput = 2
    case completedWithFailures = 3
    case locked = 4
    case interrupted = 5
    case aborted = 6
    /// The canary failed its verdict and was rolled back; the rest of the fleet was not touched.
    case canaryFailed = 7

    init(_ outcome: DeploySummary.Outcome) {
        switch outcome {
        case .succeeded, .nothingToDo: self = .success
        case .completedWithFailures: self = .completedWithFailures
        case .stopped: self = .failed
        case .interrupted: self = .interrupted
        case .aborted: self = .aborted
        case .canaryFailed: self = .canaryFailed
        }
    }
}

/// An error already explained to the user (or to be printed as is), with its exit status.
struct CommandFailure: Error {
    var message: String
    var code: ExitStatus

    init(_ message: String, code: ExitStatus) {
        self.message = message
        self.code = code
    }
}

/// Turns any error into one message for the user, and its exit status.
enum UserFacing {
    static func describe(_ error: any Error) -> String {
        switch error {
        case let manifest as ManifestError:
            return "the environment file has problems:\n" + manifest.diagnostics.map(\.description).joined(separator: "\n")
        case let held as LockHeld:
            return held.description
        case let state as StateError:
            return state.description
                + "\nCheck that this machine reaches the deploy state (`state:` in the environment file, "
                + "`deployer state show ENV`), then run the command again."
        case let deployer as DeployerError:
            return deployer.description
        case let described as any CustomStringConvertible:
            return described.description
        default:
            return (error as NSError).localizedDescription
        }
    }

    static func exitStatus(for error: any Error) -> ExitStatus {
        switch error {
        case is ManifestError: return .badInput
        case is LockHeld: return .locked
        case let failure as CommandFailure: return failure.code
        default: return .failed
        }
    }
}

/// Output for people: messages to stderr, with colour only on a terminal.
enum Console {
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var colorAllowed: Bool { ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    static func error(_ text: String) {
        // A closed stderr or stdout (a pipe whose reader went away) must never stop a deploy mid-way.
        try? FileHandle.standardError.write(contentsOf: Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func out(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
