import Foundation
import Testing

@testable import Manifests

@Suite struct KongValidatorTests {
    /// The real-world corpus (Fixtures/corpus).
    static let corpus = CorpusTests.root

    static func check(_ text: String) -> [Diagnostic] {
        Diagnostic.ordered(KongValidator.validate(file: "kong.yml", text: text))
    }

    static func root(_ text: String) -> YAMLNode {
        YAMLParser.parse(text, file: "x.yml").root!
    }

    @Test func kongIsToldApartFromCompose() {
        #expect(KongValidator.looksLikeKong(Self.root("_format_version: \"3.0\"\n")))
        #expect(KongValidator.looksLikeKong(Self.root("services:\n  - name: a\n    url: http://a\n")))
        #expect(!KongValidator.looksLikeKong(Self.root("services:\n  web:\n    image: nginx:1.27\n")))
        #expect(!KongValidator.looksLikeKong(Self.root("- a\n- b\n")))
    }

    @Test func everyCorpusKongConfigValidatesWithoutErrors() throws {
        let directory = Self.corpus + "/kong"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 6)
        for file in files {
            let diagnostics = ManifestValidator.validate(paths: [directory + "/" + file])
            #expect(!diagnostics.containsErrors, "\(file): \(diagnostics.map(\.description))")
            // Only the credentials written in these test fixtures are worth a warning.
            #expect(diagnostics.allSatisfy { $0.rule == "kong/plaintext-credential" }, "\(file)")
        }
    }

    @Test func theCorpusKongComposeFileIsCompose() {
        let diagnostics = ManifestValidator.validate(paths: [Self.corpus + "/compose/docker-kong.yml"])
        #expect(!diagnostics.contains { $0.rule?.hasPrefix("kong/") ?? false })
    }

    @Test func plainTextCredentialsAreReportedWithoutTheirValues() {
        let diagnostics = Self.check(
            """
            _format_version: "3.0"
            consumers:
              - username: ios
                keyauth_credentials:
                  - key: s3cr3t-api-key
                  - key: s3cr3t-api-key
                basicauth_credentials:
                  - username: ios
                    password: "{vault://env/ios-password}"
            """)
        #expect(diagnostics.map { "\($0.location!.line):\($0.location!.column) \($0.rule!)" } == [
            "5:14 kong/plaintext-credential", "6:14 kong/duplicate", "6:14 kong/plaintext-credential",
        ])
        #expect(diagnostics.allSatisfy { !$0.message.contains("s3cr3t") })
        #expect(diagnostics[1].message.contains("first defined at line 5, column 14"))
    }

    @Test func referencesResolveByNameOrIdWhereverTheEntityIsDefined() {
        let diagnostics = Self.check(
            """
            _format_version: "3.0"
            plugins:
              - name: key-auth
                route: late
              - name: acl
                service: 5bcbd3a7-030b-4310-bd1d-2721ff85d236
              - name: cors
                service: {name: web}
            services:
              - name: web
                id: 5bcbd3a7-030b-4310-bd1d-2721ff85d236
                url: http://web:8080
                routes:
                  - name: late
                    paths: [/late]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
    }

    @Test func undefinedReferencesSuggestTheNearestName() throws {
        let diagnostics = Self.check(
            """
            _format_version: "3.0"
            services:
              - name: backend_v2
                url: http://backend_v2:8080
            routes:
              - name: api
                service: backend-v2
                paths: [/api]
            """)
        let only = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(only.rule == "kong/undefined-reference")
        #expect(only.message == "route `api` refers to service `backend-v2`, which this file does not define; did you mean `backend_v2`?")
        #expect(only.location == SourceLocation(file: "kong.yml", line: 7, column: 14))
    }

    @Test func pluginsMayRepeatOnDifferentScopesButNotOnTheSame() {
        let diagnostics = Self.check(
            """
            _format_version: "3.0"
            services:
              - name: a
                url: http://a
                plugins:
                  - name: rate-limiting
              - name: b
                url: http://b
                plugins:
                  - name: rate-limiting
            plugins:
              - name: rate-limiting
              - name: rate-limiting
                service: b
            """)
        #expect(diagnostics.map(\.description) == [
            "kong.yml:13:11: error[kong/duplicate]: duplicate plugin `rate-limiting` on service `b`; it was first defined "
                + "at line 10, column 15, and Kong keeps it unique"
        ])
    }

    @Test func decKEnvironmentVariablesSatisfyTypedFields() {
        let diagnostics = Self.check(
            """
            _format_version: "3.0"
            services:
              - name: web
                host: ${{ env "DECK_WEB_HOST" }}
                port: ${{ env "DECK_WEB_PORT" }}
                routes:
                  - name: web
                    paths: [/]
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
    }

    @Test func aFileThatIsNotAMappingIsReported() {
        let diagnostics = Self.check("- services\n")
        #expect(diagnostics.map(\.rule) == ["kong/wrong-type"])
    }

    @Test func everyKongRuleIsInTheCatalog() {
        for rule in RuleCatalog.kong {
            #expect(rule.id.hasPrefix("kong/") && rule.kind == .kong)
            #expect(RuleCatalog.rule(rule.id) != nil)
        }
    }
}
