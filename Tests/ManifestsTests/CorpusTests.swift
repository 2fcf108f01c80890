import Foundation
import Testing

@testable import Manifests

/// The real-world corpus (`Fixtures/corpus`, copied unchanged from public projects; SOURCES.tsv says
/// where each file comes from and how it is loaded): every file, loaded as its note says, and the
/// whole directory as `deployer validate` walks it, must give no errors. Warnings are expected (the
/// corpus README lists them).
@Suite struct CorpusTests {
    static let root = Bundle.module.url(forResource: "Fixtures/corpus", withExtension: nil)!.path

    /// SOURCES.tsv rows: (path, kind).
    static var rows: [(path: String, kind: String)] {
        let text = (try? String(contentsOfFile: "\(root)/SOURCES.tsv", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 4 else { return nil }
            return (String(fields[0]), String(fields[3]))
        }
    }

    /// One validation unit per standalone file, chart directory and Kong or inventory file.
    static var units: [String] {
        var result: [String] = []
        for row in rows {
            switch row.kind {
            case "compose", "kong", "inventory":
                result.append(row.path)
            case "helm-chart", "helm-values":
                let chart = (row.path as NSString).deletingLastPathComponent
                if !result.contains(chart) { result.append(chart) }
            default:
                continue
            }
        }
        return result
    }

    /// The overlay sets, in the `-f` order SOURCES.tsv gives (optional files as their own sets).
    static let overlaySets: [[String]] = [
        ["docker-elk-fleet/docker-compose.yml", "docker-elk-fleet/extensions/fleet/fleet-compose.yml"],
        ["frappe/compose.yaml", "frappe/overrides/compose.mariadb.yaml", "frappe/overrides/compose.redis.yaml"],
        [
            "frappe/compose.yaml", "frappe/overrides/compose.mariadb.yaml", "frappe/overrides/compose.redis.yaml",
            "frappe/overrides/compose.mariadb-secrets.yaml",
        ],
        [
            "frappe/compose.yaml", "frappe/overrides/compose.mariadb.yaml", "frappe/overrides/compose.redis.yaml",
            "frappe/tests/compose.ci.yaml",
        ],
        ["jitsi/docker-compose.yml"],
        ["jitsi/docker-compose.yml", "jitsi/etherpad.yml"],
        ["jitsi/docker-compose.yml", "jitsi/jibri.yml"],
        ["jitsi/docker-compose.yml", "jitsi/etherpad.yml", "jitsi/jibri.yml"],
        ["mattermost/docker-compose.yml", "mattermost/docker-compose.nginx.yml"],
        ["mattermost/docker-compose.yml", "mattermost/docker-compose.without-nginx.yml"],
        ["netbox-test/docker-compose.test.yml"],
        ["netbox-test/docker-compose.test.yml", "netbox-test/docker-compose.test.override.yml"],
    ]

    static func errors(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
    }

    @Test func everyCorpusManifestIsLoadedByATest() {
        #expect(Self.rows.count == 78)
        let inSets = Set(Self.overlaySets.joined().map { "compose-overlays/\($0)" })
        for row in Self.rows {
            let chart = (row.path as NSString).deletingLastPathComponent
            let covered = Self.units.contains(row.path) || (row.kind.hasPrefix("helm") && Self.units.contains(chart))
                || inSets.contains(row.path)
            #expect(covered, "\(row.path) (\(row.kind)) is not validated by any corpus test")
        }
    }

    @Test(arguments: units)
    func realWorldManifestHasNoErrors(_ unit: String) {
        let diagnostics = ManifestValidator.validate(paths: ["\(Self.root)/\(unit)"], options: ValidationOptions())
        #expect(!diagnostics.containsErrors, "\(unit):\n\(Self.errors(diagnostics))")
    }

    @Test(arguments: overlaySets)
    func realWorldOverlaySetHasNoErrors(_ files: [String]) {
        let paths = files.map { "\(Self.root)/compose-overlays/\($0)" }
        let diagnostics = ManifestValidator.validateCompose(files: paths, options: ValidationOptions())
        #expect(!diagnostics.containsErrors, "\(files.joined(separator: " + ")):\n\(Self.errors(diagnostics))")
    }

    @Test func theWholeCorpusWalkedAsADirectoryHasNoErrors() {
        let diagnostics = ManifestValidator.validate(paths: [Self.root], options: ValidationOptions())
        #expect(!diagnostics.containsErrors, "\(Self.errors(diagnostics))")
        let warnings = diagnostics.filter { $0.severity == .warning }
        let byRule = Dictionary(grouping: warnings, by: { $0.rule ?? "-" }).mapValues(\.count)
        print("corpus: \(Self.rows.count) manifests, \(warnings.count) warnings: "
            + byRule.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}
