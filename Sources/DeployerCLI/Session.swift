import Deployer
import Dispatch
import Foundation
import Manifests

/// What the mutating commands share: taking the lock (waiting for it if asked), Ctrl-C, the audit log.
enum Session {
    /// Runs `body`, retrying while another deploy holds the lock when `wait` is set. A manual lock
    /// (`deployer lock acquire`) is never waited on, nor a holder known to be gone (it would never let go).
    static func withLockWait<T>(
        _ options: LockOptions, _ workspace: Workspace, argument: String, _ body: () async throws -> T
    ) async throws -> T {
        let timeout = try options.timeout()
        let deadline = Date().addingTimeInterval(timeout?.seconds ?? 0)
        var announced = false
        while true {
            do {
                return try await body()
            } catch let held as LockHeld {
                if Identity.isGone(held.holder) { throw goneHolder(held.holder, workspace, argument: argument) }
                guard let timeout else { throw held }
                if held.holder.manual { throw manualNotWaited(held) }
                if Date() >= deadline {
                    throw CommandFailure("error: gave up waiting for the lock after \(timeout.manifestText): \(held.description)", code: .locked)
                }
                if !announced {
                    Console.error("waiting for the lock: \(held.description)")
                    announced = true
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private static func manualNotWaited(_ held: LockHeld) -> CommandFailure {
        CommandFailure(
            "error: \(held.description)\nA manual lock is never waited on; ask its holder to run `deployer lock release`.",
            code: .locked)
    }

    /// Refuses early, before a plan is shown or anything asked: when another live holder has the lock
    /// (exit 4, unless `--lock-wait`), when the holder is gone (its deploy needs resume or abort), or
    /// when an unfinished deploy is in the journal.
    static func refuseIfBusy(_ workspace: Workspace, lock: any DeployLock, options: LockOptions, argument: String) async throws {
        if let holder = try await lock.current() {
            if Identity.isGone(holder) { throw goneHolder(holder, workspace, argument: argument) }
            if options.lockWait, holder.manual { throw manualNotWaited(LockHeld(holder: holder)) }
            if !options.lockWait { throw LockHeld(holder: holder) }
            return
        }
        try refuseUnfinished(workspace, argument: argument)
    }

    /// Throws when the journal holds a deploy that did not finish: run with the lock held, so that a
    /// deploy that starts meanwhile is seen as the lock's holder, never as an unfinished deploy.
    static func refuseUnfinished(_ workspace: Workspace, argument: String) throws {
        guard let unfinished = try workspace.unfinishedJournal() else { return }
        throw CommandFailure(
            "error: deploy \(unfinished.replay.deployID) of \(unfinished.replay.version) did not finish, and nothing runs it now.\n"
                + "Run `deployer resume \(argument)` to carry on, or `deployer abort \(argument)` to put everything back.",
            code: .interrupted)
    }

    /// What to say about a lock whose holder's process is gone: resume or abort its deploy, or release it.
    static func goneHolder(_ holder: LockInfo, _ workspace: Workspace, argument: String) -> CommandFailure {
        let who = "\(holder.command) by \(holder.user) on \(holder.host) (pid \(holder.pid)), since \(holder.since.formatted(.iso8601))"
        if let unfinished = try? workspace.unfinishedJournal() {
            return CommandFailure(
                "error: deploy \(unfinished.replay.deployID) of \(unfinished.replay.version) did not finish: its process is gone (\(who)).\n"
                    + "Run `deployer resume \(argument)` to carry on, or `deployer abort \(argument)` to put everything back.",
                code: .interrupted)
        }
        return CommandFailure(
            "error: the lock is held by \(who), and that process is gone; it left no unfinished deploy.\n"
                + "Check `deployer status \(argument)` for targets left out of service, then `deployer lock release \(argument)`.",
            code: .locked)
    }

    /// For "nothing to resume/abort": the way out when a gone process still holds the lock.
    static func goneLockHint(_ workspace: Workspace, argument: String) async -> String {
        guard let holder = try? await workspace.lock().current(), Identity.isGone(holder) else { return "" }
        return "\nThe lock is held by \(holder.command) (pid \(holder.pid)), which is gone: "
            + "`deployer lock release \(argument)` releases it."
    }

    /// SIGINT, SIGTERM, SIGHUP: stop safely; again, or after `grace`, quit at once naming what is left.
    static func installStopHandler(
        _ control: DeployControl, board: FlightBoard, environment: String, grace: Duration,
        onQuit: @escaping @Sendable () -> Void = {}
    ) -> StopSignals {
        StopSignals(control, board: board, environment: environment, grace: grace, onQuit: onQuit)
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
