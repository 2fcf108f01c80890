import Foundation
import Manifests
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A long-lived `/bin/sh` on a host through the system ssh client (`ssh.transport: openssh`), so that
/// short scripts (the deploy state's operations) cost one round trip each instead of a new ssh run.
/// The ssh client runs in a session of its own (`setsid`), so a Ctrl-C on the terminal reaches
/// deployer alone and never cuts the connection in the middle of a stop. Each answer is framed by a
/// marker with a fresh random part; a shell whose answer is late is closed, so a stale answer is never
/// read as the next one.
final class OpenSSHRelay: @unchecked Sendable {
    // Safe: `process`, `input`, `output` and `pending` are touched only on `queue`.
    private let queue = DispatchQueue(label: "deployer.openssh-relay")
    private let command: [String]
    private var process: Process?
    private var input: FileHandle?
    private var output: Int32 = -1
    private var pending: [UInt8] = []

    /// - Parameter command: the ssh command line (without the remote command).
    init(command: [String]) { self.command = command }

    deinit { stop() }

    func run(_ script: String, timeout: Duration, host: String) async throws -> (output: [UInt8], status: Int32) {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.runBlocking(script, timeout: timeout, host: host) })
            }
        }
    }

    private func start(host: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["-w"] + command + ["exec /bin/sh"]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        do {
            try process.run()
        } catch {
            throw SSHError(.unreachable, "\(host): cannot start the ssh client: \(error.localizedDescription)")
        }
        self.process = process
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading.fileDescriptor
        _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
        pending = []
    }

    private func stop() {
        if let process, process.isRunning { process.terminate() }
        try? input?.close()
        process = nil
        input = nil
        output = -1
        pending = []
    }

    private func runBlocking(_ script: String, timeout: Duration, host: String) throws -> (output: [UInt8], status: Int32) {
        if process?.isRunning != true {
            stop()
            try start(host: host)
        }
        let deadline = Date() + timeout.seconds
        let marker = "deployer-end-" + UUID().uuidString
        let framed = "{ \(script)\n} 2>&1 </dev/null; printf '\\n%s %s\\n' \(marker) \"$?\"\n"
        do {
            try input?.write(contentsOf: Data(framed.utf8))
        } catch {
            stop()
            throw SSHError(.connectionLost, "\(host): the ssh client's connection is gone")
        }
        let end = Array("\n\(marker) ".utf8)
        var buffer = [UInt8](repeating: 0, count: 32_768)
        while true {
            if let found = find(end, in: pending), let newline = pending[(found + end.count)...].firstIndex(of: 0x0A) {
                let status = Int32(String(decoding: pending[(found + end.count)..<newline], as: UTF8.self)) ?? -1
                let answer = Array(pending[..<found])
                pending.removeSubrange(...newline)
                return (answer, status)
            }
            guard Date() < deadline else {
                stop()
                throw SSHError(.timeout, "\(host): no answer from the shell within \(Int(timeout.seconds)) s")
            }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, 50)
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count > 0 {
                pending.append(contentsOf: buffer[..<count])
            } else if count == 0 {
                let said = String(decoding: pending, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                stop()
                throw SSHError(.unreachable, "\(host): ssh failed" + (said.isEmpty ? "" : ": \(said)"))
            }
        }
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}

/// The relays of one `OpenSSHShell`, one per host and lane.
final class OpenSSHRelays: Sendable {
    private let relays = Mutex<[String: OpenSSHRelay]>([:])

    func relay(_ key: String, command: @autoclosure () -> [String]) -> OpenSSHRelay {
        relays.withLock { all in
            if let relay = all[key] { return relay }
            let relay = OpenSSHRelay(command: command())
            all[key] = relay
            return relay
        }
    }
}
