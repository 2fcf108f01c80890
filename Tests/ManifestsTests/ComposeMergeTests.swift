import Foundation
import Testing

@testable import Manifests

/// A temporary directory of compose files, removed when the test ends.
final class ComposeScratch {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "compose-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = directory + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func load(_ names: [String], environment: [String: String] = [:], envFiles: [String] = [])
        -> (project: ComposeProject?, loader: ComposeLoader)
    {
        var loader = ComposeLoader(options: ValidationOptions(environment: environment, envFiles: envFiles))
        let project = loader.loadProject(files: names.map { directory + "/" + $0 })
        return (project, loader)
    }

    /// `file:line:column rule` of each diagnostic, the file relative to the directory.
    func findings(_ diagnostics: [Diagnostic]) -> [String] {
        Diagnostic.ordered(diagnostics).map {
            let location = $0.location.map {
                ($0.file.hasPrefix(directory + "/") ? String($0.file.dropFirst(directory.count + 1)) : $0.file)
                    + ":\($0.line):\($0.column)"
            }
            return "\(location ?? "-") \($0.rule ?? "")"
        }
    }
}

extension YAMLNode {
    /// The node at a dotted path, for assertions.
    func at(_ path: String) -> YAMLNode? { ComposeRenderer.lookup(path, in: self)?.node }

    var texts: [String] { items?.map { $0.scalar?.text ?? $0.flowText } ?? [] }
    var keys: [String] { pairs?.map(\.key) ?? [] }
}

@Suite struct ComposeMergeTests {
    @Test func mappingsMergeKeyByKeyAndTheLaterFileWins() throws {
        let scratch = ComposeScratch()
        scratch.write("base.yml", "services:\n  web:\n    image: nginx:1.26\n    restart: always\n")
        scratch.write("over.yml", "services:\n  web:\n    image: nginx:1.27\n    user: www\n")
        let (project, loader) = scratch.load(["base.yml", "over.yml"])
        let root = try #require(project?.root)
        #expect(root.at("services.web")?.keys == ["image", "restart", "user"])
        #expect(root.at("services.web.image")?.scalar?.text == "nginx:1.27")
        #expect(root.at("services.web.image")?.location == SourceLocation(file: scratch.directory + "/over.yml", line: 3, column: 12))
        #expect(root.at("services.web.restart")?.location.file == scratch.directory + "/base.yml")
        #expect(loader.diagnostics.isEmpty)
    }

    @Test func sequencesAppendButCommandEntrypointAndHealthcheckTestAreReplaced() throws {
        let scratch = ComposeScratch()
        scratch.write(
            "base.yml",
            """
            services:
              web:
                image: app:1
                command: [serve, --port, "80"]
                entrypoint: /bin/sh
                healthcheck:
                  test: [CMD, curl, -f, http://localhost]
                  retries: 3
                build:
                  context: .
                  cache_from: [app:cache]
            """)
        scratch.write(
            "over.yml",
            """
            services:
              web:
                command: [serve]
                entrypoint: [/entry.sh]
                healthcheck:
                  test: [CMD-SHELL, "true"]
                build:
                  cache_from: [app:cache2]
            """)
        let root = try #require(scratch.load(["base.yml", "over.yml"]).project?.root)
        #expect(root.at("services.web.command")?.texts == ["serve"])
        #expect(root.at("services.web.entrypoint")?.texts == ["/entry.sh"])
        #expect(root.at("services.web.healthcheck.test")?.texts == ["CMD-SHELL", "true"])
        #expect(root.at("services.web.healthcheck.retries")?.scalar?.int == 3)
        #expect(root.at("services.web.build.cache_from")?.texts == ["app:cache", "app:cache2"])
    }

    @Test func volumesSecretsConfigsAndPortsAreUniqueByTheirKey() throws {
        let scratch = ComposeScratch()
        scratch.write(
            "base.yml",
            """
            services:
              web:
                image: app:1
                volumes: [data:/var/lib/app, ./conf:/etc/app:ro]
                secrets: [token]
                configs: [{source: site, target: /etc/site.conf}]
                ports: ["8080:80", "127.0.0.1:9090:90"]
            """)
        scratch.write(
            "over.yml",
            """
            services:
              web:
                volumes: [other:/var/lib/app, logs:/var/log]
                secrets: [{source: token2, target: token}]
                configs: [{source: site2, target: /etc/site.conf}]
                ports: ["8080:80", "8080:80/udp", {target: 90, published: "9090", host_ip: 127.0.0.1}]
            """)
        let root = try #require(scratch.load(["base.yml", "over.yml"]).project?.root)
        #expect(root.at("services.web.volumes")?.texts == ["other:/var/lib/app", "./conf:/etc/app:ro", "logs:/var/log"])
        #expect(root.at("services.web.secrets[0].source")?.scalar?.text == "token2")
        #expect(root.at("services.web.secrets")?.items?.count == 1)
        #expect(root.at("services.web.configs[0].source")?.scalar?.text == "site2")
        let ports = try #require(root.at("services.web.ports")?.items)
        #expect(ports.count == 3)
        #expect(ports[0].scalar?.text == "8080:80")
        #expect(ports[1].pairs != nil, "the long form replaced the short form with the same key")
        #expect(ports[2].scalar?.text == "8080:80/udp")
    }

    @Test func listAndMapFormsMergeIntoTheMapForm() throws {
        let scratch = ComposeScratch()
        scratch.write(
            "base.yml",
            """
            services:
              db:
                image: postgres:16
              cache:
                image: redis:7
              web:
                image: app:1
                environment: [A=1, B=2, C]
                labels: {tier: front}
                depends_on:
                  db:
                    condition: service_healthy
                networks: [front]
                extra_hosts: ["host.one:10.0.0.1"]
            """)
        scratch.write(
            "over.yml",
            """
            services:
              web:
                environment:
                  B: "3"
                  D: "4"
                labels: [team=core]
                depends_on: [cache]
                networks:
                  back:
                    aliases: [api]
                extra_hosts:
                  host.two: 10.0.0.2
            """)
        let root = try #require(scratch.load(["base.yml", "over.yml"]).project?.root)
        #expect(root.at("services.web.environment")?.keys == ["A", "B", "C", "D"])
        #expect(root.at("services.web.environment.B")?.scalar?.text == "3")
        #expect(root.at("services.web.environment.C")?.isNull == true)
        #expect(root.at("services.web.labels")?.keys == ["tier", "team"])
        #expect(root.at("services.web.depends_on")?.keys == ["db", "cache"])
        #expect(root.at("services.web.depends_on.cache.condition")?.scalar?.text == "service_started")
        #expect(root.at("services.web.depends_on.db.condition")?.scalar?.text == "service_healthy")
        #expect(root.at("services.web.networks")?.keys == ["front", "back"])
        #expect(root.at("services.web.extra_hosts")?.keys == ["host.one", "host.two"])
    }

    @Test func listsOfTheSameFormKeepOneEntryPerKey() throws {
        let scratch = ComposeScratch()
        scratch.write("base.yml", "services:\n  web:\n    image: a:1\n    environment: [A=1, B=2]\n    env_file: base.env\n")
        scratch.write("over.yml", "services:\n  web:\n    environment: [B=3]\n    env_file: [base.env, test.env]\n")
        let root = try #require(scratch.load(["base.yml", "over.yml"]).project?.root)
        #expect(root.at("services.web.environment")?.texts == ["A=1", "B=3"])
        #expect(root.at("services.web.env_file")?.texts == ["base.env", "test.env"])
    }

    @Test func resetRemovesAndOverrideReplacesWhole() throws {
        let scratch = ComposeScratch()
        scratch.write(
            "base.yml",
            """
            services:
              web:
                image: app:1
                ports: ["80:80", "443:443"]
                environment:
                  PASSWORD: secret
                  KEEP: "yes"
                dns: [1.1.1.1]
            """)
        scratch.write(
            "over.yml",
            """
            services:
              web:
                ports: !override ["8080:80"]
                environment:
                  PASSWORD: !reset null
                dns: !reset []
            """)
        let (project, loader) = scratch.load(["base.yml", "over.yml"])
        let root = try #require(project?.root)
        #expect(root.at("services.web.ports")?.texts == ["8080:80"])
        #expect(root.at("services.web.environment")?.keys == ["KEEP"])
        #expect(root.at("services.web.dns") == nil)
        let explained = try #require(ComposeRenderer.explain("services.web", root: root, provenance: loader.merger.provenance))
        #expect(explained.contains("services.web.ports overridden whole (!override) by [\"8080:80\"]"))
        #expect(explained.contains("services.web.environment.PASSWORD removed (!reset) (was secret from "))
    }

    @Test func aResetInASingleFileDropsTheValue() throws {
        let scratch = ComposeScratch()
        scratch.write("one.yml", "services:\n  init:\n    image: alpine:3\n    command: sleep\n  base:\n    extends: init\n    command: !reset\n")
        let root = try #require(scratch.load(["one.yml"]).project?.root)
        #expect(root.at("services.base")?.keys == ["image"])
    }

    @Test func kindsThatCannotMergeAreReportedAtTheOverlayValue() {
        let scratch = ComposeScratch()
        scratch.write("base.yml", "services:\n  web:\n    image: a:1\n    deploy:\n      replicas: 2\n")
        scratch.write("over.yml", "services:\n  web:\n    deploy: [replicas]\n")
        let (_, loader) = scratch.load(["base.yml", "over.yml"])
        #expect(scratch.findings(loader.diagnostics) == ["over.yml:3:13 overlay/kind-mismatch"])
    }

    @Test func explainNamesEachValuesFileAndWhatItOverrode() throws {
        let scratch = ComposeScratch()
        scratch.write("docker-compose.yml", "services:\n  backend_v2:\n    image: app:1\n    env_file: [env/backend.env]\n")
        scratch.write("docker-compose-test.yml", "services:\n  backend_v2:\n    image: app:2\n    env_file: [env/test.env]\n")
        let (project, loader) = scratch.load(["docker-compose.yml", "docker-compose-test.yml"])
        let root = try #require(project?.root)
        let base = scratch.directory + "/docker-compose.yml"
        let test = scratch.directory + "/docker-compose-test.yml"
        let envFile = try #require(ComposeRenderer.explain("services.backend_v2.env_file", root: root, provenance: loader.merger.provenance))
        #expect(
            envFile == """
                services.backend_v2.env_file = [env/backend.env, env/test.env]
                  written at:
                    \(base):4:16  services.backend_v2.env_file[0] = env/backend.env
                    \(test):4:16  services.backend_v2.env_file[1] = env/test.env
                  changes, in merge order:
                    \(test):4:16  services.backend_v2.env_file[1] added: env/test.env

                """)
        let image = try #require(ComposeRenderer.explain("services.backend_v2.image", root: root, provenance: loader.merger.provenance))
        #expect(image.contains("\(test):3:12  services.backend_v2.image replaced by app:2 (was app:1 from \(base):3:12)"))
        #expect(ComposeRenderer.explain("services.nothing", root: root, provenance: loader.merger.provenance) == nil)
    }

    @Test func renderingKeepsFileOrderAndReadsBackTheSame() throws {
        let scratch = ComposeScratch()
        scratch.write(
            "compose.yaml",
            """
            services:
              web:
                image: "nginx:1.27"
                command: ["sh", "-c", "echo a: b # c"]
                environment:
                  EMPTY: ""
                  N: 3
                ports:
                  - target: 80
                    published: "8080"
            """)
        let root = try #require(scratch.load(["compose.yaml"]).project?.root)
        let yaml = ComposeRenderer.yaml(root)
        let reread = try #require(YAMLParser.parse(yaml, file: "x").root)
        #expect(ComposeRenderer.json(reread) == ComposeRenderer.json(root))
        #expect(ComposeRenderer.json(root).contains("\"N\": 3"))
        #expect(yaml.contains("    ports:\n      - target: 80\n        published: \"8080\"\n"))
    }
}
