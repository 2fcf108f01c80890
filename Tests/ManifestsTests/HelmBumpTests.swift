import Foundation
import Testing

@testable import Manifests

/// `deployer helm bump`'s engine: in-place edits of Chart.yaml and values.yaml.
@Suite struct HelmBumpTests {
    /// A chart directory in a fresh temporary directory, removed by `remove()`.
    struct Chart {
        let directory: String

        init(chart: String, values: String?) throws {
            directory = NSTemporaryDirectory() + "helm-bump-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try chart.write(toFile: directory + "/Chart.yaml", atomically: true, encoding: .utf8)
            if let values {
                try values.write(toFile: directory + "/values.yaml", atomically: true, encoding: .utf8)
            }
        }

        func read(_ name: String) throws -> String {
            try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static let chart = """
        # promo-service: bumped on every release.
        apiVersion: v2
        name: promo-service   # keep in sync with the repository name
        description: Promotions API

        type: application
        version: 0.1.4 # bumped by the pipeline
        appVersion: 'v0.2.35'
        icon: https://example.com/icon.png
        annotations:
          example.com/version: "0.1.4"

        """

    static let values = """
        replicaCount: 2
        image:
          repository: registry.example.com/promo-service   # private registry
          pullPolicy: IfNotPresent
          tag: "v0.2.35"    # set by deployer helm bump

        sidecar:
          image: {repository: envoyproxy/envoy, tag: v1.31.0}

        """

    @Test func bumpChangesOnlyTheThreeScalarsAndKeepsEverythingElse() throws {
        let chart = try Chart(chart: Self.chart, values: Self.values)
        defer { chart.remove() }
        let bump = try HelmBump.plan(chartDirectory: chart.directory, imageTag: "v0.2.36")
        try bump.write()
        #expect(try chart.read("Chart.yaml") == Self.chart
            .replacingOccurrences(of: "version: 0.1.4 #", with: "version: 0.1.5 #")
            .replacingOccurrences(of: "appVersion: 'v0.2.35'", with: "appVersion: 'v0.2.36'"))
        #expect(try chart.read("values.yaml") == Self.values
            .replacingOccurrences(of: "tag: \"v0.2.35\"    #", with: "tag: \"v0.2.36\"    #"))
        #expect(bump.changes.map(\.description) == [
            "Chart.yaml: version 0.1.4 → 0.1.5",
            "Chart.yaml: appVersion v0.2.35 → v0.2.36",
            "values.yaml: image.tag v0.2.35 → v0.2.36",
        ])
        // The annotation that also reads 0.1.4 is untouched.
        #expect(try chart.read("Chart.yaml").contains("example.com/version: \"0.1.4\""))
    }

    @Test func dryRunPlansADiffAndWritesNothing() throws {
        let chart = try Chart(chart: Self.chart, values: Self.values)
        defer { chart.remove() }
        let bump = try HelmBump.plan(chartDirectory: chart.directory, imageTag: "v0.2.36", version: .bump(.minor))
        #expect(try chart.read("Chart.yaml") == Self.chart)
        #expect(try chart.read("values.yaml") == Self.values)
        let diff = bump.diff()
        #expect(diff.contains("--- a/Chart.yaml\n+++ b/Chart.yaml\n@@ -4,8 +4,8 @@\n"))
        #expect(diff.contains("\n-version: 0.1.4 # bumped by the pipeline\n-appVersion: 'v0.2.35'\n+version: 0.2.0 # bumped by the pipeline\n+appVersion: 'v0.2.36'\n"))
        #expect(diff.contains("--- a/values.yaml\n+++ b/values.yaml\n@@ -2,7 +2,7 @@\n"))
        #expect(diff.contains("\n-  tag: \"v0.2.35\"    # set by deployer helm bump\n+  tag: \"v0.2.36\"    # set by deployer helm bump\n"))
    }

    @Test func plainValuesStayPlainUnlessYAMLWouldReadThemAsNumbers() throws {
        let chart = try Chart(
            chart: "apiVersion: v2\nname: app\nversion: 1.2.3\nappVersion: 1.16.0\nicon: https://example.com/i.png\n",
            values: "image:\n  repository: nginx\n  tag: 1.16.0\n")
        defer { chart.remove() }
        try HelmBump.plan(chartDirectory: chart.directory, imageTag: "1.27.3").write()
        #expect(try chart.read("Chart.yaml") == "apiVersion: v2\nname: app\nversion: 1.2.4\nappVersion: 1.27.3\nicon: https://example.com/i.png\n")
        #expect(try chart.read("values.yaml") == "image:\n  repository: nginx\n  tag: 1.27.3\n")
        // `1.10` written plain would be the number 1.1: it gets quotes.
        try HelmBump.plan(chartDirectory: chart.directory, imageTag: "1.10").write()
        #expect(try chart.read("Chart.yaml") == "apiVersion: v2\nname: app\nversion: 1.2.5\nappVersion: \"1.10\"\nicon: https://example.com/i.png\n")
        #expect(try chart.read("values.yaml") == "image:\n  repository: nginx\n  tag: \"1.10\"\n")
    }

    @Test func emptyTagAndMissingAppVersionAreFilledIn() throws {
        let chart = try Chart(
            chart: "apiVersion: v2\r\nname: app\r\nversion: 0.1.0\r\nicon: https://example.com/i.png\r\n",
            values: "image:\n  repository: nginx\n  tag:   # defaults to appVersion\n")
        defer { chart.remove() }
        let bump = try HelmBump.plan(chartDirectory: chart.directory, imageTag: "v2")
        try bump.write()
        #expect(try chart.read("Chart.yaml") == "apiVersion: v2\r\nname: app\r\nversion: 0.1.1\r\nappVersion: v2\r\nicon: https://example.com/i.png\r\n")
        #expect(try chart.read("values.yaml") == "image:\n  repository: nginx\n  tag: v2   # defaults to appVersion\n")
        #expect(bump.changes.map(\.description).contains("Chart.yaml: appVersion added: v2"))
    }

    @Test func nestedImageTagIsUsedWhenItIsTheOnlyOne() throws {
        let chart = try Chart(
            chart: "apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: \"1.0\"\nicon: https://example.com/i.png\n",
            values: "server:\n  image:\n    repository: app\n    tag: \"1.0\"\n")
        defer { chart.remove() }
        let bump = try HelmBump.plan(chartDirectory: chart.directory, imageTag: "1.1.0")
        #expect(bump.changes.last?.description == "values.yaml: server.image.tag 1.0 → 1.1.0")
    }

    @Test func noImageTagIsAnErrorThatSaysWhereItLooked() throws {
        let chart = try Chart(
            chart: "apiVersion: v2\nname: app\nversion: 0.1.0\nicon: https://example.com/i.png\n",
            values: "image:\n  repository: app\nreplicaCount: 1\n")
        defer { chart.remove() }
        #expect {
            try HelmBump.plan(chartDirectory: chart.directory, imageTag: "1.1.0")
        } throws: { error in
            let error = error as? HelmBumpError
            return error?.reason == .notFound && error!.message.contains("`image` at line 1 has no `tag`")
        }
    }

    @Test func anInvalidChartIsRefusedAndLeftUntouched() throws {
        let broken = "apiVersion: v2\nname: app\nversion: 0.1.0\nversion: 0.1.1\nappVersion: 1.10\n"
        let chart = try Chart(chart: broken, values: Self.values)
        defer { chart.remove() }
        #expect {
            try HelmBump.plan(chartDirectory: chart.directory, imageTag: "v1")
        } throws: { error in
            let rules = (error as? HelmBumpError)?.diagnostics.filter { $0.severity == .error }.compactMap(\.rule) ?? []
            return (error as? HelmBumpError)?.reason == .invalidChart && rules.contains("duplicate-key") && rules.contains("helm/version-number")
        }
        #expect(try chart.read("Chart.yaml") == broken)
        #expect(try chart.read("values.yaml") == Self.values)
    }

    @Test func badArgumentsAreUsageErrors() throws {
        let chart = try Chart(chart: Self.chart, values: Self.values)
        defer { chart.remove() }
        for (tag, version) in [("bad tag!", HelmBump.VersionChange.bump(.patch)), ("v1", .exact(SemanticVersion(strict: "0.1.4")!))] {
            #expect {
                try HelmBump.plan(chartDirectory: chart.directory, imageTag: tag, version: version)
            } throws: { error in
                (error as? HelmBumpError)?.reason == .usage
            }
        }
        let exact = try HelmBump.plan(chartDirectory: chart.directory, imageTag: "v1", version: .exact(SemanticVersion(strict: "1.0.0-rc.1")!))
        #expect(exact.changes.first?.description == "Chart.yaml: version 0.1.4 → 1.0.0-rc.1")
    }
}

@Suite struct SemanticVersionTests {
    @Test(arguments: [
        ("1.2.3", "patch", "1.2.4"), ("1.2.3", "minor", "1.3.0"), ("1.2.3", "major", "2.0.0"),
        ("1.2.3-rc.1", "patch", "1.2.3"), ("1.3.0-rc.1", "minor", "1.3.0"), ("1.3.1-rc.1", "minor", "1.4.0"),
        ("2.0.0-beta", "major", "2.0.0"), ("2.1.0-beta", "major", "3.0.0"), ("1.2.3+build.5", "patch", "1.2.4"),
        ("0.9.9", "minor", "0.10.0"),
    ])
    func bumps(_ from: String, _ part: String, _ to: String) throws {
        let version = try #require(SemanticVersion(strict: from))
        #expect(version.bumped(SemanticVersion.Part(rawValue: part)!).description == to)
    }

    @Test func strictAndLenientParsing() {
        #expect(SemanticVersion(strict: "1.2.3-alpha.1+sha.5114f85")?.description == "1.2.3-alpha.1+sha.5114f85")
        for text in ["v1.2.3", "1.2", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "latest", "1.2.3.4"] {
            #expect(SemanticVersion(strict: text) == nil, "\(text)")
        }
        #expect(SemanticVersion(lenient: "v1.2")?.description == "1.2.0")
        #expect(SemanticVersion(lenient: "1")?.description == "1.0.0")
        for text in ["latest", "1.2.3.4", "v", "1..2", "1.2.3-a_b"] {
            #expect(SemanticVersion(lenient: text) == nil, "\(text)")
        }
    }

    @Test func precedenceFollowsSemVer2() throws {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1"]
        let versions = try ordered.map { try #require(SemanticVersion(strict: $0)) }
        for (lower, higher) in zip(versions, versions.dropFirst()) {
            #expect(lower < higher, "\(lower) < \(higher)")
            #expect(!(higher < lower))
        }
        #expect(SemanticVersion(strict: "1.0.0+a")!.hasSamePrecedence(as: SemanticVersion(strict: "1.0.0+b")!))
    }

    @Test func constraints() {
        for good in ["^1.2.3", "~1.2", ">=1.25.0-0", "1.2.x", "*", "1.2 - 1.4", ">=1.0, <2.0", "^1 || ^2", ">= 1.25", "=3.2.0", "0.12.*"] {
            #expect(VersionConstraint.problem(in: good) == nil, "\(good)")
        }
        for bad in ["", "latest", ">=", "1.2.3.4", "^1 ||", "1.x.y", "~>"] {
            #expect(VersionConstraint.problem(in: bad) != nil, "\(bad)")
        }
    }
}
