import Foundation
import Manifests

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a shell command where deployer runs (Ansible's `connection: local`), in its own process
/// group so a timeout stops everything it started.
public enum LocalCommand {
    public struct Result: Sendable, Equatable {
        /// The exit status, or nil when the command was killed at its timeout.
        public var exitStatus: Int32?
        public var signal: Int32?
        /// stdout and stderr interleaved as written; only the last `tailLimit` bytes are kept.
        public var output: String
        public var timedOut: Bool
        public var seconds: Double

        public var succeeded: Bool { exitStatus == 0 && !timedOut }
    }

    public static let tailLimit = 64 << 10

    /// Runs `/bin/sh -c command` with stdin from /dev/null. At `timeout` the whole process group gets
    /// SIGTERM, then SIGKILL two seconds later. Throws only when the command could not be started.
    public static func run(_ command: String, timeout: Duration, environment: [String: String] = [:]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try runBlocking(command, timeout: timeout, environment: environment) })
            }
        }
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    private static func runBlocking(_ command: String, timeout: Duration, environment: [String: String]) throws -> Result {
        let started = Date()
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw SpawnError(description: "pipe(): \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let arguments = ["/bin/sh", "-c", command]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        close(pipe[1])
        guard status == 0 else {
            close(pipe[0])
            throw SpawnError(description: "cannot start /bin/sh: \(String(cString: strerror(status)))")
        }
        defer { close(pipe[0]) }
        _ = fcntl(pipe[0], F_SETFL, fcntl(pipe[0], F_GETFL) | O_NONBLOCK)

        let deadline = started + timeout.seconds
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var timedOut = false
        var killAt: Date?
        var exit: Int32?
        var signal: Int32?
        var outputOpen = true
        var exited: Date?
        while true {
            if outputOpen {
                var descriptor = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, 50)
                let count = buffer.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
                if count > 0 {
                    output.append(contentsOf: buffer[..<count])
                    if output.count > tailLimit { output.removeFirst(output.count - tailLimit) }
                } else if count == 0 {
                    outputOpen = false
                }
            } else {
                usleep(20_000)
            }
            var raw: Int32 = 0
            if exit == nil, signal == nil, waitpid(pid, &raw, WNOHANG) == pid {
                if raw & 0x7f == 0 { exit = (raw >> 8) & 0xff } else { signal = raw & 0x7f }
                exited = Date()
            }
            // Done when the shell has exited and its output is closed; a daemon it started that kept
            // the output open gets one second more, then is left running.
            if let exited {
                if !outputOpen || timedOut || Date() > exited + 1 { break }
            }
            let now = Date()
            if !timedOut, now > deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                killAt = now + 2
            } else if let at = killAt, now > at {
                kill(-pid, SIGKILL)
                killAt = nil
            }
        }
        if timedOut { kill(-pid, SIGKILL) }
        return Result(
            exitStatus: exit, signal: signal, output: String(decoding: output, as: UTF8.self), timedOut: timedOut,
            seconds: Date().timeIntervalSince(started))
    }
}
