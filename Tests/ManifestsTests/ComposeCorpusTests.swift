import Foundation
import Testing

@testable import Manifests

let composeCorpusRoot = ProcessInfo.processInfo.environment["DEPLOYER_CORPUS"] ?? "/work/shared/corpus/manifests"

/// The real-world compose files of the shared corpus (`corpus/manifests`, next to the repository):
/// every one, alone or as the overlay sets its SOURCES.tsv describes, loads without errors.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: composeCorpusRoot)))
struct ComposeCorpusTests {
    static let root = composeCorpusRoot

    /// The `-f` orders of SOURCES.tsv's overlay sets, relative to each set's folder.
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
        ["jitsi/docker-compose.yml", "jitsi/etherpad.yml", "jitsi/jibri.yml"],
        ["mattermost/docker-compose.yml", "mattermost/docker-compose.nginx.yml"],
        ["mattermost/docker-compose.yml", "mattermost/docker-compose.without-nginx.yml"],
        ["netbox-test/docker-compose.test.yml", "netbox-test/docker-compose.test.override.yml"],
    ]

    @Test(arguments: overlaySets)
    func overlaySetsLoadWithoutErrors(_ files: [String]) {
        let diagnostics = ManifestValidator.validateCompose(files: files.map { "\(Self.root)/compose-overlays/\($0)" })
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors.map(\.description).joined(separator: "\n"))")
    }

    @Test func theOverlaysMergeAsComposeMergesThem() throws {
        let base = "\(Self.root)/compose-overlays/frappe/"
        var loader = ComposeLoader(options: ValidationOptions(environment: ["DB_PASSWORD_SECRETS_FILE": "db.secret"]))
        let loaded = loader.loadProject(files: Self.overlaySets[2].map { "\(Self.root)/compose-overlays/\($0)" })
        let project = try #require(loaded)
        // compose.redis.yaml's depends_on list merged with compose.mariadb.yaml's map.
        #expect(project.root.at("services.configurator.depends_on")?.keys == ["db", "redis-cache", "redis-queue"])
        // The secrets overlay's `!reset null` removed the plain-text password.
        #expect(project.root.at("services.db.environment")?.keys == ["MARIADB_AUTO_UPGRADE", "MYSQL_ROOT_PASSWORD_FILE"])
        #expect(project.root.at("secrets.db_password.file")?.scalar?.text == "db.secret")
        #expect(
            project.root.at("services.db.image")?.location.file == base + "overrides/compose.mariadb.yaml")
    }

    @Test func theWholeCorpusValidatesWithoutErrors() {
        let diagnostics = ManifestValidator.validate(paths: [Self.root + "/compose", Self.root + "/compose-overlays"])
        let errors = diagnostics.filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors.map(\.description).joined(separator: "\n"))")
        #expect(diagnostics.contains { $0.rule == "compose/unset-variable" })
    }
}
