import Foundation
import Testing

/// `deployer rollback` as a user runs it, on a simulated fleet.
@Suite struct RollbackCLITests {
    @Test func rollbackPutsBackTheVersionBeforeTheLastDeployOrTheOneGiven() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(count: 4, batch: "2", maxUnavailable: 2, minInService: 2))
        defer { scratch.remove() }
        let nothing = try DeployerProcess.run(["rollback", "sim", "--yes"], in: scratch.path)
        #expect(nothing.status == 2 && nothing.stderr.contains("say which version with --to"), "\(nothing.stderr)")

        #expect(try DeployerProcess.run(["deploy", "sim", "--yes", "--version", "v2"], in: scratch.path).status == 0)
        let back = try DeployerProcess.run(["rollback", "sim", "--yes"], in: scratch.path)
        #expect(back.status == 0, "\(back.stdout)\n\(back.stderr)")
        #expect(back.stderr.contains("Rolling sim back to v1."), "\(back.stderr)")
        var status = try StatusReport.read(in: scratch.path)
        #expect(status.targets.allSatisfy { $0.version == "v1" && $0.state == "in service" }, "\(status.targets)")

        let chosen = try DeployerProcess.run(["rollback", "sim", "--yes", "--to", "v0.9", "--output", "json"], in: scratch.path)
        #expect(chosen.status == 0, "\(chosen.stderr)")
        status = try StatusReport.read(in: scratch.path)
        #expect(status.targets.allSatisfy { $0.version == "v0.9" })

        let bad = try DeployerProcess.run(["rollback", "sim", "--yes", "--to", "v 1"], in: scratch.path)
        #expect(bad.status == 2 && bad.stderr.contains("--to"), "\(bad.stderr)")
        let audit = try String(contentsOfFile: scratch.path + "/inventories/.deployer/sim/audit.log", encoding: .utf8)
        #expect(audit.contains("\"command\":\"rollback\""), "the audit log names the rollback")

        // The history: one row per command, the deploy's start and end folded together.
        let history = try DeployerProcess.run(["history", "sim"], in: scratch.path)
        #expect(history.status == 0, "\(history.stderr)")
        let rows = history.stdout.split(separator: "\n").filter { $0.contains(" deploy ") || $0.contains(" rollback ") }
        #expect(rows.count == 3, "\(history.stdout)")
        #expect(rows.first?.contains("v1 → v2") == true && rows.first?.contains("succeeded") == true, "\(history.stdout)")
        #expect(rows.last?.contains("v1 → v0.9") == true, "\(history.stdout)")
        let json = try DeployerProcess.run(["history", "sim", "--output", "json", "--last", "2"], in: scratch.path)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["command"] as? String } == ["rollback", "rollback"])
        #expect(entries.last?["version"] as? String == "v0.9" && entries.last?["outcome"] as? String == "succeeded")
    }
}
