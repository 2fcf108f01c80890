import ArgumentParser
import Foundation
import Manifests

/// The environment a command works on, and where deployer keeps its state.
struct EnvironmentOptions: ParsableArguments {
    @Argument(help: "The environment: a path to its YAML file, or its name in ./inventories.")
    var environment: String

    @Option(
        help: ArgumentHelp(
            "This machine's state directory: simulated fleets, the ARM request log, and the lock and journals of environments whose `state:` is local.",
            discussion: "Default: $DEPLOYER_STATE_DIR, else .deployer/ beside the environment file. Shared state (`state: ssh`) lives where the environment file says.",
            valueName: "dir"))
    var stateDir: String?
}

/// How results are printed.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
        /// Plain lines with Azure Pipelines logging commands (`##[group]`, `##vso[task.logissue]`, …).
        case azurePipelines = "azure-pipelines"
        /// Plain lines with GitHub Actions workflow commands (`::group::`, `::error::`) and a job summary.
        case github
    }

    @Option(
        help: ArgumentHelp(
            "text (a live view on a terminal, plain lines otherwise), json (JSON lines), azure-pipelines or github "
                + "(plain lines with the CI's own commands).",
            discussion: "Default: azure-pipelines when TF_BUILD=True (an Azure Pipelines agent), github when GITHUB_ACTIONS=true, text elsewhere.",
            valueName: "format"))
    var output: Format?

    @Flag(help: "Plain lines even on a terminal (no live view, no colour).")
    var plain = false

    /// The format asked for, or the one the CI says it is.
    var format: Format {
        if let output { return output }
        let environment = ProcessInfo.processInfo.environment
        if environment["TF_BUILD"]?.lowercased() == "true" { return .azurePipelines }
        if environment["GITHUB_ACTIONS"] == "true" { return .github }
        return .text
    }
}

/// Options of the commands that take the lock.
struct LockOptions: ParsableArguments {
    @Flag(help: "Wait for another deploy to finish instead of failing (never for a manual lock).")
    var lockWait = false

    @Option(help: ArgumentHelp("How long --lock-wait waits (e.g. 10m).", valueName: "duration"))
    var lockWaitTimeout: String = "15m"

    /// How long to wait for the lock; nil without --lock-wait.
    func timeout() throws -> Duration? {
        guard lockWait else { return nil }
        guard let timeout = Duration(manifestText: lockWaitTimeout) else {
            throw CommandFailure("error: --lock-wait-timeout \(lockWaitTimeout) is not a duration (e.g. 10m)", code: .badInput)
        }
        return timeout
    }
}

/// What the commands that roll targets do on SIGINT, SIGTERM and SIGHUP.
struct StopOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "After SIGINT, SIGTERM or SIGHUP, how long an update in progress may take to finish, be verified and restored before deployer quits anyway.",
            discussion: "Default 6s: within the seconds CI systems give before they kill a cancelled job. On quitting, every target left out of service is listed.",
            valueName: "duration"))
    var grace: String = "6s"

    func duration() throws -> Duration {
        guard let value = Duration(manifestText: grace), value > .zero else {
            throw CommandFailure("error: --grace \(grace) is not a duration (e.g. 6s, 2m)", code: .badInput)
        }
        return value
    }
}
