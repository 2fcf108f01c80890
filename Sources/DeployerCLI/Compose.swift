import ArgumentParser
import Foundation
import Manifests

struct Compose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show compose projects as compose sees them.",
        subcommands: [Config.self])

    struct Config: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the merged, interpolated project of compose files, like `docker compose config`.",
            discussion: """
                The files are merged in the order given, as `docker compose -f … -f …` merges them: \
                mappings key by key (the later file wins), lists appended, except `command`, \
                `entrypoint` and `healthcheck.test` (replaced) and lists unique by key (`ports`, \
                `volumes`, `secrets`, `configs`, `environment`, …). `!reset` removes a value, \
                `!override` replaces it whole. `${VAR}` references are filled in from the environment, \
                then from the project's .env (or the --env-file files instead); the project directory \
                is the first file's.

                A secret written in plain text (a password, token or key in `environment`, which \
                `deployer validate` reports) is printed masked, as ••••••.

                --explain PATH prints, instead of the project, where each value under PATH was written \
                (file:line:column) and what every later file changed there. PATH is dotted; list \
                entries are [N].

                Examples:
                  deployer compose config -f docker-compose.yml -f docker-compose-test.yml
                  deployer compose config -f docker-compose.yml -f docker-compose-test.yml \\
                      --explain services.backend_v2.env_file
                  deployer compose config -f compose.yaml --env-file ci.env --format json
                  COMPOSE_PROFILES=debug deployer compose config -f compose.yaml

                Problems go to stderr as `file:line:column: error|warning[rule]: message`. Exit status: \
                0 printed (warnings allowed), 1 the project has errors (nothing is printed), 2 usage or \
                a file that cannot be read.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case yaml, json
        }

        @Option(name: [.customShort("f"), .long], help: "A compose file; repeat for overlays, merged in order.")
        var file: [String] = []

        @Option(name: .customLong("env-file"), help: "A file of NAME=value lines used instead of the project's .env; repeatable.")
        var envFile: [String] = []

        @Option(name: .customLong("profile"), help: "A profile to enable (adds to COMPOSE_PROFILES); repeatable.")
        var profile: [String] = []

        @Option(help: "Explain where the value at this dotted path came from (e.g. services.web.ports).")
        var explain: String?

        @Option(help: "yaml (default) or json.")
        var format: Format = .yaml

        func validate() throws {
            if file.isEmpty {
                throw ValidationError("give at least one compose file with -f (e.g. -f docker-compose.yml)")
            }
        }

        func run() throws {
            var environment = ProcessInfo.processInfo.environment
            if !profile.isEmpty {
                let current = environment["COMPOSE_PROFILES"].map { [$0] } ?? []
                environment["COMPOSE_PROFILES"] = (current + profile).joined(separator: ",")
            }
            let configuration = ComposeConfiguration.load(
                files: file, options: ValidationOptions(environment: environment, envFiles: envFile))
            let diagnostics = configuration.diagnostics
            if !diagnostics.isEmpty {
                Console.error(
                    DiagnosticRenderer.text(
                        diagnostics, sources: { try? String(contentsOfFile: $0, encoding: .utf8) },
                        color: Console.stderrIsTerminal && Console.colorAllowed))
            }
            if diagnostics.contains(where: { ["file-not-found", "unreadable-file", "encoding"].contains($0.rule ?? "") }) {
                throw ExitCode(ExitStatus.badInput.rawValue)
            }
            guard configuration.isUsable else {
                let errors = diagnostics.filter { $0.severity == .error }.count
                Console.error("\(errors) error(s); the project was not printed.")
                throw ExitCode(ExitStatus.failed.rawValue)
            }
            if let explain {
                guard let text = configuration.explain(explain) else {
                    Console.error("error: the merged project has no value at `\(explain)`")
                    throw ExitCode(ExitStatus.badInput.rawValue)
                }
                Console.out(text)
                return
            }
            Console.out(format == .json ? configuration.json() : configuration.yaml())
        }
    }
}
