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

    /// Runs `/bin/sh -c command` with `input` on its stdin (then end of file). At `timeout` the whole
    /// process group gets SIGTERM, then SIGKILL two seconds later. Each complete output line goes to
    /// `onLine` as it is written. Throws only when the command could not be started.
    public static func run(
        _ command: String, input: [UInt8] = [], timeout: Duration, environment: [String: String] = [:],
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Swift.Result {
                        try runBlocking(command, input: input, timeout: timeout, environment: environment, onLine: onLine)
                    })
            }
        }
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    private static func runBlocking(
        _ command: String, input: [UInt8], timeout: Duration, environment: [String: String],
        onLine: (@Sendable (String) -> Void)?
    ) throws -> Result {
        let started = Date()
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw SpawnError(description: "pipe(): \(String(cString: strerror(errno)))") }
        var stdin: [Int32] = [-1, -1]
        if !input.isEmpty, Glibc.pipe(&stdin) != 0 {
            close(pipe[0])
            close(pipe[1])
            throw SpawnError(description: "pipe(): \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input.isEmpty {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
            posix_spawn_file_actions_addclose(&actions, stdin[0])
            posix_spawn_file_actions_addclose(&actions, stdin[1])
        }
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
        if stdin[0] >= 0 { close(stdin[0]) }
        guard status == 0 else {
            close(pipe[0])
            if stdin[1] >= 0 { close(stdin[1]) }
            throw SpawnError(description: "cannot start /bin/sh: \(String(cString: strerror(status)))")
        }
        defer { close(pipe[0]) }
        _ = fcntl(pipe[0], F_SETFL, fcntl(pipe[0], F_GETFL) | O_NONBLOCK)
        // The input is written as the command reads it, between reads of its output.
        var inputFD = stdin[1]
        var written = 0
        if inputFD >= 0 { _ = fcntl(inputFD, F_SETFL, fcntl(inputFD, F_GETFL) | O_NONBLOCK) }
        defer { if inputFD >= 0 { close(inputFD) } }
        var lines = LineSplitter(onLine: onLine)

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
            if inputFD >= 0 {
                let count = input[written...].withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) }
                if count > 0 { written += count }
                if written == input.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
                    close(inputFD)
                    inputFD = -1
                }
            }
            if outputOpen {
                var descriptor = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, inputFD >= 0 ? 5 : 50)
                let count = buffer.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress, $0.count) }
                if count > 0 {
                    lines.append(buffer[..<count])
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
        lines.flush()
        return Result(
            exitStatus: exit, signal: signal, output: String(decoding: output, as: UTF8.self), timedOut: timedOut,
            seconds: Date().timeIntervalSince(started))
    }
}

/// Cuts a byte stream into lines for a callback; a partial last line is kept until more comes.
struct LineSplitter {
    let onLine: (@Sendable (String) -> Void)?
    private var pending: [UInt8] = []

    init(onLine: (@Sendable (String) -> Void)?) { self.onLine = onLine }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        guard let onLine else { return }
        pending.append(contentsOf: bytes)
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            onLine(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
    }

    mutating func flush() {
        guard let onLine, !pending.isEmpty else { return }
        onLine(String(decoding: pending, as: UTF8.self))
        pending = []
    }
}
