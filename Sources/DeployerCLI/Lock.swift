import ArgumentParser
import Deployer
import Foundation
import Manifests
import Providers

struct Lock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hold, release or show an environment's deploy lock.",
        subcommands: [Acquire.self, Release.self, Show.self],
        defaultSubcommand: Show.self)

    struct Acquire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lock an environment by hand (e.g. during an incident): deploys are refused, and never wait for it.")
        @OptionGroup var target: EnvironmentOptions
        @Option(name: .shortAndLong, help: "Why (shown to whoever is refused).")
        var message: String

        func run() async throws {
            let workspace = try Workspace.load(target)
            let holder = Identity.current(deployID: nil, command: "lock", message: message, manual: true)
            if let other = try await workspace.lock().acquire(holder) {
                throw LockHeld(holder: other)
            }
            await Session.audit(workspace, command: "lock acquire: \(message)", outcome: "done")
            Console.out("\(workspace.environment.name) is locked: \(message). Release with `deployer lock release \(target.environment)`.")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release a manual lock, or one whose holder is gone (or, with --force, any lock).",
            discussion: """
                A manual lock is released at once. A deploy's, drain's or restore's lock is released when its \
                process on this machine is gone and left no unfinished deploy (a deploy that did not finish \
                needs `deployer resume` or `deployer abort`, which take its lock over). A lock held by a live \
                process, or by one on another machine, is only released with --force.
                """)
        @OptionGroup var target: EnvironmentOptions
        @Flag(help: "Release the lock whoever holds it, even a running deploy's. Only when you know it is dead.")
        var force = false

        func run() async throws {
            let workspace = try Workspace.load(target)
            let lock = try workspace.lock()
            guard let holder = try await lock.current() else {
                Console.out("\(workspace.environment.name) is not locked.")
                return
            }
            let argument = target.environment
            if !holder.manual, !force {
                let description = LockHeld(holder: holder).description
                guard await Identity.isGone(holder, in: workspace.store) else {
                    throw CommandFailure(
                        "error: the lock is held by a running \(holder.command): \(description)"
                            + (await Identity.lastHeard(holder, in: workspace.store).map { ", \($0)" } ?? "") + "\n"
                            + "Wait for it, stop it (Ctrl-C, or `deployer abort \(argument)` for a deploy), or --force if you know it is dead.",
                        code: .locked)
                }
                if let unfinished = try await workspace.unfinishedJournal() {
                    throw CommandFailure(
                        "error: the lock is held by deploy \(unfinished.deployID), whose process is gone: \(description)\n"
                            + "It did not finish: `deployer resume \(argument)` carries it on, `deployer abort \(argument)` puts everything back; "
                            + "either takes the lock over.",
                        code: .interrupted)
                }
                Console.out("Found: \(description) — that process is gone, and it left no unfinished deploy.")
            }
            // Released only if `holder` still holds it: a deploy that took it meanwhile keeps it.
            try await lock.release(holder)
            await Session.audit(workspace, command: "lock release" + (force ? " --force" : ""), outcome: "done: was \(LockHeld(holder: holder).description)")
            Console.out("\(workspace.environment.name) is unlocked.")
            if !holder.manual {
                Console.out("Targets it had taken out stay where they are: `deployer status \(argument)` shows them, `deployer restore` puts one back.")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show who holds the lock.")
        @OptionGroup var target: EnvironmentOptions

        func run() async throws {
            let workspace = try Workspace.load(target)
            if let holder = try await workspace.lock().current() {
                Console.out(await Status.describe(holder, workspace))
            } else {
                Console.out("\(workspace.environment.name) is not locked.")
            }
        }
    }
}
