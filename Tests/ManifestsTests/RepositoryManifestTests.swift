import Foundation
import Testing

@testable import Manifests

/// The platform's own manifests (`manifests/`) and environments (`inventories/`): no errors, and
/// only the warnings that are true of the platform (manifests/README.md lists them).
@Suite struct RepositoryManifestTests {
    static let expectedWarnings: Set<String> = [
        "compose/plaintext-secret", "kong/plaintext-credential", "compose/internal-exposure", "helm/icon",
    ]

    static func check(_ diagnostics: [Diagnostic]) {
        #expect(!diagnostics.containsErrors, "\(diagnostics.filter { $0.severity == .error }.map(\.description))")
        let unexpected = diagnostics.filter { !expectedWarnings.contains($0.rule ?? "") }
        #expect(unexpected.isEmpty, "\(unexpected.map(\.description))")
    }

    @Test func manifestsAndInventoriesValidate() {
        let diagnostics = ManifestValidator.validate(
            paths: [InventoryTests.repoRoot + "/manifests", InventoryTests.repoRoot + "/inventories"])
        Self.check(diagnostics)
        // What the platform really has in plain text is said, not hidden.
        #expect(diagnostics.contains { $0.rule == "compose/plaintext-secret" && $0.location?.file.hasSuffix(".env") == true })
        #expect(diagnostics.contains { $0.rule == "kong/plaintext-credential" })
    }

    @Test(arguments: [
        ["monolith/docker-compose.yml", "monolith/docker-compose-test.yml"],
        ["monolith/docker-compose.yml", "monolith/docker-compose-ci.yml"],
        ["promotions/docker-compose.yml", "promotions/docker-compose-azure-ci.yml"],
    ])
    func overlaySetsValidate(_ files: [String]) {
        Self.check(ManifestValidator.validateCompose(files: files.map { InventoryTests.repoRoot + "/manifests/" + $0 }))
    }
}
