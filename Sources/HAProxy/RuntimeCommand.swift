import Foundation

/// A runtime-API command built from typed values. Only these can be sent: there is no way to pass
/// free text to a socket, and every name in them has been validated (see `RuntimeName`).
public enum RuntimeCommand: Sendable, Equatable {
    case showServersState(backend: RuntimeName?)
    case showStat
    case showInfo
    /// `show info`, `show servers state B` and `show stat` pipelined on one line (one connection);
    /// HAProxy ends each reply with an empty line, which splits them again.
    case snapshot(backend: RuntimeName)
    case setState(ServerRef, AdminTarget)
    case setWeight(ServerRef, Int)
    case shutdownSessions(ServerRef)

    /// The administrative states `set server B/S state` accepts.
    public enum AdminTarget: String, Sendable, Equatable {
        case ready
        case drain
        case maint
    }

    /// Whether HAProxy answers nothing on success (so any reply is an error).
    public var isMutation: Bool {
        switch self {
        case .showServersState, .showStat, .showInfo, .snapshot: return false
        case .setState, .setWeight, .shutdownSessions: return true
        }
    }

    /// The command line, without its newline. Built only from validated names, fixed words and
    /// integers, so it holds no `;`, space inside an argument, backslash or newline.
    public var line: String {
        switch self {
        case .showServersState(let backend): return backend.map { "show servers state \($0)" } ?? "show servers state"
        case .showStat: return "show stat"
        case .showInfo: return "show info"
        case .snapshot(let backend): return "show info;show servers state \(backend);show stat"
        case .setState(let ref, let state): return "set server \(ref) state \(state.rawValue)"
        case .setWeight(let ref, let weight): return "set server \(ref) weight \(weight)"
        case .shutdownSessions(let ref): return "shutdown sessions server \(ref)"
        }
    }

    /// The bytes sent: the line and its newline, after a last check that nothing in it could end the
    /// command early (defence in depth: `RuntimeName` already refuses such names).
    public func encoded() throws(HAProxyError) -> [UInt8] {
        if case .setWeight(_, let weight) = self, !(0...256).contains(weight) {
            throw HAProxyError(.invalidArgument, "an HAProxy server weight is 0…256, not \(weight) (nothing was sent)")
        }
        var text = line
        // The snapshot's separators are its own; its one argument is a validated name like any other.
        if case .snapshot = self { text = text.replacingOccurrences(of: ";", with: " ") }
        for scalar in text.unicodeScalars where scalar == ";" || scalar == "\\" || scalar.value < 0x20 || scalar.value == 0x7F {
            throw HAProxyError(.invalidArgument, "refusing to send a command holding \(RuntimeName.describe(scalar))")
        }
        return Array(line.utf8) + [0x0A]
    }
}
