import Foundation
import Glibc

/// glibc's POSIX_SPAWN_SETSID (spawn.h, only under _GNU_SOURCE, so not imported into Swift).
private let posixSpawnSetSID: Int32 = 0x80

/// Starting other processes with posix_spawn: detached lab members, and short tool runs.
enum Spawn {
    /// This executable, for starting `serve`; the resolved path keeps argv readable in `ps`.
    static var currentExecutable: String {
        let resolved = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return resolved.isEmpty || resolved.hasSuffix(" (deleted)") ? "/proc/self/exe" : resolved
    }

    /// Starts a process in its own session (it outlives us), stdin from /dev/null and stdout/stderr
    /// appended to `output` (or /dev/null). Returns its pid; it is not waited for.
    static func detached(_ executable: String, _ arguments: [String], output: String?) throws(LabError) -> pid_t {
        try spawn(executable, arguments, output: output ?? "/dev/null", append: true, newSession: true)
    }

    /// Runs a tool to completion (bounded), its stdout and stderr captured in `outputFile`.
    /// Returns the exit status (128+signal when killed by a signal) and what it printed.
    static func run(
        _ executable: String, _ arguments: [String], outputFile: String, timeout: Duration
    ) throws(LabError) -> (status: Int32, output: String) {
        let pid = try spawn(executable, arguments, output: outputFile, append: false, newSession: false)
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0, errno != EINTR { throw LabError.system("cannot wait for \(executable)") }
            if deadline.hasPassed {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw LabError("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout.seconds) s")
            }
            Threads.sleep(milliseconds: 10)
        }
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, output)
    }

    private static func spawn(
        _ executable: String, _ arguments: [String], output: String, append: Bool, newSession: Bool
    ) throws(LabError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 1, output, mode, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with default signal handling and an empty mask, whatever ours are.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signalNumber in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signalNumber) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)
        if newSession { flags |= posixSpawnSetSID }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in environment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
        guard result == 0 else { throw LabError.system("cannot start \(executable)", errno: result) }
        return pid
    }
}
