import Foundation
import Glibc

/// Pid files written atomically and read defensively.
enum PidFile {
    static func read(_ path: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else { return nil }
        return pid
    }

    /// Writes a temporary file next to `path`, then renames it, so readers never see half a pid.
    static func write(_ pid: pid_t, to path: String) throws(LabError) {
        let temporary = "\(path).tmp.\(getpid())"
        do {
            try Data("\(pid)\n".utf8).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw LabError("cannot write pid file \(temporary): \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw LabError.system("cannot write pid file \(path)", errno: code)
        }
    }

    /// Removes the pid file only while it still names `pid` (a newer process may have replaced it).
    static func remove(_ path: String, ifOwnedBy pid: pid_t) {
        if read(path) == pid { unlink(path) }
    }
}

/// Questions about other processes, answered from kill(2), waitpid(2) and /proc.
enum ProcessTable {
    /// True while the process exists and is not a zombie; reaps it when it is our own child.
    static func isAlive(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid { return false }
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// The process's argv, or [] when it cannot be read.
    static func arguments(_ pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `pid` is the process a pid file was written for: its argv names that pid file.
    /// Guards against signalling an unrelated process that reused a stale pid.
    /// An absolute argument must be the same path; a relative one (a hand-started serve) only the same name.
    static func isOwner(_ pid: pid_t, ofPidFile path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        return arguments(pid).contains { argument in
            argument.hasPrefix("/") ? argument == path : (argument as NSString).lastPathComponent == name
        }
    }

    /// Waits (bounded) until the process is gone. Returns false when it is still alive at the deadline.
    static func waitForExit(_ pid: pid_t, deadline: ContinuousClock.Instant) -> Bool {
        while isAlive(pid) {
            if deadline.hasPassed { return false }
            Threads.sleep(milliseconds: 20)
        }
        return true
    }

    enum StopOutcome: Sendable, Equatable {
        case notRunning, terminated, killed, survived
    }

    /// SIGTERM, a bounded wait, then SIGKILL and another short wait.
    static func stop(_ pid: pid_t, grace: Duration) -> StopOutcome {
        guard isAlive(pid) else { return .notRunning }
        kill(pid, SIGTERM)
        if waitForExit(pid, deadline: .now + grace) { return .terminated }
        kill(pid, SIGKILL)
        return waitForExit(pid, deadline: .now + .seconds(3)) ? .killed : .survived
    }

    /// The value following `--name` in a process's argv (e.g. the version a `serve` runs).
    static func option(_ name: String, of pid: pid_t) -> String? {
        let arguments = arguments(pid)
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
}
