import ArgumentParser
import Deployer
import Foundation
import Manifests

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What happened in a deploy, at a glance: a timeline, the capacity, every target's steps.",
        discussion: """
            Built from the deploy's journal, wherever the state lives (the last deploy by default). \
            html: one self-contained page (inline SVG and CSS, no script, nothing fetched) with the \
            header (environment, versions, who, when, duration, result and exit code), a timeline of \
            every target's steps coloured by step with failures marked and explained on hover, batch \
            boundaries and canary bakes, the targets in service over time against the floor, and a \
            table of every target's steps. svg: the timeline alone. markdown: the summary as tables, \
            for $GITHUB_STEP_SUMMARY or Azure Pipelines' task.uploadsummary. json: all of it as data. \
            A fleet of more than 40 targets is drawn a row per batch, with its 10 slowest targets.

            Examples:
              deployer report simulated -o report.html
              deployer report prod-vmss 20261121T095837Z-0b06cc4f --format markdown >> "$GITHUB_STEP_SUMMARY"
            """)

    @OptionGroup var target: EnvironmentOptions
    @Argument(help: "The deploy's id (default: the last deploy).")
    var deployID: String?
    @Option(help: ArgumentHelp("html, svg, markdown or json (default: from -o's extension, else html).", valueName: "format"))
    var format: String?
    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to FILE instead of standard output.", valueName: "FILE"))
    var output: String?

    func run() async throws {
        let workspace = try Workspace.load(target)
        let chosen = try Self.format(format, file: output)
        let id: String
        if let deployID {
            id = deployID
        } else {
            let names = try await workspace.store.backend.list("journal").filter { $0.hasSuffix(".jsonl") }
            guard let newest = names.max() else {
                throw CommandFailure(
                    "error: no deploy of \(workspace.environment.name) is recorded at \(workspace.store.backend.location)", code: .badInput)
            }
            id = String(newest.dropLast(".jsonl".count))
        }
        guard let report = try await Self.report(workspace, deployID: id) else {
            throw CommandFailure(
                "error: no deploy \(id) of \(workspace.environment.name) at \(workspace.store.backend.location) "
                    + "(`deployer history \(target.environment)` lists them)",
                code: .badInput)
        }
        try Self.write(ReportRenderer.render(report, as: chosen), to: output)
    }

    static func format(_ text: String?, file: String?) throws -> ReportRenderer.Format {
        if let text {
            guard let format = ReportRenderer.Format(rawValue: text) else {
                throw CommandFailure(
                    "error: --format \(text): expected one of " + ReportRenderer.Format.allCases.map(\.rawValue).joined(separator: ", "),
                    code: .badInput)
            }
            return format
        }
        return file.flatMap { ReportRenderer.Format(fileName: $0) } ?? .html
    }

    /// The report of `deployID`, from its journal; nil when there is none.
    static func report(_ workspace: Workspace, deployID: String) async throws -> DeployReport? {
        let safe = deployID.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
        guard safe, !deployID.isEmpty, !deployID.hasPrefix(".") else { return nil }
        let records = try await workspace.store.journal(deployID).records()
        return DeployReport(records)
    }

    static func write(_ text: String, to file: String?) throws {
        guard let file else {
            Console.out(text)
            return
        }
        do {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            throw CommandFailure("error: cannot write the report to \(file): \(error.localizedDescription)", code: .failed)
        }
    }
}
