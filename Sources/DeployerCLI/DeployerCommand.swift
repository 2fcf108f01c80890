import ArgumentParser
import Foundation

@main
struct DeployerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployer",
        abstract: "Zero-downtime rolling deploys, and validation of deployment manifests.",
        discussion: """
            An environment is a YAML file (see docs/environment.md): its targets, the load balancers \
            they sit behind, what "deploy" means for them, how their health is judged and the rolling \
            strategy. ENV is the file's path, or its name in ./inventories (or $DEPLOYER_INVENTORIES).

            Typical session:
              deployer validate inventories/
              deployer plan simulated --version v6.21.18
              deployer deploy simulated --version v6.21.18
              deployer status simulated

            Exit codes:
              0  success
              1  failed: the deploy stopped, or a command could not do its work
              2  bad input: a malformed file, an unknown environment or target, a bad option
              3  the deploy finished, but some targets failed (within max-failures)
              4  the environment is locked by another deploy or an operator
              5  interrupted: run `deployer resume ENV` or `deployer abort ENV`
              6  the deploy was aborted
              7  the canary failed its verdict: rolled back, the rest untouched

            `deployer --version` prints the tool's version.
            """,
        subcommands: [
            Plan.self, Deploy.self, Rollback.self, Status.self, History.self, Report.self, Drain.self, Restore.self, Resume.self, Abort.self,
            Validate.self, Compose.self, Helm.self, Lock.self, StateCommand.self,
            Simulate.self,
        ]
    )

    /// The tool's version (`deployer --version`, SARIF's `tool.driver.version`).
    static let toolVersion = "0.1.0"

    static func main() async {
        // A reader that goes away (`deployer deploy … | head`) is a failed write, not the end of a deploy.
        signal(SIGPIPE, SIG_IGN)
        let arguments = ArgumentRewriter.rewrite(Array(CommandLine.arguments.dropFirst()))
        // `deployer --version` alone is the tool's version. It is not a flag of the root command: the
        // parser would take it anywhere on the line, where deploy's `--version <version>` means the
        // version to deploy (and every subcommand's --help would list it).
        if arguments == ["--version"] {
            print(toolVersion)
            terminate(0)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            terminate(exit.rawValue)
        } catch let failure as CommandFailure {
            if !failure.message.isEmpty { Console.error(failure.message) }
            terminate(failure.code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure || code.rawValue == 64 {
                Console.error(fullMessage(for: error))
                terminate(ExitStatus.badInput.rawValue)
            }
            if code == .success {
                print(fullMessage(for: error))
                terminate(0)
            }
            Console.error("error: \(UserFacing.describe(error))")
            terminate(UserFacing.exitStatus(for: error).rawValue)
        }
        terminate(0)
    }

    /// Ends the process once everything said is written, without the C library's exit handlers: the
    /// last SSH connections may still be closing on other threads, and OpenSSL's clean-up at exit would
    /// pull the ground from under them.
    static func terminate(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }
}

/// `--lock-wait=15m` is accepted as well as `--lock-wait` alone (which waits 15 minutes).
enum ArgumentRewriter {
    static func rewrite(_ arguments: [String]) -> [String] {
        var result: [String] = []
        for argument in arguments {
            if argument.hasPrefix("--lock-wait=") {
                result.append("--lock-wait")
                result.append("--lock-wait-timeout")
                result.append(String(argument.dropFirst("--lock-wait=".count)))
            } else {
                result.append(argument)
            }
        }
        return result
    }
}
