import Foundation
import Glibc

/// One lab backend: a `serve` process on 127.0.0.1:port, tracked by its pid file.
struct BackendSpec: Sendable, Equatable {
    let name: String
    let port: UInt16
    let version: String
    let pidFile: String
    let log: String?
}

/// What a restart did, for the one-line report.
struct RestartOutcome: Sendable, Equatable {
    let oldPid: pid_t?
    let oldVersion: String?
    let newPid: pid_t
    let seconds: Double

    func line(for spec: BackendSpec) -> String {
        let pids = "pid \(oldPid.map(String.init) ?? "none") -> \(newPid)"
        return "\(spec.name) on 127.0.0.1:\(spec.port): \(oldVersion ?? "none") -> \(spec.version) "
            + "(\(pids), \(String(format: "%.2f", seconds)) s)"
    }
}

/// The lab's "deploy" of one backend: stop the old `serve`, start the new one, wait until it answers.
enum BackendLauncher {
    static func restart(_ spec: BackendSpec, timeout: Duration) throws(LabError) -> RestartOutcome {
        let start = ContinuousClock.now
        let deadline = start + timeout
        var oldPid: pid_t?
        var oldVersion: String?
        if let pid = PidFile.read(spec.pidFile), ProcessTable.isAlive(pid) {
            if ProcessTable.isOwner(pid, ofPidFile: spec.pidFile) {
                oldPid = pid
                oldVersion = ProcessTable.option("--version", of: pid)
                kill(pid, SIGTERM)
                guard ProcessTable.waitForExit(pid, deadline: deadline) else {
                    throw LabError("\(spec.name) (pid \(pid)) did not exit within \(timeout.seconds) s of SIGTERM")
                }
            } else {
                Console.error("note: \(spec.pidFile) names pid \(pid), which is not this backend's serve; not signalling it")
            }
        }
        let arguments = ["serve", "--port", "\(spec.port)", "--version", spec.version, "--pid-file", spec.pidFile]
        let newPid = try Spawn.detached(Spawn.currentExecutable, arguments, output: spec.log)
        do {
            try waitUntilServing(spec, pid: newPid, deadline: deadline, timeout: timeout)
        } catch {
            kill(newPid, SIGKILL)
            _ = ProcessTable.waitForExit(newPid, deadline: .now + .seconds(2))
            throw error
        }
        return RestartOutcome(oldPid: oldPid, oldVersion: oldVersion, newPid: newPid, seconds: (ContinuousClock.now - start).seconds)
    }

    /// Bounded wait until the new process has written its pid file and accepts connections.
    private static func waitUntilServing(_ spec: BackendSpec, pid: pid_t, deadline: ContinuousClock.Instant, timeout: Duration) throws(LabError) {
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw LabError("\(spec.name)'s serve (pid \(pid)) exited before serving\(logTail(spec.log))")
            }
            if PidFile.read(spec.pidFile) == pid, Sockets.isAccepting(port: spec.port) { return }
            if deadline.hasPassed {
                throw LabError("\(spec.name) (pid \(pid)) was not serving on 127.0.0.1:\(spec.port) within \(timeout.seconds) s\(logTail(spec.log))")
            }
            Threads.sleep(milliseconds: 20)
        }
    }

    /// The last lines of a log, to explain a failure; empty without a log.
    static func logTail(_ path: String?, lines: Int = 5) -> String {
        guard let path else { return " (no --log was given)" }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        let tail = text.split(whereSeparator: \.isNewline).suffix(lines)
        return tail.isEmpty ? "" : "; the end of \(path):\n  " + tail.joined(separator: "\n  ")
    }
}
