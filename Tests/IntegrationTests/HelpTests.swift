import Foundation
import Testing

/// Every command's `--help` as a user reads it: it teaches (an overview, the usage), exits 0, and
/// names each option once — the tool's own version flag is `deployer --version`, never mixed with
/// deploy's `--version <version>`.
@Suite struct HelpTests {
    static let commands: [[String]] = [
        [], ["plan"], ["deploy"], ["rollback"], ["status"], ["history"], ["report"], ["drain"], ["restore"], ["resume"],
        ["abort"], ["validate"], ["compose"], ["compose", "config"], ["helm"], ["helm", "bump"], ["lock"], ["lock", "status"],
        ["lock", "release"], ["state"], ["state", "show"], ["state", "import"], ["simulate"], ["simulate", "azure"],
    ]

    @Test(arguments: commands) func helpTeachesAndListsEachOptionOnce(_ command: [String]) throws {
        let result = try DeployerProcess.run(command + ["--help"], in: NSTemporaryDirectory())
        #expect(result.status == 0, "\(command): \(result.stderr)")
        #expect(result.stdout.hasPrefix("OVERVIEW: "), "\(command): \(result.stdout.prefix(200))")
        #expect(result.stdout.contains("USAGE: deployer"), "\(command)")
        // Option lines: two spaces, then the flag (and its short form or value).
        let optionsSection = result.stdout.components(separatedBy: "\nOPTIONS:\n").dropFirst().joined()
        let options = optionsSection.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.drop { $0 == " " }
            guard line.hasPrefix("  "), trimmed.hasPrefix("-") else { return nil }
            return trimmed.split(separator: " ").first.map { String($0.split(separator: ",").first ?? "") }
        }
        let repeated = Dictionary(grouping: options, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(repeated.isEmpty, "\(command): listed twice: \(repeated)")
        if command == ["deploy"] {
            #expect(result.stdout.contains("--version <version>"), "deploy's own --version is the version to deploy")
        }
    }

    /// deploy's `--version <version>` is the version to deploy, wherever it stands on the line.
    @Test func deploysVersionOptionIsNotTheToolsVersion() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(count: 2, batch: "1", maxUnavailable: 1, minInService: 1))
        defer { scratch.remove() }
        let plan = try DeployerProcess.run(["plan", "sim", "--version", "v7"], in: scratch.path)
        #expect(plan.status == 0 && plan.stdout.contains("v7"), "\(plan.stdout)\(plan.stderr)")
        let deploy = try DeployerProcess.run(["deploy", "--version", "v7", "sim", "--yes"], in: scratch.path)
        #expect(deploy.status == 0, "\(deploy.stdout)\(deploy.stderr)")
        #expect(try StatusReport.read(in: scratch.path).targets.allSatisfy { $0.version == "v7" })
    }

    @Test func theToolSaysItsVersion() throws {
        let result = try DeployerProcess.run(["--version"], in: NSTemporaryDirectory())
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3, "\(result.stdout)")
    }
}
