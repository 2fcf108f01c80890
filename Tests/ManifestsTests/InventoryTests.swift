import Foundation
@testable import Manifests
import Testing

@Suite struct InventoryTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
    }

    @Test func productionInventoryHasTheSeedHosts() throws {
        let (inventory, warnings) = try Inventory.load(path: Self.repoRoot + "/inventories/hosts.yml")
        #expect(warnings.isEmpty)
        #expect(inventory.hosts(inGroup: "backend_web").map(\.name) == ["10.0.5.10", "10.0.5.11"])
        #expect(inventory.hosts(inGroup: "backend_lb").map(\.name) == ["10.0.3.20", "10.0.3.21"])
        #expect(inventory.hosts(inGroup: "all").count == 4)
        let web7 = try #require(inventory.host(named: "10.0.5.10"))
        #expect(web7.vars == [
            "ansible_user": "mishipay_user", "ansible_python_interpreter": "/usr/bin/python3",
            "haproxy_host_name": "prod-backend-7",
        ])
        #expect(web7.groups == ["backend_web"])
        #expect(web7.address == "10.0.5.10")
        #expect(inventory.group(named: "backend_lb")?.location?.line == 18)
    }

    @Test(arguments: [
        "derived-host-in-two-groups-conflicting-vars.yml", "k3s-ansible-inventory-sample.yml", "rke2-advanced-hosts.yml",
    ])
    func corpusInventoriesLoadWithoutErrors(name: String) throws {
        let path = Self.fixture("corpus/inventory/\(name)")
        let (inventory, _) = try Inventory.load(path: path)
        #expect(!inventory.hosts.isEmpty)
    }

    @Test func siblingGroupsAtTheSameDepthResolveByName() throws {
        let (inventory, _) = try Inventory.load(path: Self.fixture("corpus/inventory/derived-host-in-two-groups-conflicting-vars.yml"))
        // rke2_agents and rke2_servers are both at depth 2; the later name (rke2_servers) wins.
        #expect(inventory.host(named: "server0.example.com")?.vars["node_role"] == "server")
        #expect(inventory.host(named: "server0.example.com")?.groups == ["rke2_cluster", "rke2_servers", "rke2_agents"])
        #expect(inventory.host(named: "agent0.example.com")?.vars["node_role"] == "agent")
        #expect(inventory.hosts(inGroup: "rke2_cluster").map(\.name) == ["server0.example.com", "agent0.example.com"])
    }

    /// Host keys with ranges stand for several hosts, as Ansible expands them: widths kept, letters,
    /// steps, several ranges multiplied; `:port` gives each host `ansible_port`.
    @Test func hostRangesExpandAsAnsibleExpandsThem() throws {
        let text = """
            all:
              children:
                web:
                  hosts:
                    web[08:10].example.com: {role: front}
                    api-[a:c]:2222:
                    worker[1:9:4]-[x:y]:
            """
        let (inventory, diagnostics) = InventoryLoader.parse(text, file: "hosts.yml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let hosts = try #require(inventory).hosts
        #expect(hosts.map(\.name) == [
            "web08.example.com", "web09.example.com", "web10.example.com", "api-a", "api-b", "api-c",
            "worker1-x", "worker1-y", "worker5-x", "worker5-y", "worker9-x", "worker9-y",
        ])
        #expect(hosts.first?.vars["role"] == "front" && hosts.first?.location?.line == 5)
        #expect(hosts.filter { $0.name.hasPrefix("api-") }.allSatisfy { $0.vars["ansible_port"] == "2222" })
        #expect(try HostPattern.expand("10.0.0.5").hosts == ["10.0.0.5"])
        #expect(try HostPattern.expand("fe80::1").port == nil, "an IPv6 address is no host:port")
        #expect(try HostPattern.expand("db[5:1]").hosts.isEmpty)
        #expect(throws: HostPattern.Failure.self) { try HostPattern.expand("db[1:2") }
    }

    @Test func precedenceRunsFromAllThroughDeeperGroupsToHostVars() throws {
        let (inventory, _) = try Inventory.load(path: Self.fixture("inventory-precedence.yml"))
        let web1 = try #require(inventory.host(named: "web1"))
        #expect(web1.vars["role"] == "edge")        // child group beats its parent and `all`
        #expect(web1.vars["port"] == "8080")        // host vars beat every group
        #expect(web1.vars["region"] == "eu")        // inherited from the parent group
        #expect(web1.vars["user"] == "deploy")      // from `all`
        #expect(web1.vars["tags"] == "[a, b]")      // non-scalars keep their YAML text
        #expect(web1.address == "192.0.2.1")
        // File order: web2 is listed (line 12) before web1 (line 18).
        #expect(inventory.hosts(inGroup: "web").map(\.name) == ["web2", "web1", "web3"])
        #expect(inventory.group(named: "web")?.children == ["edge"])
        #expect(inventory.host(named: "web3")?.vars["role"] == "web")
    }

    @Test func inventoryErrorsAreAllReportedWithLocations() {
        let path = Self.fixture("inventory-errors.yml")
        #expect(throws: ManifestError.self) { try Inventory.load(path: path) }
        do {
            _ = try Inventory.load(path: path)
        } catch {
            #expect(error.diagnostics.map { "\($0.location!.line):\($0.location!.column) \($0.rule!)" } == [
                "3:3 unknown-key", "5:3 duplicate-key", "8:11 invalid-host", "9:18 invalid-group", "14:9 group-cycle",
            ])
            #expect(error.diagnostics[0].message == "unknown key `host` in `web`; did you mean `hosts`?")
            #expect(error.diagnostics[1].message == "duplicate key 'vars'; it was first defined at line 2, column 3")
        }
    }

    static func check(_ text: String) -> [Diagnostic] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("inventory-\(UUID().uuidString).yml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return ManifestValidator.validate(paths: [path]).map { diagnostic in
            var copy = diagnostic
            copy.location?.file = "hosts.yml"
            return copy
        }
    }

    @Test func theRepositoryInventoriesAndTheCorpusFollowTheConventions() {
        let diagnostics = ManifestValidator.validate(paths: [
            Self.repoRoot + "/inventories/hosts.yml", Self.repoRoot + "/inventories/local-haproxy-hosts.yml",
            Self.fixture("corpus/inventory"),
        ])
        #expect(!diagnostics.containsErrors, "\(diagnostics)")
        // The k3s sample's `token: "changeme!"` is the only secret written in plain text.
        #expect(diagnostics.map { "\($0.location!.line):\($0.location!.column) \($0.rule!)" } == ["23:12 inventory/plaintext-secret"])
    }

    @Test func secretsAreNamedButNeverShown() {
        let diagnostics = Self.check(
            """
            db:
              vars:
                db_password: Sup3rS3cret
                api_token: "{{ lookup('env', 'TOKEN') }}"
                vault_key: !vault |
                  $ANSIBLE_VAULT;1.1;AES256
                  6231
            """)
        #expect(diagnostics.map(\.description) == [
            "hosts.yml:3:18: warning[inventory/plaintext-secret]: `db_password` of group `db` is a secret written in plain "
                + "text; encrypt it with `ansible-vault encrypt_string` (a `!vault` value) or look it up (`{{ lookup(…) }}`)"
        ])
        #expect(!diagnostics[0].message.contains("Sup3r"))
    }

    @Test func serverNamesAreCheckedOnMergedVariables() {
        // Names from group vars count, and every web host of the group (through child groups too) is checked.
        let diagnostics = Self.check(
            """
            backend_web:
              vars:
                haproxy_host_name: shared
              hosts:
                10.0.5.10:
              children:
                canary:
                  hosts:
                    10.0.5.11:
            backend_lb:
              hosts:
                10.0.3.20:
                  haproxy_admin_sock_path: "{{ socket_path }}"
            """)
        #expect(diagnostics.map { "\($0.location!.line):\($0.location!.column) \($0.rule!)" } == ["3:24 inventory/server-name"])
        #expect(diagnostics.first?.message.contains("`10.0.5.10` and `10.0.5.11`") == true)
    }

    @Test func addressesAreValidatedAsIPv4IPv6OrHostNames() {
        typealias Builder = Manifests.InventoryLoader.Builder
        for good in ["10.0.5.10", "web-1.example.com", "my_container", "::1", "2001:db8::8", "::ffff:10.0.0.1", "fe80::1:2:3:4:5:6"] {
            #expect(Builder.isAddress(good), "\(good)")
        }
        for bad in ["10.0.5.256", "10.0.5", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "web 1", "-web", "http://x", ""] {
            #expect(!Builder.isAddress(bad), "\(bad)")
        }
    }
}
