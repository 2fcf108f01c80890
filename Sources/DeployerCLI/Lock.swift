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
            Session.audit(workspace, command: "lock acquire: \(message)", outcome: "done")
            Console.out("\(workspace.environment.name) is locked: \(message). Release with `deployer lock release \(target.environment)`.")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a manual lock (or, with --force, any lock).")
        @OptionGroup var target: EnvironmentOptions
        @Flag(help: "Release the lock whoever holds it, even a deploy's. Only when you know it is dead.")
        var force = false

        func run() async throws {
            let workspace = try Workspace.load(target)
            let lock = try workspace.lock()
            guard let holder = try await lock.current() else {
                Console.out("\(workspace.environment.name) is not locked.")
                return
            }
            if !holder.manual, !force {
                throw CommandFailure(
                    "error: the lock is held by a deploy: \(LockHeld(holder: holder).description)\n"
                        + "Use `deployer resume` or `deployer abort`, or --force if you know it is dead.",
                    code: .locked)
            }
            // Released only if `holder` still holds it: a deploy that took it meanwhile keeps it.
            try await lock.release(holder)
            Session.audit(workspace, command: "lock release", outcome: "done")
            Console.out("\(workspace.environment.name) is unlocked.")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Show who holds the lock.")
        @OptionGroup var target: EnvironmentOptions

        func run() async throws {
            let workspace = try Workspace.load(target)
            if let holder = try await workspace.lock().current() {
                Console.out(LockHeld(holder: holder).description)
            } else {
                Console.out("\(workspace.environment.name) is not locked.")
            }
        }
    }
}
