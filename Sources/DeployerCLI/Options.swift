import ArgumentParser

/// The environment a command works on, and where deployer keeps its state.
struct EnvironmentOptions: ParsableArguments {
    @Argument(help: "The environment: a path to its YAML file, or its name in ./inventories.")
    var environment: String

    @Option(
        help: ArgumentHelp(
            "Where locks, journals and simulated fleets are kept.",
            discussion: "Default: $DEPLOYER_STATE_DIR, else .deployer/ beside the environment file.",
            valueName: "dir"))
    var stateDir: String?
}

/// How results are printed.
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text
        case json
    }

    @Option(
        help: ArgumentHelp(
            "text (a live view on a terminal, plain lines otherwise) or json (JSON lines for CI).",
            valueName: "format"))
    var output: Format = .text

    @Flag(help: "Plain lines even on a terminal (no live view, no colour).")
    var plain = false
}

/// Options of the commands that take the lock.
struct LockOptions: ParsableArguments {
    @Flag(help: "Wait for another deploy to finish instead of failing (never for a manual lock).")
    var lockWait = false

    @Option(help: ArgumentHelp("How long --lock-wait waits (e.g. 10m).", valueName: "duration"))
    var lockWaitTimeout: String = "15m"
}
