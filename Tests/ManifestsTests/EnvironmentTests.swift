import Foundation
import Manifests
import Testing

@Suite struct EnvironmentTests {
    static let inventories = InventoryTests.repoRoot + "/inventories"

    @Test func everyPlatformEnvironmentValidatesClean() {
        let diagnostics = ManifestValidator.validate(paths: [Self.inventories])
        #expect(diagnostics.map(\.description) == [])
    }

    @Test func productionExpandsHostsAndLoadBalancers() throws {
        let (env, warnings) = try EnvironmentLoader.load(path: Self.inventories + "/production.yml")
        #expect(warnings.isEmpty)
        #expect(env.name == "production")
        guard case .hosts(let hosts) = env.targets else {
            Issue.record("expected inventory targets")
            return
        }
        #expect(hosts.inventory == Self.inventories + "/hosts.yml")
        #expect(hosts.targets.map(\.name) == ["prod-backend-7", "prod-backend-8"])
        #expect(hosts.targets.map(\.address) == ["10.0.5.10", "10.0.5.11"])
        let servers = ["prod-backend-7": "prod-backend-7", "prod-backend-8": "prod-backend-8"]
        // The LB hosts' own variables say how to reach them over SSH.
        let lbVars = [
            "ansible_python_interpreter": "/usr/bin/python3", "ansible_user": "mishipay_user",
            "haproxy_admin_sock_path": "/run/haproxy/admin1.sock",
        ]
        #expect(env.loadBalancers == [
            .haproxy(HAProxyLoadBalancer(
                name: "10.0.3.20", socket: "/run/haproxy/admin1.sock", host: "10.0.3.20", hostVars: lbVars,
                backend: "backend_web", servers: servers, timeout: .seconds(5))),
            .haproxy(HAProxyLoadBalancer(
                name: "10.0.3.21", socket: "/run/haproxy/admin1.sock", host: "10.0.3.21", hostVars: lbVars,
                backend: "backend_web", servers: servers, timeout: .seconds(5))),
        ])
        #expect(env.action == .run(RunAction(
            command: "/mpay/com.mishipay.server/automation/deploy-prod.sh", become: true, timeout: .seconds(600),
            connection: .ssh)))
        #expect(env.health == .loadBalancer)
        #expect(env.strategy == Strategy(batches: [.count(1)], minInService: .count(1), onFailure: .stop))
        #expect(env.locations["strategy.batch"]?.description == Self.inventories + "/production.yml:26:10")
        #expect(env.locations["targets"]?.line == 5)
    }

    @Test func simulatedDemo() throws {
        let (env, _) = try EnvironmentLoader.load(path: Self.inventories + "/simulated.yml")
        #expect(env.targets == .simulated(SimulatedFleetSpec(
            count: 8, namePrefix: "web-", initialVersion: "v6.21.17", sessionsPerTarget: 3,
            sessionDuration: .milliseconds(1500))))
        #expect(env.loadBalancers.map(\.name) == ["lb-1", "lb-2"])
        #expect(env.action == .simulated(SimulatedUpdate(duration: .milliseconds(1200), failureRate: 0)))
        #expect(env.strategy == Strategy(
            batches: [.count(1), .percent(25)], maxUnavailable: .count(2), minInService: .count(6),
            drainTimeout: .seconds(10), healthTimeout: .seconds(10), pause: .milliseconds(500)))
        #expect(env.version == "v6.21.18")
        #expect(env.staticTargetCount == 8)
    }

    @Test func vmssEnvironments() throws {
        let (env, _) = try EnvironmentLoader.load(path: Self.inventories + "/prod-vmss.yml")
        #expect(env.targets == .vmss(VMSSSpec(subscription: nil, resourceGroup: "rg-backend-prod", name: "vmss-backend-prod")))
        #expect(env.loadBalancers == [.applicationGateway(ApplicationGatewayPool(
            name: "appgw-backend-prod/backend-pool-prod", subscription: nil, resourceGroup: "rg-backend-prod",
            gateway: "appgw-backend-prod", pool: "backend-pool-prod"))])
        #expect(env.action == .vmssModelUpdate(VMSSModelUpdate(forceUpdateExtension: "CustomScript")))
        #expect(env.strategy.drainTimeout == .seconds(60))
        #expect(
            env.state
                == .azureBlob(
                    AzureBlobStateSpec(
                        account: "stdeployerstate", resourceGroup: "rg-platform-state", subscription: nil, container: "deployer-state",
                        prefix: "prod-vmss", keyVariable: nil)))
        let (test, _) = try EnvironmentLoader.load(path: Self.inventories + "/test-vmss.yml")
        #expect(test.strategy.minInService == .count(0))
        #expect(test.loadBalancers.isEmpty)
    }
}
