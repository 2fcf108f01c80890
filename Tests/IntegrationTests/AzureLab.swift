import AzureSimulator
import Foundation
import Testing

/// The ARM simulator on 127.0.0.1 (`deployer simulate azure`, port chosen by the system) with a
/// scenario, a scratch directory holding environment files, and deployer run against it with the
/// variables an Azure user sets.
struct AzureLab {
    let simulator: SimulatorProcess
    let scratch: Scratch
    /// The client secret the simulator accepts; it must never appear in any output.
    var secret: String { secretValue }

    static let scaleSetScenario = """
        subscription: 00000000-0000-0000-0000-000000000001
        tenant: 00000000-0000-0000-0000-0000000000aa
        location: westeurope
        timing: {mode: virtual, polls: 1, retry-after: 0, health-settle: 0s, extension-update: 0s, manual-upgrade: 0s, gateway-update: 0s}
        scale-sets:
          - resource-group: rg-web
            name: web
            capacity: 4
            upgrade-mode: UPGRADE_MODE
            subnet: 10.1.0.0/24
            health-extension: true
            gateway-pool-by-nic: BY_NIC
            extension: {name: CustomScript, type: CustomScript, publisher: Microsoft.Azure.Extensions, version: "2.1", force-update-tag: v1, command: ./deploy.sh}
          - resource-group: rg-test
            name: test
            capacity: 2
            subnet: 10.2.0.0/24
            health-extension: false
            extension: {name: CustomScript, type: CustomScript, publisher: Microsoft.Azure.Extensions, version: "2.1", force-update-tag: v1, command: ./deploy.sh}
        gateways:
          - resource-group: rg-web
            name: agw
            drain-timeout: 1
            pools:
              - name: pool
                from-scale-set: web

        """

    static let prod = """
        targets:
          vmss: {resource-group: rg-web, name: web, operation-timeout: 4s}
        load-balancers:
          - application-gateway: {resource-group: rg-web, gateway: agw, pool: pool}
        deploy:
          vmss-model-update: {force-update-extension: CustomScript}
        health: {provider: true}
        strategy: {batch: 1, min-in-service: 1, drain-timeout: 10s, health-timeout: 3s, on-drain-timeout: proceed}

        """

    static let test = """
        targets:
          vmss: {resource-group: rg-test, name: test}
        deploy:
          vmss-model-update: {force-update-extension: CustomScript}
        health: {provider: true}
        strategy: {batch: 1, min-in-service: 0}

        """

    /// - Parameters:
    ///   - upgradeMode: the web scale set's upgrade mode.
    ///   - byNIC: the web scale set joins the gateway pool by NIC reference instead of by IP.
    ///   - environment: the prod environment file.
    static func start(upgradeMode: String = "Manual", byNIC: Bool = false, environment: String = prod) async throws -> AzureLab {
        let scratch = try Scratch(environment: "prod", yaml: environment)
        try test.write(toFile: scratch.path + "/inventories/test.yml", atomically: true, encoding: .utf8)
        var yaml = scaleSetScenario.replacingOccurrences(of: "UPGRADE_MODE", with: upgradeMode)
            .replacingOccurrences(of: "BY_NIC", with: byNIC ? "agw/pool" : "null")
        let secret = "s3cret-of-the-lab-\(UUID().uuidString.prefix(8))"
        yaml += "credentials:\n  - {client-id: deployer-ci, client-secret: \(secret)}\n"
        let simulator = try await SimulatorProcess.start(scenario: yaml, in: scratch.path)
        return AzureLab(simulator: simulator, scratch: scratch, secret: secret)
    }

    init(simulator: SimulatorProcess, scratch: Scratch, secret: String) {
        self.simulator = simulator
        self.scratch = scratch
        self.secretValue = secret
    }

    private let secretValue: String

    var endpoint: String { simulator.baseURL }

    var variables: [String: String] {
        [
            "DEPLOYER_ARM_ENDPOINT": endpoint, "AZURE_AUTHORITY_HOST": endpoint,
            "AZURE_TENANT_ID": "00000000-0000-0000-0000-0000000000aa", "AZURE_CLIENT_ID": "deployer-ci",
            "AZURE_CLIENT_SECRET": secretValue, "AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000001",
            "DEPLOYER_USER": "release-engineer",
        ]
    }

    /// Runs deployer in the scratch directory against the simulator.
    func deployer(_ arguments: [String], extra: [String: String] = [:], timeout: Double = 120) async throws -> DeployerProcess.Result {
        try await DeployerProcess.runDetached(
            arguments, in: scratch.path, environment: variables.merging(extra) { _, new in new }, timeout: timeout)
    }

    func state() async throws -> SimulatorState { try await simulator.state() }

    /// Every ARM request the simulator answered (not the control API).
    func requests() async throws -> [LoggedRequest] { try await simulator.requests() }

    func arm(_ fault: FaultSpec) async throws { try await simulator.arm(fault) }

    /// The IPs of the web scale set missing from the gateway pool.
    func outOfPool() async throws -> [(id: String, ip: String)] {
        let state = try await state()
        let pool = Set(state.gateways.first?.pools.first?.addresses ?? [])
        return (state.scaleSet("web")?.instances ?? []).filter { !pool.contains($0.ip) }.map { ($0.id, $0.ip) }
    }

    /// The request log of this deploy, with no secret in it.
    func armRequestLog() -> String {
        (try? String(contentsOfFile: scratch.path + "/inventories/.deployer/prod/arm-requests.log", encoding: .utf8)) ?? ""
    }

    func stop() {
        simulator.stop()
        scratch.remove()
    }
}
