import Foundation
import JSONDocument
import Testing

/// `deployer report` and `deploy --report`, read back as a person and a browser would.
@Suite(.serialized) struct ReportTests {
    static func environment() throws -> Scratch {
        try Scratch(
            yaml: Scratch.simulated(count: 4, batch: "2", maxUnavailable: 2, minInService: 2, duration: "200ms")
                .replacingOccurrences(of: "  health-timeout: 5s\n", with: "  health-timeout: 5s\n  canary: {targets: 1, bake: 1s, interval: 250ms, min-requests: 5}\n"))
    }

    @Test func aFailedCanaryReportsItsTimelineCapacityAndRollback() throws {
        let scratch = try Self.environment()
        defer { scratch.remove() }
        let deploy = try DeployerProcess.run(
            ["deploy", "sim", "--yes", "--version", "v2-faulty", "--report", "report.html"], in: scratch.path)
        #expect(deploy.status == 7, "\(deploy.stderr)")
        let html = try String(contentsOfFile: scratch.path + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for fetching in ["<script", "src=", "href=", "@import", "url(", "http://", "https://"] {
            #expect(!html.contains(fetching), "self-contained, nothing fetched: \(fetching)")
        }
        #expect(html.contains("Deploy of v2-faulty to sim — canary-failed"))
        #expect(html.contains("canary-failed (exit 7)"), "the exit code in the header")
        #expect(html.contains("v1 → v2-faulty"))
        #expect(html.contains("<title>canary bake: FAILED"), "the bake, explained on hover")
        #expect(html.contains("rollback: drain on lb-1"), "the rollback's steps")
        #expect(html.contains("floor 2"), "the floor on the capacity line")
        #expect(html.contains("rolled back to v1"))

        let markdown = try DeployerProcess.run(["report", "sim", "--format", "markdown"], in: scratch.path)
        #expect(markdown.status == 0)
        #expect(markdown.stdout.contains("| web-1 | 1 | rolled back to v1 |"), "\(markdown.stdout)")
        let json = try DeployerProcess.run(["report", "sim", "-o", "report.json"], in: scratch.path)
        #expect(json.status == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path + "/report.json"))) as? [String: Any])
        #expect(object["outcome"] as? String == "canary-failed" && object["minInService"] as? Int == 2 && object["fleetSize"] as? Int == 4)
        let capacity = try #require(object["capacity"] as? [[String: Any]])
        #expect(capacity.map { $0["inService"] as? Int ?? -1 }.min() == 3, "one target out at a time")

        let unknown = try DeployerProcess.run(["report", "sim", "20990101T000000Z-00000000"], in: scratch.path)
        #expect(unknown.status == 2 && unknown.stderr.contains("deployer history sim"), "\(unknown.stderr)")
    }

    /// The page as a real browser draws it: headless Chromium renders it to a picture.
    @Test func chromiumRendersTheReport() throws {
        let scratch = try Self.environment()
        defer { scratch.remove() }
        let deploy = try DeployerProcess.run(["deploy", "sim", "--yes", "--report", "report.html"], in: scratch.path)
        #expect(deploy.status == 0, "\(deploy.stderr)")
        try Chromium.screenshot(of: scratch.path + "/report.html", scratch: scratch.path)
    }
}
