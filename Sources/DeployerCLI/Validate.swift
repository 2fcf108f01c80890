import ArgumentParser
import Foundation
import Manifests

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check environment files and Ansible inventories.",
        discussion: """
            PATH is a file or a directory (searched for *.yml / *.yaml). Every problem is reported, \
            each as `file:line:column: error|warning[rule]: message`, sorted. Exit status: 0 clean \
            (warnings allowed unless --strict), 1 problems found, 2 usage or I/O error.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, github, json
    }

    @Argument(help: "Files or directories to check (default: inventories).")
    var paths: [String] = []

    @Option(help: "text, github (GitHub Actions annotations) or json (an array of objects).")
    var format: Format = .text

    @Flag(help: "Fail on warnings too.")
    var strict = false

    func run() throws {
        let targets = paths.isEmpty ? ["inventories"] : paths
        let diagnostics = ManifestValidator.validate(paths: targets)
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
        }
        if diagnostics.contains(where: { $0.rule == "file-not-found" }) { throw ExitCode(ExitStatus.badInput.rawValue) }
        if diagnostics.contains(where: { $0.severity == .error }) || (strict && !diagnostics.isEmpty) {
            throw ExitCode(ExitStatus.failed.rawValue)
        }
    }
}
