import ArgumentParser
import Deployer
import Foundation
import Manifests
import Providers

/// Where an environment's deploy state lives, and bringing this machine's old local state into it.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Show where an environment's deploy state lives; move this machine's old local state there.",
        subcommands: [Show.self, Import.self],
        defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Where the lock, journals, audit log and versions live, and who sees them.")
        @OptionGroup var target: EnvironmentOptions

        func run() async throws {
            let workspace = try Workspace.load(target)
            Console.out(workspace.stateLines.joined(separator: "\n"))
            if workspace.stateDescription.warning == nil, workspace.store.backend.isShared {
                Console.out("Every machine that reaches it sees the same lock, journals and audit log.")
            }
            if let leftover = try await workspace.localLeftover() { Console.out(leftover.message(target.environment)) }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move this machine's local deploy state (journals, audit log, versions) into the environment's shared state.",
            discussion: """
                For an environment whose `state:` moved from this machine to a shared place: copies every \
                journal that is not there yet, appends the audit log, adds the versions the shared state \
                does not know, then renames the local directory to `<name>.imported`. A lock held here by \
                a process that is gone is carried over when the shared lock is free. Nothing is overwritten.
                """)
        @OptionGroup var target: EnvironmentOptions

        func run() async throws {
            let workspace = try Workspace.load(target)
            guard workspace.store.backend.isShared else {
                throw CommandFailure(
                    "error: the deploy state of \(workspace.environment.name) is on this machine (\(workspace.store.backend.location)); there is nothing to import it into",
                    code: .badInput)
            }
            let local = StateStore(LocalStateBackend(directory: workspace.stateDir))
            let shared = workspace.store
            guard FileManager.default.fileExists(atPath: workspace.stateDir) else {
                Console.out("No local deploy state in \(workspace.stateDir): nothing to import.")
                return
            }
            var moved: [String] = []
            for name in try await local.backend.list("journal") where name.hasSuffix(".jsonl") {
                let key = "journal/\(name)"
                guard let data = try await local.backend.read(key) else { continue }
                if try await shared.backend.create(key, data) { moved.append("journal \(name)") }
            }
            for line in try await local.auditLines() { try await shared.audit(line) }
            let known = try await shared.versions()
            for (host, version) in try await local.versions() where known[host] == nil {
                try await shared.recordVersion(version, for: host)
            }
            if let holder = try await local.lock.current(), await Identity.isGone(holder, in: local) {
                if try await shared.lock.acquire(holder) == nil { moved.append("the lock of \(holder.command) (its process is gone)") }
            }
            let imported = workspace.stateDir + ".imported"
            try? FileManager.default.removeItem(atPath: imported)
            try FileManager.default.moveItem(atPath: workspace.stateDir, toPath: imported)
            await Session.audit(workspace, command: "state import", outcome: "done: \(moved.count) item(s) from \(workspace.stateDir)")
            Console.out(
                "Imported into \(shared.backend.location): "
                    + (moved.isEmpty ? "the audit log and versions" : moved.joined(separator: ", ") + ", the audit log and versions")
                    + ". The local copy is kept in \(imported).")
        }
    }
}

/// An unfinished deploy or a lock in this machine's local state directory, left from before the
/// environment's `state:` moved to a shared place: never ignored silently.
struct LocalLeftover {
    var unfinished: String?
    var lock: String?

    func message(_ argument: String) -> String {
        let what = [unfinished.map { "an unfinished deploy (\($0))" }, lock.map { "a lock (\($0))" }].compactMap { $0 }
        return "warning: this machine's local state directory still holds \(what.joined(separator: " and ")), from before "
            + "the deploy state moved; `deployer state import \(argument)` moves it into the shared state."
    }
}

extension Workspace {
    /// What this machine's local state directory still holds when the deploy state is shared.
    func localLeftover() async throws -> LocalLeftover? {
        guard store.backend.isShared, FileManager.default.fileExists(atPath: stateDir + "/journal")
            || FileManager.default.fileExists(atPath: stateDir + "/lock.json")
        else { return nil }
        let local = StateStore(LocalStateBackend(directory: stateDir))
        let unfinished = try? await local.unfinished()
        let lock = try? await local.lock.current()
        guard unfinished != nil || lock != nil else { return nil }
        return LocalLeftover(
            unfinished: unfinished.map { "\($0.deployID) of \($0.replay.version)" },
            lock: lock.map { LockHeld(holder: $0).description })
    }
}
