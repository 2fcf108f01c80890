import ArgumentParser
import Deployer
import Foundation
import Manifests

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show exactly what `deploy` would do, changing nothing.",
        discussion: """
            Reads the fleet's current state and prints the batches (with absolute sizes), their order, \
            the steps every target goes through, the targets already on the version (skipped) and \
            anything that would stop the deploy. Exit status 1 when the deploy could not start.
            """)

    @OptionGroup var target: EnvironmentOptions
    @OptionGroup var deployOptions: DeployOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let workspace = try Workspace.load(target)
        let version = try deployOptions.version(for: workspace)
        let strategy = try deployOptions.strategy(for: workspace)
        let context = try workspace.context(events: DiscardingEventSink(), version: version)
        let request = workspace.request(version: version, strategy: strategy, deployID: "plan", command: "plan")
        let plan = try await DeployEngine(context).plan(request)
        switch output.format {
        case .json: Console.out(JSONText.pretty(plan))
        case .text, .azurePipelines, .github:
            Console.out(Reports.plan(plan, strategy: strategy))
            Console.out(workspace.stateLines.joined(separator: "\n"))
        }
        if !plan.blockers.isEmpty { throw CommandFailure("", code: .failed) }
    }
}

/// The options that shape a deploy: shared by `plan` and `deploy`.
struct DeployOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The version to deploy (default: the environment's `version:`).", valueName: "version"))
    var version: String?

    @Option(help: ArgumentHelp("Batch size for this run: a count or a percentage (e.g. 2, 25%).", valueName: "N|P%"))
    var batch: String?

    func version(for workspace: Workspace) throws -> String {
        guard let version = version ?? workspace.environment.version else {
            throw CommandFailure(
                "error: no version to deploy: pass --version, or set `version:` in \(workspace.environment.file)",
                code: .badInput)
        }
        if let problem = DeployVersion.problem(version) {
            // A version from the file was checked where it is written; this one is from the command line.
            throw CommandFailure("error: --version: \(problem); nothing was changed", code: .badInput)
        }
        return version
    }

    func strategy(for workspace: Workspace) throws -> Strategy {
        var strategy = workspace.environment.strategy
        if let batch {
            switch Quantity(text: batch) {
            case .count(let count)? where count >= 1: strategy.batches = [.count(count)]
            case .percent(let percent)? where percent > 0 && percent <= 100: strategy.batches = [.percent(percent)]
            default:
                throw CommandFailure("error: --batch \(batch): expected a count (2) or a percentage (25%)", code: .badInput)
            }
        }
        return strategy
    }
}
