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
                if await Identity.isGone(held.holder, in: workspace.store) {
                    throw try await goneHolder(held.holder, workspace, argument: argument)
                }
                guard let timeout else { throw await described(held, workspace) }
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

    /// Exit 4 with the holder as `status` shows it: alive or not, last heard from, its last journal record.
    private static func described(_ held: LockHeld, _ workspace: Workspace) async -> CommandFailure {
        CommandFailure("error: \(await Status.describe(held.holder, workspace))", code: .locked)
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
            if await Identity.isGone(holder, in: workspace.store) { throw try await goneHolder(holder, workspace, argument: argument) }
            if options.lockWait, holder.manual { throw manualNotWaited(LockHeld(holder: holder)) }
            if !options.lockWait { throw await described(LockHeld(holder: holder), workspace) }
            return
        }
        try await refuseUnfinished(workspace, argument: argument)
    }

    /// Throws when the journal holds a deploy that did not finish: run with the lock held, so that a
    /// deploy that starts meanwhile is seen as the lock's holder, never as an unfinished deploy.
    static func refuseUnfinished(_ workspace: Workspace, argument: String) async throws {
        if let leftover = try await workspace.localLeftover(), leftover.unfinished != nil {
            throw CommandFailure("error: " + leftover.message(argument).dropFirst("warning: ".count), code: .interrupted)
        }
        guard let unfinished = try await workspace.unfinishedJournal() else { return }
        throw CommandFailure(
            "error: deploy \(unfinished.replay.deployID) of \(unfinished.replay.version) did not finish, and nothing runs it now.\n"
                + "Run `deployer resume \(argument)` to carry on, or `deployer abort \(argument)` to put everything back.",
            code: .interrupted)
    }

    /// What to say about a lock whose holder's process is gone: resume or abort its deploy, or release it.
    static func goneHolder(_ holder: LockInfo, _ workspace: Workspace, argument: String) async throws -> CommandFailure {
        let who = "\(holder.command) by \(holder.user) on \(holder.host) (pid \(holder.pid)), since \(holder.since.formatted(.iso8601))"
        let gone = await Identity.goneSinceText(holder, in: workspace.store)
        if let unfinished = try await workspace.unfinishedJournal() {
            return CommandFailure(
                "error: deploy \(unfinished.replay.deployID) of \(unfinished.replay.version) did not finish: its process is gone\(gone) (\(who)).\n"
                    + "Run `deployer resume \(argument)` to carry on, or `deployer abort \(argument)` to put everything back.",
                code: .interrupted)
        }
        return CommandFailure(
            "error: the lock is held by \(who), and that process is gone\(gone); it left no unfinished deploy.\n"
                + "Check `deployer status \(argument)` for targets left out of service, then `deployer lock release \(argument)`.",
            code: .locked)
    }

    /// While a command runs with (or waiting for) the lock: its heartbeat every few seconds, so that
    /// other machines can tell it is alive; for a deploy or resume, abort requests made from any machine
    /// (`deployer abort`), looked for every second. Stop it with `endWatch`.
    static func watch(_ workspace: Workspace, holder: LockInfo, control: DeployControl? = nil, deployID: String? = nil) -> Task<Void, Never> {
        let store = workspace.store
        return Task.detached {
            var tick = 0
            var held = false
            while !Task.isCancelled {
                if tick % Int(Identity.heartbeatInterval.seconds) == 0 { try? await store.beat(holder, at: Date()) }
                // A lock taken from under a running deploy (its lease broken, taken over): it is no
                // longer alone, so it stops at the next step boundary, resumable. Looked at every
                // second once the lock was seen to be this deploy's (the watch begins while the lock is
                // still waited for). No lock at all is this deploy's own release as it ends.
                if let control, workspace.lockIsInStore, let current = try? await store.lock.current() {
                    if current == holder { held = true }
                    let leased = current == holder ? (try? await store.backend.isProtected(StateStore.lockFile)) ?? true : true
                    let lost = current != holder || !leased
                    if held, lost {
                        Console.error(
                            "error: the deploy lock at \(store.backend.location) is no longer this deploy's (taken over, or its "
                                + "lease broken): stopping at the next step boundary")
                        control.requestInterrupt()
                        return
                    }
                }
                if let control, let deployID, (try? await store.abortRequested(deployID)) == true { control.requestAbort() }
                tick += 1
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Stops the watch and waits for it: an SSH call still running when the process exits would be cut
    /// down in the middle by the exit's clean-up.
    static func endWatch(_ task: Task<Void, Never>, _ workspace: Workspace, holder: LockInfo) async {
        task.cancel()
        await task.value
        try? await workspace.store.endBeat(holder)
    }

    /// Refuses to resume or abort from the journal while the deploy's process is alive, wherever it
    /// runs (this machine: its pid; elsewhere: its heartbeat): exit 4, naming it.
    static func refuseIfRunning(_ workspace: Workspace, deployID: String, argument: String) async throws {
        guard let holder = try await workspace.lock().current(), holder.deployID == deployID,
            !(await Identity.isGone(holder, in: workspace.store))
        else { return }
        let heard = await Identity.lastHeard(holder, in: workspace.store).map { ", \($0)" } ?? ""
        throw CommandFailure(
            "error: deploy \(deployID) is still running: \(LockHeld(holder: holder).description)\(heard).\n"
                + "Stop it with Ctrl-C in its terminal or `deployer abort \(argument)`, or wait for it to finish.",
            code: .locked)
    }

    /// For "nothing to resume/abort": the way out when a gone process still holds the lock.
    static func goneLockHint(_ workspace: Workspace, argument: String) async -> String {
        if let leftover = try? await workspace.localLeftover() { return "\n" + leftover.message(argument) }
        guard let holder = try? await workspace.lock().current(), await Identity.isGone(holder, in: workspace.store) else {
            return ""
        }
        return "\nThe lock is held by \(holder.command) (pid \(holder.pid)), which is gone: "
            + "`deployer lock release \(argument)` releases it."
    }

    /// SIGINT, SIGTERM, SIGHUP: stop safely; again, or after `grace`, quit at once naming what is left.
    /// What a command that rolls targets sets up first: its control, its live view, and the handler
    /// that makes a signal stop it safely (installed first of all, so that a signal that comes while
    /// the environment is read still stops safely). Cancel the handler when the command ends.
    static func begin(
        _ target: EnvironmentOptions, stop: StopOptions, output: OutputOptions
    ) throws -> (control: DeployControl, board: FlightBoard, handler: StopSignals) {
        let control = DeployControl()
        let board = FlightBoard(Renderers.make(output))
        let handler = installStopHandler(control, board: board, environment: target.environment, grace: try stop.duration())
        return (control, board, handler)
    }

    static func installStopHandler(
        _ control: DeployControl, board: FlightBoard, environment: String, grace: Duration
    ) -> StopSignals {
        StopSignals(control, board: board, environment: environment, grace: grace)
    }

    /// Refuses to start when a stop was asked before the deploy began: nothing was changed.
    static func refuseIfStopped(_ control: DeployControl) throws {
        guard control.interruptRequested else { return }
        throw CommandFailure("Stopped before the deploy began: nothing was changed.", code: .interrupted)
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

    /// Appends one line to the environment's audit log: who ran what, when, and how it ended. Throws
    /// when the deploy state cannot be written (the start of a deploy is recorded before anything changes).
    static func auditOrFail(
        _ workspace: Workspace, command: String, version: String? = nil, outcome: String, deployID: String? = nil
    ) async throws {
        let holder = Identity.current(deployID: deployID, command: command)
        var entry: [String: Any] = [
            "at": Date().formatted(.iso8601), "user": holder.user, "host": holder.host,
            "command": command, "environment": workspace.environment.name, "outcome": outcome,
        ]
        if let version { entry["version"] = version }
        if let deployID { entry["deploy"] = deployID }
        try await workspace.store.audit(JSONText.line(entry))
    }

    /// `auditOrFail`, with a warning instead of an error: the command's own work is done.
    static func audit(
        _ workspace: Workspace, command: String, version: String? = nil, outcome: String, deployID: String? = nil
    ) async {
        do {
            try await auditOrFail(workspace, command: command, version: version, outcome: outcome, deployID: deployID)
        } catch {
            Console.error("warning: the audit log was not written: \(UserFacing.describe(error))")
        }
    }

    /// `audit` from a thread that is not in the concurrency pool (a signal handler about to exit),
    /// waiting at most two seconds.
    static func auditBlocking(
        _ workspace: Workspace, command: String, version: String?, outcome: String, deployID: String?
    ) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await audit(workspace, command: command, version: version, outcome: outcome, deployID: deployID)
            done.signal()
        }
        _ = done.wait(timeout: .now() + 2)
    }

    /// Prints a summary in the chosen format and turns its outcome into the exit status.
    static func finish(_ summary: DeploySummary, output: OutputOptions) throws {
        if output.format != .json { Console.out(Reports.summary(summary)) }
        let status = ExitStatus(summary.outcome)
        if status != .success { throw CommandFailure("", code: status) }
    }
}
