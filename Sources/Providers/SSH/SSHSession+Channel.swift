import CLibSSH2
import Foundation
import Manifests

/// What a remote command did.
public struct RemoteResult: Sendable, Equatable {
    /// nil when it did not exit by itself (killed at its timeout, or the connection was lost).
    public var exitStatus: Int32?
    /// The signal that ended it (`TERM`, `KILL`), when one did.
    public var signal: String?
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool

    public var succeeded: Bool { exitStatus == 0 && !timedOut }
}

extension SSHSession {
    /// Runs `command` through the user's shell on the host, feeding it `input`, until it exits or
    /// `timeout` passes (then the channel is closed and `timedOut` is set). Output lines go to
    /// `onLine` as they arrive; at most the last `keep` bytes of each stream are kept.
    func execute(
        _ command: String, input: [UInt8] = [], timeout: Duration, keep: Int = 64 << 10,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> RemoteResult {
        try await onQueue { () throws(SSHError) -> RemoteResult in
            let deadline = Date() + timeout.seconds
            let channel = try self.openChannel(deadline: deadline) { session in
                libssh2_channel_open_ex(
                    session, "session", 7, UInt32(2 * 1024 * 1024), UInt32(32_768), nil, 0)
            }
            defer { self.closeChannel(channel) }
            let started = try self.retrying("starting the command", deadline: deadline) {
                libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
            }
            guard started == 0 else { throw self.fail(.channel, "cannot start the command") }
            try self.write(input, to: channel, deadline: deadline)
            _ = try self.retrying("closing input", deadline: deadline) { libssh2_channel_send_eof(channel) }
            var streams = Streams(onLine: onLine, limit: keep)
            let timedOut = try self.readUntilEOF(channel, deadline: deadline, into: &streams)
            var exitStatus: Int32?
            var signal: String?
            if !timedOut {
                _ = try? self.retrying("closing", deadline: Date() + 5) { libssh2_channel_close(channel) }
                _ = try? self.retrying("closing", deadline: Date() + 5) { libssh2_channel_wait_closed(channel) }
                var name: UnsafeMutablePointer<CChar>?
                var length = 0
                libssh2_channel_get_exit_signal(channel, &name, &length, nil, nil, nil, nil)
                if let name {
                    signal = String(cString: name)
                    free(name)
                } else {
                    exitStatus = libssh2_channel_get_exit_status(channel)
                }
            }
            streams.flush()
            return RemoteResult(
                exitStatus: exitStatus, signal: signal, stdout: String(decoding: streams.out, as: UTF8.self),
                stderr: String(decoding: streams.err, as: UTF8.self), timedOut: timedOut)
        }
    }

    /// Runs `script` in the connection's long-lived `/bin/sh` on the host (started on first use, and
    /// again if it ended) and returns what it printed, stdout and stderr together, and its exit status.
    ///
    /// A command on an exec channel costs a new session on the host (sshd's setup, the login shell);
    /// this shell costs only the commands the script itself starts. Each answer is framed by a marker
    /// with a fresh random part, which no reply can contain by chance. A shell whose answer is late
    /// is closed, so a stale answer is never read as the next one.
    func relay(_ script: String, timeout: Duration) async throws -> (output: [UInt8], status: Int32) {
        try await onQueue { () throws(SSHError) -> (output: [UInt8], status: Int32) in
            let deadline = Date() + timeout.seconds
            if let shell = self.relayShell, libssh2_channel_eof(shell) != 0 {
                self.closeChannel(shell)
                self.relayShell = nil
            }
            let shell: OpaquePointer
            if let open = self.relayShell {
                shell = open
            } else {
                shell = try self.openChannel(deadline: deadline) { session in
                    libssh2_channel_open_ex(session, "session", 7, UInt32(2 * 1024 * 1024), UInt32(32_768), nil, 0)
                }
                let command = "exec /bin/sh"
                let started = try self.retrying("starting the relay shell", deadline: deadline) {
                    libssh2_channel_process_startup(shell, "exec", 4, command, UInt32(command.utf8.count))
                }
                guard started == 0 else {
                    self.closeChannel(shell)
                    throw self.fail(.channel, "cannot start /bin/sh")
                }
                self.relayShell = shell
            }
            let marker = "deployer-end-" + UUID().uuidString
            let framed = "{ \(script)\n} 2>&1 </dev/null; printf '\\n%s %s\\n' \(marker) \"$?\"\n"
            var streams = Streams(onLine: nil, limit: 64 << 20)
            let end = Array("\n\(marker) ".utf8)
            do throws(SSHError) {
                try self.write(Array(framed.utf8), to: shell, deadline: deadline)
                var buffer = [CChar](repeating: 0, count: 32_768)
                while true {
                    let count = libssh2_channel_read_ex(shell, 0, &buffer, buffer.count)
                    if count > 0 {
                        // Only the new bytes, and the marker's length before them, can hold a new match.
                        let from = max(0, streams.out.count - end.count)
                        buffer.withUnsafeBytes { streams.append(Array($0.prefix(count)), stderr: false) }
                        if let found = Self.find(end, in: streams.out, from: from),
                            let newline = streams.out[(found + end.count)...].firstIndex(of: 0x0A)
                        {
                            let status = Int32(String(decoding: streams.out[(found + end.count)..<newline], as: UTF8.self)) ?? -1
                            return (Array(streams.out[..<found]), status)
                        }
                        continue
                    }
                    if count < 0, count != Int(LIBSSH2_ERROR_EAGAIN) { throw self.fail(.connectionLost, "connection lost") }
                    if libssh2_channel_eof(shell) != 0 { throw SSHError(.channel, "\(self.target.label): the relay shell ended") }
                    try self.waitSocket(deadline: deadline, doing: "waiting for the relay shell")
                }
            } catch {
                self.closeChannel(shell)
                self.relayShell = nil
                throw error
            }
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        for start in from...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }

    /// Sends `request` to `host:port` as seen from the remote host (direct-tcpip forwarding) and
    /// returns everything read until that end closes.
    func forward(to host: String, port: Int, request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        try await onQueue { () throws(SSHError) -> [UInt8] in
            let deadline = Date() + timeout.seconds
            let channel = try self.openChannel(deadline: deadline) { session in
                libssh2_channel_direct_tcpip_ex(session, host, Int32(port), "127.0.0.1", 22)
            }
            defer { self.closeChannel(channel) }
            try self.write(request, to: channel, deadline: deadline)
            var streams = Streams(onLine: nil, limit: 64 << 20)
            if try self.readUntilEOF(channel, deadline: deadline, into: &streams) {
                throw SSHError(.timeout, "\(self.target.label): no complete answer from \(host):\(port) in time")
            }
            return streams.out
        }
    }

    // MARK: On the queue

    private func openChannel(
        deadline: Date, _ open: (OpaquePointer) -> OpaquePointer?
    ) throws(SSHError) -> OpaquePointer {
        guard let session = handle, !broken else { throw SSHError(.connectionLost, "\(target.label): the connection is closed") }
        while true {
            if let channel = open(session) { return channel }
            guard libssh2_session_last_errno(session) == LIBSSH2_ERROR_EAGAIN else {
                throw fail(.channel, "cannot open a channel")
            }
            try waitSocket(deadline: deadline, doing: "opening a channel")
        }
    }

    private func closeChannel(_ channel: OpaquePointer) {
        _ = try? retrying("closing", deadline: Date() + 2) { libssh2_channel_close(channel) }
        libssh2_channel_free(channel)
    }

    private func write(_ bytes: [UInt8], to channel: OpaquePointer, deadline: Date) throws(SSHError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    libssh2_channel_write_ex(channel, 0, $0, buffer.count)
                }
            }
            if count > 0 {
                sent += count
            } else if count == Int(LIBSSH2_ERROR_EAGAIN) {
                try waitSocket(deadline: deadline, doing: "sending")
            } else {
                throw fail(.connectionLost, "connection lost while sending")
            }
        }
    }

    /// Reads stdout and stderr until the remote end closes them; returns true when the deadline
    /// passed first.
    private func readUntilEOF(_ channel: OpaquePointer, deadline: Date, into streams: inout Streams) throws(SSHError) -> Bool {
        var buffer = [CChar](repeating: 0, count: 32_768)
        while true {
            var progressed = false
            for stream: Int32 in [0, SSH_EXTENDED_DATA_STDERR] {
                let count = libssh2_channel_read_ex(channel, stream, &buffer, buffer.count)
                if count > 0 {
                    progressed = true
                    buffer.withUnsafeBytes { streams.append(Array($0.prefix(count)), stderr: stream != 0) }
                } else if count < 0, count != Int(LIBSSH2_ERROR_EAGAIN) {
                    throw fail(.connectionLost, "connection lost")
                }
            }
            if progressed { continue }
            if libssh2_channel_eof(channel) != 0 { return false }
            do {
                try waitSocket(deadline: deadline, doing: "waiting for output")
            } catch {
                if error.kind == .timeout { return true }
                throw error
            }
        }
    }
}

/// Output of a remote command as it arrives: kept (the last 64 KB of each stream) and cut into lines.
struct Streams {
    let limit: Int
    var out: [UInt8] = []
    var err: [UInt8] = []
    private var lines: LineSplitter

    init(onLine: (@Sendable (String) -> Void)?, limit: Int = 64 << 10) {
        self.lines = LineSplitter(onLine: onLine)
        self.limit = limit
    }

    mutating func append(_ bytes: [UInt8], stderr: Bool) {
        if stderr {
            err += bytes
            if err.count > limit { err.removeFirst(err.count - limit) }
        } else {
            out += bytes
            if out.count > limit { out.removeFirst(out.count - limit) }
        }
        lines.append(bytes[...])
    }

    mutating func flush() { lines.flush() }
}
