import Foundation
import Testing

@testable import Manifests

@Suite struct ComposeChecksTests {
    func places(_ text: String, directory: String = "/nonexistent-project") -> [String] {
        ComposeCheckHarness.places(ComposeCheckHarness.check(text, directory: directory))
    }

    func messages(_ text: String) -> [String] {
        Diagnostic.ordered(ComposeCheckHarness.check(text)).map(\.message)
    }

    @Test func unknownKeysAndWrongTypesAreFoundEverywhere() {
        let text = """
            version: "3.8"
            service:
              web: {}
            services:
              web:
                image: nginx:1.27
                restrat: always
                x-note: ignored
                ports: "8080:80"
                healthcheck:
                  test: ["CMD", "true"]
                  intervall: 10s
                depends_on:
                  db:
                    condition: service_started
                    requried: true
                deploy:
                  resources:
                    limit: {}
              db:
                image: postgres:16
            networks:
              front:
                driver: bridge
                internl: true
            x-anything: {}
            """
        #expect(places(text) == [
            "1:1 compose/version-obsolete", "2:1 compose/unknown-key", "7:5 compose/unknown-key", "9:12 compose/wrong-type",
            "12:7 compose/unknown-key", "16:9 compose/unknown-key", "19:9 compose/unknown-key", "25:5 compose/unknown-key",
        ])
        let all = messages(text)
        #expect(all.contains("unknown key `service` at the top level; did you mean `services`?"))
        #expect(all.contains("unknown key `restrat` in `services.web`; did you mean `restart`?"))
        #expect(all.contains("`services.web.ports` must be a list, not a string; write it as a list (`- 8080:80`)"))
        #expect(all.contains("unknown key `intervall` in `services.web.healthcheck`; did you mean `interval`?"))
    }

    @Test func stringsAreAcceptedForScalarsSoInterpolationFits() {
        let text = """
            services:
              web:
                image: nginx:1.27
                read_only: "true"
                healthcheck:
                  test: curl -f http://localhost
                  retries: "3"
            """
        #expect(places(text) == [])
    }

    @Test func plainNumbersAndBooleansWhereTheSchemaWantsText() {
        let text = """
            services:
              web:
                image: nginx:1.27
                user: 1000
                hostname: $HOST_NAME
                container_name: "1000"
                command: [sleep, 10]
                use_api_socket: "yes"
                cpu_count: 1.5
                scale: 2.0
            """
        #expect(places(text) == [
            "4:11 compose/wrong-type", "7:22 compose/wrong-type", "8:21 compose/wrong-type", "9:16 compose/wrong-type",
        ])
        let all = messages(text)
        #expect(all.contains("`services.web.user` must be text, not a number (`1000`); quote it (`user: \"1000\"`)"))
        #expect(all.contains("`services.web.command[1]` must be text, not a number (`10`); quote it (`- \"10\"`)"))
        #expect(all.contains("`services.web.use_api_socket` must be a boolean (`true` or `false`), not a string (`yes`)"))
        #expect(all.contains("`services.web.cpu_count` must be text or a whole number, not a number (`1.5`); quote it (`cpu_count: \"1.5\"`)"))
    }

    @Test func longFormsNeedTheKeysComposeRequires() {
        let text = """
            services:
              web:
                image: app:1.0
                depends_on:
                  db: {restart: true}
                volumes:
                  - {type: tmpfs, target: /src}
                  - {type: bind, target: /data}
                ulimits:
                  nofile: 1024
                  core: {hard: 0}
              db:
                image: postgres:16.4
            """
        #expect(places(text) == [
            "5:7 compose/missing-key", "8:9 compose/missing-key", "11:7 compose/missing-key",
        ])
        #expect(messages(text).contains("`services.web.ulimits.core` has no `soft`, which compose requires here; give both `soft` and `hard`, or one number for both"))
    }

    @Test func keysThatExcludeEachOtherOrMustAgree() {
        let text = """
            services:
              web:
                image: app:1.0
                scale: 3
                cpus: "1.5"
                pids_limit: 100
                deploy:
                  replicas: ${REPLICAS}
                  resources:
                    limits: {cpus: 1.5, pids: 200}
            secrets:
              token: {environment: TOKEN}
              both: {file: ./a, environment: A}
            configs:
              inline: {content: "x"}
            volumes:
              shared: {external: false, driver: local}
            """
        #expect(places(text) == ["10:35 compose/exclusive-keys", "13:16 compose/missing-file", "13:21 compose/exclusive-keys"])
        #expect(messages(text).contains(
            "service `web`: `pids_limit` 100 and `deploy.resources.limits.pids` 200 differ, and compose refuses distinct values; set one of them"))
    }

    @Test func valuesComposeRefusesThoughTheirKindIsRight() {
        let text = """
            services:
              web:
                image: app:1.0
                tty: "on"
                init: ${INIT}
                cpus: half
                memswap_limit: 2 gigs
                deploy:
                  replicas: -1
                  rollback_config:
                    monitor: 1y
                develop:
                  watch:
                    - {path: ./src, action: sync+exec, target: /app}
                    - {path: ./web, action: rebuilt}
            """
        #expect(places(text) == [
            "4:10 yaml11-scalar", "6:11 compose/invalid-value", "7:20 compose/invalid-value", "9:17 compose/invalid-value",
            "11:18 compose/invalid-value", "15:33 compose/invalid-value",
        ])
        let all = messages(text)
        #expect(all.contains("`services.web.deploy.replicas` is -1; compose accepts at least 0"))
        #expect(all.contains("`services.web.develop.watch[1].action` is `rebuilt`; compose accepts `rebuild`, `sync`, `restart`, `sync+restart` or `sync+exec`; did you mean `rebuild`?"))
        #expect(ComposeByteSize.bytes("1.5g") == 1_610_612_736)
        #expect(ComposeByteSize.bytes("512 MiB") == 536_870_912)
        #expect(ComposeByteSize.bytes("-1") == -1)
        #expect(ComposeByteSize.bytes("1.2.3m") == nil)
        #expect(ComposeByteSize.bytes("512 megs") == nil)
    }

    @Test func namesUseTheCharactersComposeAccepts() {
        #expect(places("services:\n  my web:\n    image: app:1.0\nvolumes:\n  data/1: {}\n") == [
            "2:3 compose/invalid-name", "5:3 compose/invalid-name",
        ])
    }

    @Test func aServiceNeedsAnImageOrABuild() {
        #expect(places("services:\n  web:\n    command: run\n  base:\n    extends: web\n") == ["2:3 compose/no-image"])
    }

    @Test func undefinedReferencesSuggestTheNearName() {
        let text = """
            services:
              web:
                image: app:1.0
                networks: [frontend, backnd]
                volumes:
                  - dta:/data
                  - ./conf:/conf
                  - /var/log:/log
                  - type: volume
                    source: cache
                    target: /cache
                secrets: [db_pasword]
                configs:
                  - source: nginx
                depends_on: [dbb]
                links: ["db:database", "ghost"]
                volumes_from: [db, "container:other"]
              side:
                image: app:1.0
                network_mode: "service:wev"
              db:
                image: postgres:16
            networks:
              frontend: {}
              backend: {}
            volumes:
              data: {}
            secrets:
              db_password:
                environment: DB_PASSWORD
            configs:
              nginx_conf:
                content: "x"
            """
        #expect(places(text) == [
            "4:26 compose/undefined-network", "6:9 compose/undefined-volume", "7:9 compose/missing-file",
            "10:17 compose/undefined-volume", "12:15 compose/undefined-secret", "14:17 compose/undefined-config",
            "15:18 compose/undefined-service",
            "16:28 compose/undefined-service", "20:19 compose/undefined-service",
        ])
        let all = messages(text)
        #expect(all.contains { $0.contains("network `backnd`") && $0.hasSuffix("did you mean `backend`?") })
        #expect(all.contains { $0.contains("volume `dta`") && $0.contains("did you mean `data`?") })
        #expect(all.contains { $0.contains("secret `db_pasword`") && $0.hasSuffix("did you mean `db_password`?") })
        #expect(all.contains { $0.contains("`wev`") && $0.hasSuffix("did you mean `web`?") })
    }

    @Test func dependencyCyclesAreReportedOnceWithEveryEdge() {
        let text = """
            services:
              a:
                image: app:1.0
                depends_on: [b]
              b:
                image: app:1.0
                depends_on:
                  c:
                    condition: service_healthy
              c:
                image: app:1.0
                depends_on:
                  a:
                    condition: service_heathy
              d:
                image: app:1.0
                depends_on: [d]
            """
        #expect(places(text) == ["13:7 compose/depends-on-cycle", "14:20 compose/depends-on-condition", "17:18 compose/depends-on-cycle"])
        let all = messages(text)
        #expect(all.contains(
            "depends_on cycle: `a` → `b` → `c` → `a` (a → b at compose.yaml:4, b → c at compose.yaml:8, c → a at compose.yaml:13); compose can start none of these services; remove one of the dependencies"))
        #expect(all.contains { $0.contains("`service_heathy`") && $0.contains("did you mean `service_healthy`?") })
    }

    @Test func portsAreParsedAndHostPortsPublishedTwiceAreFound() {
        let text = """
            services:
              web:
                image: app:1.0
                ports:
                  - "8080:80"
                  - "127.0.0.1:9000:9000/udp"
                  - "3000-3005:3000-3005"
                  - "[::1]:7000:7000"
                  - "70000:80"
                  - "8081:80/tcpp"
                  - "300.1.1.1:81:81"
                  - "4000-4002:4000-4003"
                  - 5432
                  - target: 81
                    published: "8080"
                    protocol: tcp
              api:
                image: app:1.0
                ports:
                  - "0.0.0.0:3003:3003"
                  - "127.0.0.1:9000:9000/tcp"
                  - "9000:9000/udp"
                  - "7000:7000"
                  - target: 82
                    host_ip: 10.0.0.300
            """
        #expect(places(text) == [
            "9:9 compose/ports", "10:9 compose/ports", "11:9 compose/ports", "12:9 compose/ports",
            "14:9 compose/port-conflict", "20:9 compose/port-conflict", "22:9 compose/port-conflict",
            "23:9 compose/port-conflict", "25:18 compose/ports",
        ])
        let all = messages(text)
        #expect(all.contains("service `web`: host port 70000 is outside 1–65535"))
        #expect(all.contains { $0.hasPrefix("host port 8080/tcp is already published by this service at compose.yaml:5:9") })
        #expect(all.contains { $0.hasPrefix("host port 3003/tcp on 0.0.0.0 is already published by service `web` at compose.yaml:7:9") })
    }

    @Test func servicesInDisjointProfilesMayShareAHostPort() {
        let text = """
            services:
              app:
                image: app:1.0
                profiles: [prod]
                ports: ["80:80"]
              app-dev:
                image: app:1.0
                profiles: [dev]
                ports: ["80:80"]
            """
        #expect(places(text) == [])
    }

    @Test func staticAddressesSubnetsAndInternalNetworks() {
        let text = """
            services:
              web:
                image: app:1.0
                ports: ["80:80"]
                networks:
                  back:
                    ipv4_address: 10.1.0.5
                  inner:
              db:
                image: app:1.0
                networks:
                  back:
                    ipv4_address: 172.20.0.5
                  other:
                    ipv4_address: 172.21.0.5
              cache:
                image: app:1.0
                network_mode: host
                networks: [back]
              twin:
                image: app:1.0
                networks:
                  back:
                    ipv4_address: 172.20.0.5
            networks:
              back:
                internal: true
                ipam:
                  config:
                    - subnet: 172.20.0.0/16
                      gateway: 172.21.0.1
              inner:
                internal: true
              other:
                ipam:
                  config:
                    - subnet: 172.20.128.0/17
                    - subnet: 10.0.0.0/33
            """
        #expect(places(text) == [
            "4:5 compose/internal-exposure", "7:23 compose/ipam", "15:23 compose/ipam", "19:5 compose/network-mode",
            "24:23 compose/ipam", "31:20 compose/ipam", "37:19 compose/subnet-overlap", "38:19 compose/ipam",
        ])
        let all = messages(text)
        #expect(all.contains {
            $0.hasPrefix("service `web`: ipv4_address 10.1.0.5 is outside network `back`'s subnet 172.20.0.0/16 (compose.yaml:30)")
        })
    }

    @Test func containerNamesAreUnique() {
        let text = """
            services:
              a:
                image: app:1.0
                container_name: app
              b:
                image: app:1.0
                container_name: app
              c:
                image: app:1.0
                container_name: worker
                deploy:
                  replicas: 3
            """
        #expect(places(text) == ["7:21 compose/container-name", "10:21 compose/container-name"])
    }

    @Test func healthchecksHaveAKnownFormAndGoDurations() {
        let text = """
            services:
              a:
                image: app:1.0
                healthcheck:
                  test: ["CMD-SHEL", "curl -f http://localhost"]
                  interval: 3 seconds
                  timeout: 1m30s
                  start_period: 500ms
                  retries: -1
              b:
                image: app:1.0
                healthcheck:
                  test: ["CMD"]
                  start_interval: 1.5h
                  retries: 3.5
            """
        #expect(places(text) == [
            "5:14 compose/healthcheck", "6:17 compose/healthcheck", "9:16 compose/healthcheck", "13:14 compose/healthcheck",
            "15:16 compose/healthcheck",
        ])
        #expect(messages(text).contains { $0.contains("`CMD-SHEL`") && $0.hasSuffix("did you mean `CMD-SHELL`?") })
    }

    @Test func findingsOnAMergedProjectNameTheFileThatContributedTheValue() throws {
        let (base, _) = YAMLParser.parse("services:\n  web:\n    image: app:1.0\n    ports: [\"8080:80\"]\n", file: "compose.yaml")
        let (overlay, _) = YAMLParser.parse(
            "services:\n  admin:\n    image: app:1.0\n    ports: [\"8080:81\"]\n    depends_on: [wbe]\n", file: "compose.ci.yaml")
        var root = try #require(base)
        let extra = try #require(overlay?["services"]?.pairs)
        let services = try #require(root.pairs?.firstIndex { $0.key == "services" })
        var pairs = try #require(root.pairs)
        pairs[services].value.content = .mapping((pairs[services].value.pairs ?? []) + extra)
        root.content = .mapping(pairs)
        let diagnostics = ComposeChecks.check(ComposeProject(root: root, files: ["compose.yaml", "compose.ci.yaml"], directory: "."))
        #expect(diagnostics.map { "\($0.location!) \($0.rule!)" }.sorted() == [
            "compose.ci.yaml:4:13 compose/port-conflict", "compose.ci.yaml:5:18 compose/undefined-service",
        ])
        #expect(diagnostics.contains { $0.message.contains("already published by service `web` at compose.yaml:4:13") })
    }

    @Test func valuesFromUnsetVariablesAreNotChecked() throws {
        let (parsed, _) = YAMLParser.parse("services:\n  web:\n    image: nginx\n    ports: [\"99999:80\"]\n", file: "compose.yaml")
        let root = try #require(parsed)
        let image = try #require(root["services"]?["web"]?["image"]?.location)
        let port = try #require(root["services"]?["web"]?["ports"]?.items?.first?.location)
        #expect(!ComposeChecks.check(ComposeProject(root: root, files: ["compose.yaml"], directory: ".")).isEmpty)
        let project = ComposeProject(root: root, files: ["compose.yaml"], directory: ".", unresolved: [image, port])
        #expect(ComposeChecks.check(project).isEmpty)
    }

    @Test func composeDurations() {
        #expect(ComposeDuration.seconds("1m30s") == 90)
        #expect(ComposeDuration.seconds("500ms") == 0.5)
        #expect(ComposeDuration.seconds(".5s") == 0.5)
        #expect(ComposeDuration.seconds("0") == 0)
        #expect(ComposeDuration.seconds("10") == nil)
        #expect(ComposeDuration.seconds("3 seconds") == nil)
        #expect(ComposeDuration.seconds("1d") == 86400)
        #expect(ComposeDuration.seconds("2w1d") == 1_296_000)
        #expect(ComposeDuration.seconds("1y") == nil)
        #expect(ComposeDuration.seconds("") == nil)
    }

    @Test func imagesArePinned() {
        let text = """
            services:
              a: {image: nginx}
              b: {image: "nginx:latest"}
              c: {image: "registry:5000/team/app"}
              d: {image: "registry:5000/team/app:1.2"}
              e: {image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
              f: {image: "nginx:${TAG}"}
            """
        #expect(places(text) == ["2:14 compose/image-pinning", "3:14 compose/image-pinning", "4:14 compose/image-pinning"])
    }

    @Test func plainTextSecretsAreFlaggedWithoutTheirValues() {
        let text = """
            services:
              a:
                image: app:1.0
                environment:
                  POSTGRES_PASSWORD: hunter2
                  POSTGRES_PASSWORD_FILE: /run/secrets/db
                  API_TOKEN: ${API_TOKEN}
                  GITHUB_TOKEN: ""
                  JWT_SECRET_KEY: s3cr3t-value
                  TOKEN_EXPIRY: 3600
                  STRIPE_API_KEY: sk_live_abc
              b:
                image: app:1.0
                environment:
                  - MYSQL_ROOT_PASSWORD=topsecret
                  - MYSQL_USER=app
                  - ACCESS_TOKEN=$TOKEN
            """
        let diagnostics = ComposeCheckHarness.check(text)
        #expect(ComposeCheckHarness.places(diagnostics) == [
            "5:26 compose/plaintext-secret", "9:23 compose/plaintext-secret", "11:23 compose/plaintext-secret",
            "15:9 compose/plaintext-secret",
        ])
        for secret in ["hunter2", "s3cr3t-value", "sk_live_abc", "topsecret"] {
            #expect(!diagnostics.contains { $0.message.contains(secret) })
        }
    }

    @Test func missingFilesAreWarningsAndEnvFilesAreParsed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compose-checks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/app", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "A=1\nexport B=\"two\"\nC: 3\nD\n# comment\nBAD-NAME=1\nE='open\n".write(
            toFile: directory + "/app.env", atomically: true, encoding: .utf8)
        try "FROM scratch\n".write(toFile: directory + "/app/Dockerfile", atomically: true, encoding: .utf8)
        let text = """
            services:
              web:
                build:
                  context: ./app
                  dockerfile: Dockerfile.prod
                env_file:
                  - app.env
                  - path: optional.env
                    required: false
                  - missing.env
                volumes:
                  - ./data:/data
                  - /etc/hosts:/etc/hosts:ro
                  - type: bind
                    source: ./conf
                    target: /conf
              api:
                build: ./api
            secrets:
              key:
                file: ./key.pem
            """
        let diagnostics = ComposeCheckHarness.check(text, directory: directory)
        #expect(diagnostics.allSatisfy { $0.severity == .warning })
        #expect(ComposeCheckHarness.places(diagnostics) == [
            "6:4 compose/env-file-syntax", "7:3 compose/env-file-syntax", "5:19 compose/missing-file", "10:9 compose/missing-file",
            "12:9 compose/missing-file", "15:17 compose/missing-file", "18:12 compose/missing-file", "21:11 compose/missing-file",
        ])
        #expect(diagnostics.contains { $0.location?.file == directory + "/app.env" && $0.location?.line == 6 })
    }

    @Test func dotEnvSyntax() {
        #expect(DotEnvSyntax.problems(in: "A=1\n\n  # c\nexport B=2\nC: 3\nD\nE=\"multi\nline\"\nF='x' # c\n") == [])
        #expect(DotEnvSyntax.problems(in: "MY VAR=1\n=2\nA=\"x\" y\n").map { "\($0.line):\($0.column)" } == ["1:4", "2:1", "3:7"])
    }

    /// compose-go's consistency checks: models, `service:` build contexts, build platforms, watch
    /// targets and mount targets; each finding names the other place.
    @Test func consistencyOfModelsContextsPlatformsAndMounts() {
        let text = """
            services:
              base:
                image: app/base:1.0
              web:
                build:
                  context: .
                  additional_contexts: ["deps=service:base", "tools=service:toolz"]
                  platforms: [linux/amd64]
                platform: linux/arm64
                models: {chat: {endpoint_var: CHAT_URL}}
                tmpfs: /tmp
                volumes: ["/tmp", {type: tmpfs, target: /run}, "scratch:/run/"]
            volumes:
              scratch: {}
            """
        #expect(places(text) == [
            "6:16 compose/missing-file", "7:29 compose/additional-context", "7:50 compose/undefined-service", "9:15 compose/platform",
            "10:14 compose/undefined-model", "12:15 compose/mount-conflict", "12:52 compose/mount-conflict",
        ])
        let all = messages(text)
        #expect(all.contains { $0.contains("service `base`, which has no `build`") })
        #expect(all.contains { $0.contains("does not build it (the other is at compose.yaml:8)") })
        #expect(all.contains { $0.contains("mounts `/run/` twice: a volume here and a volume at compose.yaml:12") })
    }

    @Test func addresses() {
        #expect(IPAddress("::ffff:10.0.0.1")?.bytes.suffix(4) == [10, 0, 0, 1])
        #expect(IPAddress("fe80::1") != nil)
        #expect(IPAddress("1:2:3:4:5:6:7:8:9") == nil)
        #expect(IPAddress("010.0.0.1") == nil)
        #expect(IPSubnet("fd00:1::/64")?.contains(IPAddress("fd00:1::5")!) == true)
        #expect(IPSubnet("10.0.0.0/8")?.overlaps(IPSubnet("10.20.0.0/16")!) == true)
        #expect(IPSubnet("10.0.0.0/16")?.overlaps(IPSubnet("10.1.0.0/16")!) == false)
    }

    @Test func everyRuleTheChecksUseIsInTheCatalog() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let used = Set(source.matches(of: /compose\/[a-z-]+/).map { String($0.output) })
        let catalog = Set(RuleCatalog.composeChecks.map(\.id))
        #expect(used.subtracting(catalog).isEmpty, "\(used.subtracting(catalog))")
        #expect(catalog.subtracting(used).isEmpty, "rules without a unit test: \(catalog.subtracting(used).sorted())")
    }
}
