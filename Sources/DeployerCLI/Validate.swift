import ArgumentParser
import Foundation
import Manifests

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests: compose files and overlays, Helm charts, Kong configs, inventories, environments.",
        discussion: """
            PATH is a file or a directory, searched for *.yml / *.yaml (hidden directories skipped). Each \
            file is told apart by name and content: a directory holding Chart.yaml is a Helm chart; a file \
            with `services:` as a mapping (or named like compose.yaml, docker-compose*.yml) is compose, and \
            the compose files of one directory tree are validated as a project with its overlays; \
            `_format_version:` (or `services:` as a list) is a Kong declarative config; `targets:` is a \
            deployer environment file; a mapping of groups is an Ansible inventory.

            -f FILE (repeatable) validates one compose project merged from those files, in order, as \
            `docker compose -f … -f …` merges them; each finding names the file that contributed the \
            offending value. `${VAR}` is interpolated from the environment, then the project's .env \
            (or the --env-file files instead).

            Every problem is reported, each as `file:line:column: error|warning[rule]: message`, sorted; \
            on a terminal with an excerpt and a caret. `--rules` lists every rule.

            Examples:
              deployer validate                      # inventories/ and manifests/
              deployer validate manifests/monolith
              deployer validate -f docker-compose.yml -f docker-compose-test.yml
              deployer validate --format github .    # annotations in a GitHub Actions log
              deployer validate --format azure-pipelines .   # issues in an Azure Pipelines run
              deployer validate --format sarif . > deployer.sarif   # for code scanning
              deployer validate --rules

            Exit status: 0 clean (warnings allowed unless --strict), 1 problems found, 2 usage or I/O error.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, github, json
        case azurePipelines = "azure-pipelines"
        case sarif
    }

    @Argument(help: "Files or directories to check (default: inventories and manifests, those that exist).")
    var paths: [String] = []

    @Option(name: .customShort("f"), help: ArgumentHelp("A compose file of one project (repeat for overlays, in order).", valueName: "FILE"))
    var composeFiles: [String] = []

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Variables for compose interpolation, instead of the project's .env (repeatable).", valueName: "FILE"))
    var envFiles: [String] = []

    @Option(
        help: "text, github (GitHub Actions annotations), azure-pipelines (##vso[task.logissue] lines), sarif (SARIF 2.1.0, for code scanning) or json (an array of objects).")
    var format: Format = .text

    @Flag(help: "Fail on warnings too.")
    var strict = false

    @Flag(help: "List every rule with what it catches, and exit.")
    var rules = false

    func validate() throws {
        if !composeFiles.isEmpty && !paths.isEmpty {
            throw ValidationError("give either compose files with -f or PATHs, not both")
        }
    }

    func run() throws {
        if rules {
            Console.out(Self.ruleTable(format: format))
            return
        }
        let options = ValidationOptions(environment: ProcessInfo.processInfo.environment, envFiles: envFiles)
        let diagnostics: [Diagnostic]
        if !composeFiles.isEmpty {
            diagnostics = ManifestValidator.validateCompose(files: composeFiles, options: options)
        } else {
            var targets = paths
            if targets.isEmpty {
                targets = ["inventories", "manifests"].filter { FileManager.default.fileExists(atPath: $0) }
                guard !targets.isEmpty else {
                    throw CommandFailure(
                        "nothing to validate: no PATH given and neither ./inventories nor ./manifests exists",
                        code: .badInput)
                }
            }
            diagnostics = ManifestValidator.validate(paths: targets, options: options)
        }
        switch format {
        case .text:
            let text = DiagnosticRenderer.text(
                diagnostics, sources: { try? String(contentsOfFile: $0, encoding: .utf8) },
                color: Console.stdoutIsTerminal && Console.colorAllowed)
            if !text.isEmpty { Console.out(text) }
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.count - errors
            Console.error(errors + warnings == 0 ? "No problems found." : "\(errors) error(s), \(warnings) warning(s).")
        case .github:
            let text = DiagnosticRenderer.github(diagnostics)
            if !text.isEmpty { Console.out(text) }
        case .json:
            Console.out(DiagnosticRenderer.json(diagnostics))
        case .azurePipelines:
            let text = DiagnosticRenderer.azurePipelines(diagnostics)
            if !text.isEmpty { Console.out(text) }
        case .sarif:
            Console.out(
                DiagnosticRenderer.sarif(
                    diagnostics, toolVersion: DeployerCommand.toolVersion,
                    workingDirectory: FileManager.default.currentDirectoryPath))
        }
        if diagnostics.contains(where: { $0.rule == "file-not-found" && $0.location == nil }) {
            throw ExitCode(ExitStatus.badInput.rawValue)
        }
        if diagnostics.contains(where: { $0.severity == .error }) || (strict && !diagnostics.isEmpty) {
            throw ExitCode(ExitStatus.failed.rawValue)
        }
    }

    /// Every rule: a table on a terminal or in text, an array of objects in json.
    static func ruleTable(format: Format) -> String {
        let rules = RuleCatalog.all
        if format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let records = rules.map { ["id": $0.id, "severity": $0.severity.rawValue, "kind": $0.kind.rawValue, "summary": $0.summary] }
            return (try? encoder.encode(records)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        }
        let width = rules.map(\.id.count).max() ?? 0
        var lines: [String] = []
        var kind: Rule.Kind?
        for rule in rules {
            if rule.kind != kind {
                if kind != nil { lines.append("") }
                lines.append("\(rule.kind.rawValue):")
                kind = rule.kind
            }
            let id = rule.id.padding(toLength: width, withPad: " ", startingAt: 0)
            let severity = rule.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
            lines.append("  \(id)  \(severity)  \(rule.summary)")
        }
        return lines.joined(separator: "\n")
    }
}
