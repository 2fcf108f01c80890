import Foundation
import Glibc

/// The one error type of the lab: a message written for the user, printed as `error: <message>`.
struct LabError: Error, CustomStringConvertible, Sendable, Equatable {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }

    /// A failed system call, with errno turned into words.
    static func system(_ what: String, errno code: Int32 = errno) -> LabError {
        LabError("\(what): \(SystemError.describe(code))")
    }
}

/// Short, lower-case descriptions of errno values, used in messages and failure tallies.
enum SystemError {
    static func describe(_ code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case ETIMEDOUT: return "timeout"
        case EADDRINUSE: return "address already in use"
        case EADDRNOTAVAIL: return "no free local address"
        case EPIPE: return "broken pipe"
        case ENOENT: return "no such file or directory"
        case EACCES, EPERM: return "permission denied"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}

/// Lines for the terminal; the lab's commands print, its helpers do not.
enum Console {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
