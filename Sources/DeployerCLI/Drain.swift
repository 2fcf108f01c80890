import ArgumentParser
import Deployer
import Foundation
import Manifests

struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take one target out of every load balancer, waiting for its sessions to end.",
        discussion: """
            The target stops taking new traffic in every pool; once its sessions end (bounded by the \
            environment's drain-timeout) it is taken out (maint). Refused when that would leave fewer \
            targets in service than min-in-service, or more out than max-unavailable — unless --force. \
            Takes the environment's lock while it works. Put it back with `deployer restore`.
            """)

    @OptionGroup var options: ManualCommand.Options

    func run() async throws {
        let name = options.name
        try await ManualCommand.run(options, command: "drain") { operations in
            let outcome = try await operations.drain(TargetID(name), force: options.force)
            let changed = outcome.changed.isEmpty ? "it was already out of every pool" : "out of \(outcome.changed.map(\.rawValue).joined(separator: ", "))"
            return (outcome, "\(name) drained: \(changed).")
        }
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put one target back into every load balancer it was taken out of.",
        discussion: """
            Refused when the target is not healthy (traffic would reach a broken server) unless --force. \
            Takes the environment's lock while it works.
            """)

    @OptionGroup var options: ManualCommand.Options

    func run() async throws {
        let name = options.name
        try await ManualCommand.run(options, command: "restore") { operations in
            let outcome = try await operations.restore(TargetID(name), force: options.force)
            let changed = outcome.changed.isEmpty ? "it was already in every pool" : "back in \(outcome.changed.map(\.rawValue).joined(separator: ", "))"
            return (outcome, "\(name) restored: \(changed).")
        }
    }
}

/// Drain and restore: take the lock, do the operation, release, report.
enum ManualCommand {
    /// What drain and restore take.
    struct Options: ParsableArguments {
        @OptionGroup var environment: EnvironmentOptions
        @Argument(help: "The target, as `deployer status` names it.")
        var name: String
        @Flag(help: "Go ahead although the safety check refuses (too few in service, or not healthy); a warning is printed.")
        var force = false
        @OptionGroup var lockOptions: LockOptions
        @OptionGroup var output: OutputOptions
    }

    static func run(
        _ options: Options, command: String, _ body: (ManualOperations) async throws -> (ManualOperations.Outcome, String)
    ) async throws {
        let name = options.name
        let lockOptions = options.lockOptions
        let output = options.output
        let workspace = try Workspace.load(options.environment)
        let context = try workspace.context(events: Renderers.make(output))
        let holder = Identity.current(deployID: nil, command: "\(command) \(name)")
        let watch = Session.watch(workspace, holder: holder)
        let result: (ManualOperations.Outcome, String)
        do {
            try await Session.withLockWait(lockOptions, workspace, argument: options.environment.environment) {
                if let other = try await context.lock.acquire(holder) { throw LockHeld(holder: other) }
            }
            do {
                result = try await body(ManualOperations(context, strategy: workspace.environment.strategy))
            } catch {
                try? await context.lock.release(holder)
                await Session.audit(workspace, command: "\(command) \(name)", outcome: "failed: \(UserFacing.describe(error))")
                throw error
            }
            try await context.lock.release(holder)
        } catch {
            await Session.endWatch(watch, workspace, holder: holder)
            throw error
        }
        await Session.endWatch(watch, workspace, holder: holder)
        await Session.audit(workspace, command: "\(command) \(name)", outcome: "done")
        switch output.format {
        case .json:
            Console.out(JSONText.line([
                "target": name, "command": command, "changed": result.0.changed.map(\.rawValue),
                "unchanged": result.0.unchanged.map(\.rawValue), "warnings": result.0.warnings,
            ]))
        case .text, .azurePipelines, .github:
            for warning in result.0.warnings { Console.error("warning: \(warning)") }
            Console.out(result.1)
        }
    }
}
