import Foundation
import Testing

/// A deploy's output in the CI's own terms, picked from the variables each CI sets.
@Suite struct CIOutputTests {
    static func environment(failing: Bool) throws -> Scratch {
        var yaml = Scratch.simulated(count: 4, batch: "2", maxUnavailable: 4, minInService: 0, failureRate: failing ? 1 : 0)
        yaml = yaml.replacingOccurrences(of: "strategy:\n", with: "strategy:\n  max-failures: 4\n")
        return try Scratch(yaml: yaml)
    }

    @Test func azurePipelinesGetsGroupsProgressIssuesAndSucceededWithIssues() throws {
        let scratch = try Self.environment(failing: true)
        defer { scratch.remove() }
        let result = try DeployerProcess.run(
            ["deploy", "sim", "--yes"], in: scratch.path, environment: ["TF_BUILD": "True", "AGENT_TEMPDIRECTORY": scratch.path])
        #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
        let upload = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("##vso[task.uploadsummary]") })
        let markdown = try String(contentsOfFile: String(upload.dropFirst("##vso[task.uploadsummary]".count)), encoding: .utf8)
        #expect(markdown.hasPrefix("### Deployed v2 to sim, with failures"), "\(markdown)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("##[group]batch 1/2: web-1, web-2") && lines.contains("##[endgroup]"), "\(result.stdout)")
        #expect(lines.contains("##vso[task.setprogress value=0;]deploying") && lines.contains("##vso[task.setprogress value=100;]deploying"))
        #expect(lines.filter { $0.hasPrefix("##vso[task.logissue type=error;]web-") }.count == 4, "an issue per failed target")
        #expect(lines.contains { $0.hasPrefix("##vso[task.complete result=SucceededWithIssues;]") }, "exit 3 is SucceededWithIssues")
        #expect(result.stdout.contains("Deployed v2 to sim, with failures"), "the plain summary as well")

        let plain = try DeployerProcess.run(
            ["deploy", "sim", "--yes", "--output", "text"], in: scratch.path, environment: ["TF_BUILD": "True", "AGENT_TEMPDIRECTORY": scratch.path])
        #expect(!plain.stdout.contains("##vso["), "--output text wins over the CI's variable")
    }

    @Test func githubActionsGetsGroupsAnnotationsAndAJobSummary() throws {
        let scratch = try Self.environment(failing: false)
        defer { scratch.remove() }
        let summary = scratch.path + "/step-summary.md"
        try "## earlier step\n".write(toFile: summary, atomically: true, encoding: .utf8)
        let result = try DeployerProcess.run(
            ["deploy", "sim", "--yes"], in: scratch.path, environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("::group::batch 1/2: web-1, web-2") && lines.filter { $0 == "::endgroup::" }.count == 2, "\(result.stdout)")
        let markdown = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(markdown.hasPrefix("## earlier step\n### Deployed v2 to sim\n"), "appended, not replaced: \(markdown)")
        #expect(markdown.contains("| web-4 | updated v1 → v2 in"), "\(markdown)")

        let failing = try Self.environment(failing: true)
        defer { failing.remove() }
        let failed = try DeployerProcess.run(["deploy", "sim", "--yes"], in: failing.path, environment: ["GITHUB_ACTIONS": "true"])
        #expect(failed.status == 3)
        #expect(failed.stdout.split(separator: "\n").filter { $0.hasPrefix("::error::web-") }.count == 4, "\(failed.stdout)")
    }
}
