import Foundation
import LabSupport
import Testing

/// Runs the real `deployer` executable built beside the tests.
struct DeployerProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["DEPLOYER_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for candidate in [".build/debug/deployer", ".build/release/deployer"] {
            let path = root.appendingPathComponent(candidate).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/deployer").path
    }

    /// Runs deployer to completion (bounded by `timeout`) and returns its status and output.
    @discardableResult
    static func run(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], binary: String = binary,
        timeout: Double = 60
    ) throws -> Result {
        let process = try start(arguments, in: directory, environment: environment, binary: binary)
        guard let status = process.wait(timeout: timeout) else {
            kill(process.process.processIdentifier, SIGKILL)
            _ = process.wait(timeout: 10)
            Issue.record("\(binary) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
            return Result(status: -1, stdout: process.stdout(), stderr: process.stderr())
        }
        return Result(status: status, stdout: process.stdout(), stderr: process.stderr())
    }

    /// Runs deployer like `run`, waiting on a thread of its own: the waiting never holds one of the
    /// few cooperative threads that in-process servers (the ARM simulator) and other tests need.
    static func runDetached(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], timeout: Double = 120
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try run(arguments, in: directory, environment: environment, timeout: timeout))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// A child started with posix_spawn and reaped by us alone. Not Foundation's `Process`: it keeps
    /// a socket per child until it sees the child exit, and its run loop watches them with
    /// select(), which overflows past 1,024 descriptors — hundreds of kill -9 runs get there.
    final class Child: @unchecked Sendable {
        let processIdentifier: Int32
        private let lock = NSLock()
        private var status: Int32?

        init(pid: Int32) { processIdentifier = pid }

        /// Whether it still runs (a stopped child runs); reaps it when it has ended.
        var isRunning: Bool {
            lock.withLock {
                if status != nil { return false }
                var raw: Int32 = 0
                let reaped = waitpid(processIdentifier, &raw, WNOHANG)
                if reaped == processIdentifier {
                    status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
                    return false
                }
                return reaped == 0
            }
        }

        var exitStatus: Int32? { lock.withLock { status } }
    }

    final class Running: @unchecked Sendable {
        let process: Child
        let out: URL
        let err: URL
        init(process: Child, out: URL, err: URL) {
            self.process = process
            self.out = out
            self.err = err
        }
        deinit {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        /// Waits until the process exits (bounded) and returns its exit status, or nil at the timeout.
        func wait(timeout: Double) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if !process.isRunning { return process.exitStatus ?? -1 }
                usleep(5_000)
            }
            return nil
        }

        func stdout() -> String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        func stderr() -> String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }
    }

    /// Starts deployer; output goes to files so a stopped or killed process cannot block a pipe.
    static func start(
        _ arguments: [String], in directory: String, environment: [String: String] = [:], binary: String = binary
    ) throws -> Running {
        var env = ProcessInfo.processInfo.environment
        env["DEPLOYER_STATE_DIR"] = nil
        env["DEPLOYER_TEST_STOP_AT_RECORD"] = nil
        // The CI running these tests is not the CI of the deploys they make: plain output, and
        // nothing written to the job's summary (a test sets these itself when it means them).
        for variable in ["TF_BUILD", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "AGENT_TEMPDIRECTORY"] { env[variable] = nil }
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        // In the temporary directory, never in `directory` (which may be the checkout itself).
        let id = UUID().uuidString
        let out = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("deployer-out-\(id)")
        let err = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("deployer-err-\(id)")
        // Through a shell that changes directory and then becomes deployer (`exec`: the same pid).
        let pid = try Spawn.start(
            "/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory, binary] + arguments, environment: env,
            stdout: out.path, stderr: err.path)
        return Running(process: Child(pid: pid), out: out, err: err)
    }

    /// Runs `deployer deploy sim --yes` until it has written journal record `record` (it stops itself
    /// there), then kills it with SIGKILL: a deploy whose process died mid-run. Returns whether it did
    /// reach that record, and what it printed.
    @discardableResult
    static func killedDeploy(atRecord record: Int, in directory: String, environment: [String: String] = [:]) throws -> (reached: Bool, stderr: String) {
        var variables = environment
        variables["DEPLOYER_TEST_STOP_AT_RECORD"] = "\(record)"
        let running = try start(["deploy", "sim", "--yes"], in: directory, environment: variables)
        let pid = running.process.processIdentifier
        let deadline = Date().addingTimeInterval(20)
        while running.process.isRunning, !isStopped(pid), Date() < deadline { usleep(2_000) }
        let reached = isStopped(pid)
        kill(pid, SIGKILL)
        _ = running.wait(timeout: 10)
        return (reached, running.stderr())
    }

    /// Whether the process is stopped (SIGSTOP), from /proc.
    static func isStopped(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.first == "T" || fields.first == "t"
    }
}

/// A scratch directory with an environment file, removed afterwards.
struct Scratch {
    let path: String

    init(environment name: String = "sim", yaml: String) throws {
        path = NSTemporaryDirectory() + "deployer-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path + "/inventories", withIntermediateDirectories: true)
        try yaml.write(toFile: "\(path)/inventories/\(name).yml", atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    static func simulated(
        count: Int = 6, batch: String = "2", maxUnavailable: Int = 2, minInService: Int = 4, sessions: Int = 0,
        duration: String = "0s", failureRate: Double = 0, drainTimeout: String = "10s"
    ) -> String {
        """
        targets:
          simulated:
            count: \(count)
            name-prefix: web-
            initial-version: v1
            sessions: \(sessions)
            session-duration: 2s
        load-balancers:
          - simulated:
              name: lb-1
          - simulated:
              name: lb-2
        deploy:
          simulated:
            duration: \(duration)
            failure-rate: \(failureRate)
        health:
          provider: true
        strategy:
          batch: \(batch)
          max-unavailable: \(maxUnavailable)
          min-in-service: \(minInService)
          drain-timeout: \(drainTimeout)
          health-timeout: 5s
        version: v2

        """
    }
}

/// The state `deployer status --output json` reports.
struct StatusReport: Decodable {
    struct Row: Decodable {
        var target: String
        var state: String
        var version: String?
    }
    struct Unfinished: Decodable { var id: String }
    struct Holder: Decodable { var command: String }
    var targets: [Row]
    var lock: Holder?
    var unfinishedDeploy: Unfinished?

    static func read(
        in directory: String, environment: String = "sim", arguments: [String] = [], variables: [String: String] = [:]
    ) throws -> StatusReport {
        let result = try DeployerProcess.run(
            ["status", environment, "--output", "json"] + arguments, in: directory, environment: variables)
        return try JSONDecoder().decode(StatusReport.self, from: Data(result.stdout.utf8))
    }
}
