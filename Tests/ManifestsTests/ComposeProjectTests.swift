import Foundation
import Testing

@testable import Manifests

@Suite struct ComposeProjectTests {
    @Test(arguments: [
        "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml", "docker-compose.override.yml",
        "docker-compose-test.yml", "docker-compose.ci.yml", "compose.mariadb.yaml", "fleet-compose.yml",
        "dir/sub/Docker-Compose.Prod.YML",
    ])
    func composeFileNamesAreRecognised(_ name: String) {
        #expect(ComposeValidator.isComposeFileName(name))
    }

    @Test(arguments: ["values.yaml", "Chart.yaml", "composer.yml", "hosts.yml", "compose.json", "decompose.yml"])
    func otherNamesAreNot(_ name: String) {
        #expect(!ComposeValidator.isComposeFileName(name))
    }

    // MARK: - Interpolation in a project

    @Test func valuesAreInterpolatedFromTheEnvironmentThenDotEnvButKeysNever() throws {
        let scratch = ComposeScratch()
        scratch.write(".env", "TAG=1.26\nPORT=8080\n")
        scratch.write(
            "compose.yaml",
            """
            services:
              web:
                image: nginx:${TAG}
                ports: ["${PORT}:80"]
                environment:
                  $KEY: kept
                  URL: http://${HOST:-localhost}
                  PRICE: 5$$
            """)
        let (project, loader) = scratch.load(["compose.yaml"], environment: ["TAG": "1.27"])
        let root = try #require(project?.root)
        #expect(root.at("services.web.image")?.scalar?.text == "nginx:1.27")
        #expect(root.at("services.web.ports")?.texts == ["8080:80"])
        #expect(root.at("services.web.environment")?.keys == ["$KEY", "URL", "PRICE"])
        #expect(root.at("services.web.environment.URL")?.scalar?.text == "http://localhost")
        #expect(root.at("services.web.environment.PRICE")?.scalar?.text == "5$")
        #expect(loader.diagnostics.isEmpty)
        let image = SourceLocation(file: scratch.directory + "/compose.yaml", line: 3, column: 12)
        #expect(project?.interpolated.contains(image) == true)
        #expect(project?.unresolved.isEmpty == true)
        let price = try #require(root.at("services.web.environment.PRICE")?.location)
        #expect(project?.interpolated.contains(price) == false)
    }

    @Test func envFilesReplaceDotEnv() throws {
        let scratch = ComposeScratch()
        scratch.write(".env", "TAG=from-dotenv\n")
        let ci = scratch.write("ci.env", "TAG=from-ci\n")
        scratch.write("compose.yaml", "services:\n  web:\n    image: app:${TAG}\n")
        let root = try #require(scratch.load(["compose.yaml"], envFiles: [ci]).project?.root)
        #expect(root.at("services.web.image")?.scalar?.text == "app:from-ci")
    }

    @Test func unsetRequiredAndMalformedReferencesAreReportedWhereTheyAre() {
        let scratch = ComposeScratch()
        scratch.write(
            "compose.yaml",
            """
            services:
              web:
                image: app:${TAG}
                command: echo ${TAG} $$ok ${TAG}
                environment:
                  KEY: ${KEY_FILE:?set KEY_FILE}
                  BAD: "a ${1X} b"
                  ALSO: ${
            """)
        let (project, loader) = scratch.load(["compose.yaml"])
        #expect(
            scratch.findings(loader.diagnostics) == [
                "compose.yaml:3:12 compose/unset-variable", "compose.yaml:4:14 compose/unset-variable",
                "compose.yaml:6:12 compose/required-variable", "compose.yaml:7:15 compose/interpolation",
                "compose.yaml:8:13 compose/interpolation",
            ])
        #expect(loader.diagnostics.filter { $0.rule == "compose/unset-variable" }.allSatisfy { $0.message.contains("`TAG`") })
        #expect(loader.diagnostics.contains { $0.message.hasSuffix("the required variable `KEY_FILE` is not set: set KEY_FILE") })
        #expect(project?.unresolved.count == 3)
    }

    // MARK: - Structure

    @Test func shapesComposeCannotReadAreReportedAndLeftOut() throws {
        let scratch = ComposeScratch()
        scratch.write("list.yml", "- a\n- b\n")
        scratch.write("services.yml", "services: [web]\n")
        scratch.write("service.yml", "services:\n  web: nginx\n  ok:\n    image: a:1\n")
        #expect(scratch.findings(scratch.load(["list.yml"]).loader.diagnostics) == ["list.yml:1:1 compose/structure"])
        #expect(scratch.findings(scratch.load(["services.yml"]).loader.diagnostics) == ["services.yml:1:11 compose/structure"])
        let (project, loader) = scratch.load(["service.yml"])
        #expect(scratch.findings(loader.diagnostics) == ["service.yml:2:8 compose/structure"])
        #expect(project?.root.at("services")?.keys == ["ok"])
    }

    // MARK: - extends

    @Test func extendsMergesTheExtendedServiceFromThisOrAnotherFile() throws {
        let scratch = ComposeScratch()
        scratch.write(
            "common/base.yml",
            """
            services:
              app:
                image: app:1
                environment: [A=1]
              chained:
                extends: app
                user: www
            """)
        scratch.write(
            "compose.yaml",
            """
            services:
              web:
                extends:
                  file: common/base.yml
                  service: chained
                environment: [B=2]
              worker:
                extends: {service: web}
                command: work
            """)
        let (project, loader) = scratch.load(["compose.yaml"])
        let root = try #require(project?.root)
        #expect(loader.diagnostics.isEmpty)
        #expect(root.at("services.web")?.keys == ["image", "environment", "user"])
        #expect(root.at("services.web.environment")?.texts == ["A=1", "B=2"])
        #expect(root.at("services.web.image")?.location.file == scratch.directory + "/common/base.yml")
        #expect(root.at("services.worker")?.keys == ["image", "environment", "user", "command"])
    }

    @Test func extendsProblemsAreErrorsAtTheReference() {
        let scratch = ComposeScratch()
        scratch.write(
            "compose.yaml",
            """
            services:
              a:
                extends: b
              b:
                extends: a
              c:
                extends: {service: webb}
              d:
                extends: {file: missing.yml, service: x}
              web:
                image: nginx:1.27
              e:
                extends: {file: compose.yaml}
            """)
        let (_, loader) = scratch.load(["compose.yaml"])
        #expect(
            scratch.findings(loader.diagnostics) == [
                "compose.yaml:3:14 compose/extends", "compose.yaml:5:14 compose/extends", "compose.yaml:7:24 compose/extends",
                "compose.yaml:9:21 compose/extends", "compose.yaml:13:14 compose/extends",
            ])
        #expect(loader.diagnostics.contains { $0.message.hasSuffix("did you mean `web`?") })
        #expect(loader.diagnostics.contains { $0.message.hasPrefix("extends cycle: a extends b extends a") })
    }

    // MARK: - include

    @Test func includedProjectsAreImportedAndLocalDefinitionsMergeOverThem() throws {
        let scratch = ComposeScratch()
        scratch.write("db/.env", "PG=16\n")
        scratch.write("db/compose.yaml", "services:\n  db:\n    image: postgres:${PG}\nvolumes:\n  data: {}\n")
        scratch.write(
            "compose.yaml",
            """
            include:
              - db/compose.yaml
            services:
              db:
                restart: always
              web:
                image: app:1
            """)
        let (project, loader) = scratch.load(["compose.yaml"])
        let root = try #require(project?.root)
        #expect(loader.diagnostics.isEmpty)
        #expect(root.keys == ["services", "volumes"])
        #expect(root.at("services")?.keys == ["db", "web"])
        #expect(root.at("services.db.image")?.scalar?.text == "postgres:16")
        #expect(root.at("services.db.restart")?.scalar?.text == "always")
    }

    @Test func includeCyclesAndMissingFilesAreErrors() {
        let scratch = ComposeScratch()
        scratch.write("a.yml", "include: [b.yml, gone.yml]\nservices:\n  a:\n    image: a:1\n")
        scratch.write("b.yml", "include:\n  - path: a.yml\nservices:\n  b:\n    image: b:1\n")
        let (_, loader) = scratch.load(["a.yml"])
        #expect(scratch.findings(loader.diagnostics) == ["a.yml:1:18 compose/include", "b.yml:2:11 compose/include"])
        #expect(loader.diagnostics.contains { $0.message.hasPrefix("include cycle: a.yml includes b.yml includes a.yml") })
    }

    // MARK: - profiles

    @Test func servicesOfInactiveProfilesAreDroppedAndReferencesToThemReported() throws {
        let scratch = ComposeScratch()
        let text = """
            services:
              web:
                image: app:1
                depends_on: [db, cache]
                links: ["db:database"]
              db:
                image: postgres:16
                profiles: [database]
              cache:
                image: redis:7
              debug:
                image: busybox:1.36
                profiles: [debug, all]
            """
        scratch.write("compose.yaml", text)
        let (project, loader) = scratch.load(["compose.yaml"])
        #expect(project?.root.at("services")?.keys == ["web", "cache"])
        #expect(project?.root.at("services.web.depends_on")?.texts == ["cache"])
        #expect(project?.root.at("services.web.links")?.texts == [])
        #expect(
            scratch.findings(loader.diagnostics) == [
                "compose.yaml:4:18 compose/inactive-profile", "compose.yaml:5:13 compose/inactive-profile",
            ])
        let enabled = scratch.load(["compose.yaml"], environment: ["COMPOSE_PROFILES": "database, debug"])
        #expect(enabled.project?.root.at("services")?.keys == ["web", "db", "cache", "debug"])
        #expect(enabled.loader.diagnostics.isEmpty)
        #expect(scratch.load(["compose.yaml"], environment: ["COMPOSE_PROFILES": "*"]).project?.root.at("services")?.keys.count == 4)
    }

    // MARK: - overlays

    @Test func anOverlayThatAddsAServiceIsFlaggedWithTheNearestName() {
        let scratch = ComposeScratch()
        scratch.write("docker-compose.yml", "services:\n  backend:\n    image: app:1\n")
        scratch.write("docker-compose-test.yml", "services:\n  backnd:\n    image: app:2\n  extra:\n    image: x:1\n")
        let (_, loader) = scratch.load(["docker-compose.yml", "docker-compose-test.yml"])
        #expect(
            scratch.findings(loader.diagnostics) == [
                "docker-compose-test.yml:2:3 overlay/new-service", "docker-compose-test.yml:4:3 overlay/new-service",
            ])
        #expect(loader.diagnostics.first?.message.hasSuffix("did you mean `backend`?") == true)
    }

    @Test func discoveredFilesAreGroupedIntoProjects() {
        let scratch = ComposeScratch()
        let d = scratch.directory
        let base = scratch.write("app/docker-compose.yml", "services:\n  web:\n    image: a:1\nnetworks:\n  net: {}\n")
        let override = scratch.write("app/docker-compose.override.yml", "services:\n  web:\n    ports: ['80:80']\n")
        let alone = scratch.write("app/compose.tools.yaml", "services:\n  tool:\n    image: t:1\n")
        let overlay = scratch.write("app/ext/x/fleet-compose.yml", "services:\n  agent:\n    image: a:1\n    networks: [net]\n")
        let provider = scratch.write("app/ext/x/compose.db.yaml", "services:\n  db:\n    image: pg:16\n  agent:\n    depends_on: [db]\n")
        let patch = scratch.write("app/ext/x/compose.patch.yaml", "services:\n  db:\n    restart: always\n")
        let testBase = scratch.write("other/docker-compose.test.yml", "services:\n  t:\n    image: t:1\n")
        let testOverride = scratch.write("other/docker-compose.test.override.yml", "services:\n  t:\n    ports: ['1:1']\n")
        let projects = ComposeProjectGrouping.projects(
            of: [base, override, alone, overlay, provider, patch, testBase, testOverride].sorted())
        #expect(
            Set(projects.map { $0.files.map { String($0.dropFirst(d.count + 1)) } }) == [
                ["app/docker-compose.yml", "app/docker-compose.override.yml"],
                ["app/compose.tools.yaml"],
                ["app/docker-compose.yml", "app/ext/x/fleet-compose.yml"],
                ["app/docker-compose.yml", "app/ext/x/fleet-compose.yml", "app/ext/x/compose.db.yaml"],
                ["app/docker-compose.yml", "app/ext/x/compose.db.yaml", "app/ext/x/compose.patch.yaml"],
                ["other/docker-compose.test.yml"],
                ["other/docker-compose.test.yml", "other/docker-compose.test.override.yml"],
            ])
    }
}
