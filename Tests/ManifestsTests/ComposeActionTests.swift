import Foundation
import Manifests
import Testing

@Suite struct ComposeActionTests {
    @Test func productionComposeShipsTheProdFileWithOnlyTheImageTagChanged() throws {
        let (env, warnings) = try EnvironmentLoader.load(path: EnvironmentTests.inventories + "/production-compose.yml")
        #expect(warnings.isEmpty)
        guard case .compose(let compose) = env.action else {
            Issue.record("expected a compose action, got \(env.action)")
            return
        }
        #expect(compose.file == InventoryTests.repoRoot + "/manifests/docker-compose-prod.yml")
        #expect(compose.service == "backend_v2")
        #expect(compose.projectDirectory == "/mpay/com.mishipay.server")
        #expect(compose.remoteFile == "docker-compose-prod.yml")
        #expect(compose.command == "docker compose")
        #expect(compose.become)
        #expect(compose.timeout == .seconds(600))
        #expect(compose.image == "ghcr.io/mishipay-ltd/python-django-monolith-service:v6.21.17")
        #expect(compose.imageLocation.line == 7 && compose.imageLocation.column == 12)

        let before = compose.source.split(separator: "\n", omittingEmptySubsequences: false)
        let after = compose.rendered(version: "v6.21.18").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(before.count == after.count)
        let changed = zip(before, after).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(changed.map(\.offset) == [6])
        #expect(changed.first?.element.1 == "    image: ghcr.io/mishipay-ltd/python-django-monolith-service:v6.21.18")
    }

    @Test func retaggingKeepsRegistryPortsAndDropsDigests() {
        #expect(ComposeImage.retag("nginx", to: "v2") == "nginx:v2")
        #expect(ComposeImage.retag("nginx:1.21.1", to: "v2") == "nginx:v2")
        #expect(ComposeImage.retag("registry.local:5000/team/app", to: "v2") == "registry.local:5000/team/app:v2")
        #expect(ComposeImage.retag("registry.local:5000/team/app:1.0", to: "v2") == "registry.local:5000/team/app:v2")
        #expect(ComposeImage.retag("ghcr.io/a/b:1.0@sha256:0123abcd", to: "v2") == "ghcr.io/a/b:v2")
        #expect(ComposeImage.isValidTag("v6.21.18"))
        #expect(ComposeImage.isValidTag("1.0_rc-2"))
        for bad in ["", ".v1", "-v1", "v1;rm -rf /", "v 1", "v1/2", String(repeating: "a", count: 129)] {
            #expect(!ComposeImage.isValidTag(bad), "\(bad)")
        }
    }

    /// Writes an environment using `compose` (the compose file's text) and `deploy` (the deploy section).
    static func load(compose: String, deploy: String) -> [String] {
        let dir = NSTemporaryDirectory() + "deployer-compose-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try? compose.write(toFile: dir + "/docker-compose.yml", atomically: true, encoding: .utf8)
        try? "all:\n  children:\n    web:\n      hosts:\n        h1: {app_dir: /srv/a}\n        h2: {app_dir: /srv/b}\n"
            .write(toFile: dir + "/hosts.yml", atomically: true, encoding: .utf8)
        try? ("targets:\n  inventory: hosts.yml\n  group: web\ndeploy:\n" + deploy + "health:\n  http: http://{{ address }}/\n")
            .write(toFile: dir + "/env.yml", atomically: true, encoding: .utf8)
        return ManifestValidator.validate(paths: [dir + "/env.yml"]).map {
            "\(($0.location?.file as NSString?)?.lastPathComponent ?? "-"):\($0.location?.line ?? 0):\($0.location?.column ?? 0) "
                + "\($0.rule ?? "") \($0.message)"
        }
    }

    @Test func composeProblemsAreReportedWhereTheyAreWritten() {
        let compose = "services:\n  backend:\n    image: ghcr.io/x/app:${TAG:-1}\n  worker:\n    build: .\n"
        func places(_ deploy: String) -> [String] {
            Self.load(compose: compose, deploy: deploy).map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        }
        // A misspelt service: where the environment names it, with a suggestion.
        let misspelt = Self.load(compose: compose, deploy: "  compose:\n    file: docker-compose.yml\n    service: backnd\n    project-dir: /srv\n")
        #expect(misspelt.count == 1)
        #expect(misspelt.first?.hasPrefix("env.yml:7:14 compose-service") == true, "\(misspelt)")
        #expect(misspelt.first?.hasSuffix("has no service `backnd`; did you mean `backend`?") == true, "\(misspelt)")
        // An interpolated image: where the compose file writes it.
        #expect(places("  compose:\n    file: docker-compose.yml\n    service: backend\n    project-dir: /srv\n") == [
            "docker-compose.yml:3:12 compose-image"
        ])
        // A service without an image, a relative project directory, `connection` (compose runs over SSH).
        #expect(places("  compose:\n    file: docker-compose.yml\n    service: worker\n    project-dir: srv\n  connection: local\n") == [
            "docker-compose.yml:5:5 compose-image", "env.yml:8:18 compose-project-dir", "env.yml:9:3 unexpected-key",
        ])
        // A compose file that does not exist: where the environment names it.
        #expect(places("  compose:\n    file: nowhere.yml\n    service: backend\n    project-dir: \"{{ app_dir }}\"\n") == [
            "env.yml:6:11 file-not-found"
        ])
    }

    @Test func sshSectionChoosesTheTransportAndHostKeyPolicy() throws {
        let dir = NSTemporaryDirectory() + "deployer-ssh-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "all:\n  children:\n    web:\n      hosts:\n        h1:\n        h2:\n".write(toFile: dir + "/hosts.yml", atomically: true, encoding: .utf8)
        func write(_ ssh: String) throws -> String {
            let path = dir + "/env.yml"
            try ("targets:\n  inventory: hosts.yml\n  group: web\ndeploy:\n  run: /bin/true\nhealth:\n  http: http://{{ address }}/\n" + ssh)
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let (env, _) = try EnvironmentLoader.load(path: try write("ssh:\n  transport: openssh\n  known-hosts: keys/known_hosts\n  accept-new-host-keys: true\n  connect-timeout: 3s\n"))
        #expect(env.ssh.transport == .openssh)
        #expect(env.ssh.knownHosts == dir + "/keys/known_hosts")
        #expect(env.ssh.acceptNewHostKeys == true)
        #expect(env.ssh.connectTimeout == .seconds(3))
        let (plain, _) = try EnvironmentLoader.load(path: try write(""))
        #expect(plain.ssh == SSHOptions())
        let messages = ManifestValidator.validate(paths: [try write("ssh:\n  transport: opnssh\n  knwn-hosts: x\n")])
            .map { "\($0.location?.line ?? 0):\($0.location?.column ?? 0) \($0.rule ?? "")" }
        #expect(messages == ["9:14 wrong-type", "10:3 unknown-key"], "\(messages)")
    }
}
