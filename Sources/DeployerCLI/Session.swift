import Deployer
import Dispatch
import Foundation
import Manifests

/// What the mutating commands share: taking the lock (waiting for it if asked), Ctrl-C, the audit log.
enum Session {
    /// Runs `body`, retrying while another deploy holds the lock when `wait` is set. A manual lock
    /// (`deployer lock acquire`) is never waited on.
    static func withLockWait<T>(_ options: LockOptions, _ body: () async throws -> T) async throws -> T {
        guard options.lockWait else { return try await body() }
        guard let timeout = Duration(manifestText: options.lockWaitTimeout) else {
            throw CommandFailure("error: --lock-wait-timeout \(options.lockWaitTimeout) is not a duration (e.g. 10m)", code: .badInput)
        }
        let deadline = Date().addingTimeInterval(timeout.seconds)
        var announced = false
        while true {
            do {
                return try await body()
            } catch let held as LockHeld {
                if held.holder.manual {
                    throw CommandFailure("error: \(held.description)\nA manual lock is never waited on; ask its holder to run `deployer lock release`.", code: .locked)
                }
                if Date() >= deadline {
                    throw CommandFailure("error: gave up waiting for the lock after \(timeout.manifestText): \(held.description)", code: .locked)
                }
                if !announced {
                    Console.error("waiting for the lock: \(held.description)")
                    announced = true
                }
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    /// Ctrl-C once: stop between steps (the deploy can be resumed). Twice: quit at once.
    static func installInterruptHandler(_ control: DeployControl) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let count = ManagedCounter()
        source.setEventHandler {
            if count.increment() == 1 {
                control.requestInterrupt()
                Console.error("\nStopping after the current step… (Ctrl-C again to quit at once)")
            } else {
                Console.error("Quitting. Run `deployer resume` or `deployer abort` to finish.")
                exit(ExitStatus.interrupted.rawValue)
            }
        }
        source.resume()
        return source
    }

    /// The crash-test seam: with DEPLOYER_TEST_STOP_AT_RECORD=N, the process stops itself (SIGSTOP)
    /// right after journal record N is durable, so a test can kill -9 it at that exact boundary.
    static func checkpoint() -> @Sendable (Int) -> Void {
        guard let value = ProcessInfo.processInfo.environment["DEPLOYER_TEST_STOP_AT_RECORD"], let stopAt = Int(value)
        else { return { _ in } }
        return { seq in
            guard seq == stopAt else { return }
            // Called inside the journal's append: blocking here keeps every other record from being
            // written, whatever other threads do before the stop takes hold.
            kill(getpid(), SIGSTOP)
            while true { sleep(60) }
        }
    }

    /// Appends one line to the environment's audit log: who ran what, when, and how it ended.
    static func audit(_ workspace: Workspace, command: String, version: String? = nil, outcome: String, deployID: String? = nil) {
        let holder = Identity.current(deployID: deployID, command: command)
        var entry: [String: Any] = [
            "at": Date().formatted(.iso8601), "user": holder.user, "host": holder.host,
            "command": command, "environment": workspace.environment.name, "outcome": outcome,
        ]
        if let version { entry["version"] = version }
        if let deployID { entry["deploy"] = deployID }
        let line = JSONText.line(entry) + "\n"
        try? FileManager.default.createDirectory(atPath: workspace.stateDir, withIntermediateDirectories: true)
        if let handle = FileHandle(forWritingAtPath: workspace.auditLog) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        } else {
            _ = FileManager.default.createFile(atPath: workspace.auditLog, contents: Data(line.utf8))
        }
    }

    /// Prints a summary in the chosen format and turns its outcome into the exit status.
    static func finish(_ summary: DeploySummary, output: OutputOptions) throws {
        if output.output == .text { Console.out(Reports.summary(summary)) }
        let status = ExitStatus(summary.outcome)
        if status != .success { throw CommandFailure("", code: status) }
    }
}

/// A counter shared with a signal handler.
final class ManagedCounter: @unchecked Sendable {
    // Safe: only touched on the signal source's serial handler.
    private var value = 0
    func increment() -> Int {
        value += 1
        return value
    }
}
