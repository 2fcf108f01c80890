import Foundation
import Testing

@testable import Manifests

/// How the real-world overlay sets of the corpus merge (that they validate is CorpusTests' part).
@Suite struct ComposeCorpusTests {
    static let root = CorpusTests.root

    @Test func theOverlaysMergeAsComposeMergesThem() throws {
        let base = "\(Self.root)/compose-overlays/frappe/"
        var loader = ComposeLoader(options: ValidationOptions(environment: ["DB_PASSWORD_SECRETS_FILE": "db.secret"]))
        let loaded = loader.loadProject(files: CorpusTests.overlaySets[2].map { "\(Self.root)/compose-overlays/\($0)" })
        let project = try #require(loaded)
        // compose.redis.yaml's depends_on list merged with compose.mariadb.yaml's map.
        #expect(project.root.at("services.configurator.depends_on")?.keys == ["db", "redis-cache", "redis-queue"])
        // The secrets overlay's `!reset null` removed the plain-text password.
        #expect(project.root.at("services.db.environment")?.keys == ["MARIADB_AUTO_UPGRADE", "MYSQL_ROOT_PASSWORD_FILE"])
        #expect(project.root.at("secrets.db_password.file")?.scalar?.text == "db.secret")
        #expect(
            project.root.at("services.db.image")?.location.file == base + "overrides/compose.mariadb.yaml")
    }
}
