public import Deployer
public import Foundation
import Manifests
import Digests
import Synchronization

/// Deploy state in a directory on one host of the environment, reached over SSH (`state: {ssh: …}`):
/// every machine that can reach the host sees the same lock, journals, audit log and versions.
/// Nothing is installed there: each operation is one short POSIX shell script using coreutils and
/// util-linux's `flock`, run in the connection's long-lived shell (no new SSH session per operation). Create, replace and delete hold an exclusive `flock` on `.guard` in the
/// directory, so they are atomic between every machine; writes go to a temporary file written with
/// `dd conv=fsync` and renamed. A journal or audit record goes to an appender that the shell starts
/// once (a few lines of Perl, answering only after `fsync`), so a record is durable on the host before
/// the step it records goes on, for one round trip of shell builtins; other appends, and every append
/// on a host without Perl, are made by `dd conv=fsync`.
public struct SSHStateBackend: StateBackend {
    public let shell: any RemoteShell
    public let host: RemoteHost
    /// The host's name in the inventory, for messages.
    public let hostName: String
    /// The directory on the host; a relative path is under the SSH user's home.
    public let directory: String
    public let timeout: Duration
    private let appender = Appender()

    public init(shell: any RemoteShell, host: RemoteHost, hostName: String, directory: String, timeout: Duration = .seconds(30)) {
        self.shell = shell
        self.host = host
        self.hostName = hostName
        self.directory = directory
        self.timeout = timeout
    }

    public var location: String { "ssh://\(hostName)/\(directory.hasPrefix("/") ? String(directory.dropFirst()) : "~/" + directory)" }
    public var isShared: Bool { true }

    /// Exit status of a script whose condition did not hold (the object exists, differs, is absent).
    private static let refused: Int32 = 3

    public func read(_ key: String) async throws -> Data? {
        try checkKey(key)
        // base64, so that the bytes come back exactly over either transport.
        let (output, status) = try await run(
            "cd \(dir) 2>/dev/null && [ -f \(q(key)) ] || exit \(Self.refused); base64 < \(q(key)) | tr -d '\\n'", "reading \(key)")
        if status == Self.refused { return nil }
        try expect(status, output, "reading \(key)")
        guard let data = Data(base64Encoded: String(decoding: output, as: UTF8.self)) else {
            throw StateError(backend: location, "reading \(key): the host's answer cannot be read")
        }
        return data
    }

    public func create(_ key: String, _ data: Data) async throws -> Bool {
        try checkKey(key)
        return try await guarded(key, "[ ! -e \(q(key)) ] || exit \(Self.refused)\n\(store(key, data))", "creating \(key)")
    }

    public func replace(_ key: String, _ data: Data, expected: Data) async throws -> Bool {
        try checkKey(key)
        return try await guarded(key, "\(matches(key, expected)) || exit \(Self.refused)\n\(store(key, data))", "replacing \(key)")
    }

    public func delete(_ key: String, expected: Data) async throws -> Bool {
        try checkKey(key)
        return try await guarded(key, "\(matches(key, expected)) || exit \(Self.refused)\nrm -f \(q(key)) && sync .", "removing \(key)")
    }

    public func append(_ key: String, _ data: Data) async throws {
        try checkKey(key)
        let parent = (key as NSString).deletingLastPathComponent
        let folder = Shell.quote(parent.isEmpty ? directory : directory + "/" + parent)
        let file = Shell.quote(directory + "/" + key)
        // A line of text (a journal or audit record) goes to the appender on the host: written and
        // fsync'd there by a process started once, so a record costs one round trip of shell builtins.
        if let text = String(data: data, encoding: .utf8), text.hasSuffix("\n"), !text.contains("\0"), appender.usable {
            let script = "[ -d \(folder) ] || mkdir -p \(folder) && \(Self.appendThroughAppender(file: file, text: text))"
            for attempt in 0..<2 {
                if !appender.started {
                    guard try await startAppender() else { break }
                }
                let (output, status) = try await run(script, "appending to \(key)", isolated: false)
                if status == Self.noAppender, attempt == 0 {
                    // A new shell (the connection was opened again): start its appender.
                    appender.started = false
                    continue
                }
                try expect(status, output, "appending to \(key)")
                return
            }
        }
        // Otherwise dd, with conv=fsync, exits only once the appended bytes are on the host's disk.
        let dd = "dd of=\(file) oflag=append conv=notrunc,fsync bs=1M iflag=fullblock status=none"
        let (output, status) = try await run("mkdir -p \(folder) && " + decoded(data, into: dd), "appending to \(key)")
        try expect(status, output, "appending to \(key)")
    }

    // MARK: The appender

    /// Whether the connection's state shell has its appender running, or the host has no perl.
    final class Appender: Sendable {
        private let flags = Mutex<(started: Bool, unavailable: Bool)>((false, false))
        var started: Bool {
            get { flags.withLock { $0.started } }
            set { flags.withLock { $0.started = newValue } }
        }
        var usable: Bool { !flags.withLock { $0.unavailable } }
        func markUnavailable() { flags.withLock { $0.unavailable = true } }
    }

    /// Exit status of an append made in a shell that has no appender (yet).
    private static let noAppender: Int32 = 5

    /// The appender, in Perl (part of every Debian and most other systems; where there is none, `dd`
    /// does each append): reads `PATH LENGTH\n` and LENGTH bytes, appends them to PATH, fsyncs, and
    /// answers `ok` only then. It runs in the background of the connection's state shell, talking
    /// through two FIFOs that it removes once both ends are open; it ends with the shell.
    static let appenderProgram = #"""
        use IO::Handle; $| = 1; my $d = shift; unlink "$d/in", "$d/out"; rmdir $d;
        while (my $h = <STDIN>) {
          chomp $h; my ($n, $p) = split / /, $h, 2; my $b = ''; my $got = 0;
          while ($got < $n) { my $r = read(STDIN, $b, $n - $got, $got); last unless $r; $got += $r; }
          last if $got < $n;
          if ($n == 0) { print "ok\n"; next; }
          if (open(my $f, '>>', $p)) { binmode $f; my $ok = (print $f $b) && $f->flush && $f->sync; close $f;
            print $ok ? "ok\n" : "failed: $!\n"; } else { print "failed: $!\n"; }
        }
        """#

    /// Starts the appender in the state shell; false (and dd from then on) when the host has no perl.
    private func startAppender() async throws -> Bool {
        // In the connection's own shell (never `exit`, which would end it): a status of 4 is "no appender".
        let script = """
            if command -v perl >/dev/null 2>&1 && deployer_fifos=$(mktemp -d) && mkfifo "$deployer_fifos/in" "$deployer_fifos/out"; then
              trap '' PIPE
              perl -e \(Shell.quote(Self.appenderProgram)) "$deployer_fifos" <"$deployer_fifos/in" >"$deployer_fifos/out" 2>/dev/null &
              deployer_pid=$!
              exec 7>"$deployer_fifos/in" 8<"$deployer_fifos/out"
              if printf '0 \\n' >&7 && read -r deployer_ack <&8 && [ "$deployer_ack" = ok ]; then deployer_appender=$deployer_pid
              else exec 7>&- 8<&-; (exit 4); fi
            else (exit 4); fi
            """
        let (_, status) = try await run(script, "starting the appender", isolated: false)
        guard status == 0 else {
            appender.markUnavailable()
            return false
        }
        appender.started = true
        return true
    }

    /// One record through the appender, in builtins only; exit 5 when this shell has none.
    private static func appendThroughAppender(file: String, text: String) -> String {
        "{ [ -n \"${deployer_appender:-}\" ] || (exit \(noAppender)); } && "
            + "printf '%s %s\\n' \(Data(text.utf8).count) \(file) >&7 && printf '%s' \(Shell.quote(text)) >&7 && "
            + "{ read -r deployer_ack <&8 || deployer_ack='the appender on the host stopped'; [ \"$deployer_ack\" = ok ] || "
            + "{ echo \"$deployer_ack\"; unset deployer_appender; false; }; }"
    }

    public func list(_ prefix: String) async throws -> [String] {
        let (output, status) = try await run(
            "cd \(dir) 2>/dev/null || exit 0; [ -d \(q(prefix)) ] || exit 0; ls -1 \(q(prefix))", "listing \(prefix)")
        try expect(status, output, "listing \(prefix)")
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix(".") && !$0.contains(".tmp-") }.sorted()
    }

    // MARK: Scripts

    private var dir: String { Shell.quote(directory) }
    private func q(_ key: String) -> String { Shell.quote(key) }

    private func makeParent(_ key: String) -> String {
        let parent = (key as NSString).deletingLastPathComponent
        return "mkdir -p \(Shell.quote(parent.isEmpty ? directory : directory + "/" + parent))"
    }

    /// `command` with `data` on its stdin, carried in the script as a base64 here-document.
    private func decoded(_ data: Data, into command: String) -> String {
        let text = data.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
        return "base64 -d <<'DEPLOYER_STATE_DATA' | \(command)\n\(text)\nDEPLOYER_STATE_DATA"
    }

    /// True (status 0) while the object's bytes are `expected`, checked by their SHA-256.
    private func matches(_ key: String, _ expected: Data) -> String {
        "[ -f \(q(key)) ] && echo \(Digests.sha256Hex(Array(expected)))'  '\(q(key)) | sha256sum -c --status -"
    }

    /// Writes `data` to a temporary file on disk, renames it over `key` and syncs the directory.
    private func store(_ key: String, _ data: Data) -> String {
        let temporary = q(key + ".tmp-") + "$$"
        return decoded(data, into: "dd of=\(temporary) conv=fsync bs=1M iflag=fullblock status=none")
            + "\nmv -f \(temporary) \(q(key)) && sync ."
    }

    /// Runs `body` holding the directory's guard lock; true when it completed, false when it exited 3.
    private func guarded(_ key: String, _ body: String, _ what: String) async throws -> Bool {
        let script = "\(makeParent(key)) && cd \(dir) || exit 2\n"
            + "command -v flock >/dev/null || { echo 'flock (util-linux) is not installed on the state host' >&2; exit 2; }\n"
            + "( exec 9>>.guard && flock -w 20 9 || exit 2\nset -e\n\(body)\n)"
        let (output, status) = try await run(script, what)
        if status == Self.refused { return false }
        try expect(status, output, what)
        return true
    }

    /// - Parameter isolated: in a subshell, so that `exit` and `cd` never reach the connection's
    ///   long-lived shell; false only for scripts that use neither.
    private func run(_ script: String, _ what: String, isolated: Bool = true) async throws -> (output: [UInt8], status: Int32) {
        do {
            return try await shell.script(isolated ? "(\n\(script)\n)" : script, on: host, lane: "state", timeout: timeout)
        } catch {
            throw StateError(backend: location, "\(what): \(error)")
        }
    }

    private func expect(_ status: Int32, _ output: [UInt8], _ what: String) throws {
        guard status == 0 else {
            let detail = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw StateError(backend: location, "\(what) failed (exit status \(status))" + (detail.isEmpty ? "" : ": \(detail)"))
        }
    }
}
