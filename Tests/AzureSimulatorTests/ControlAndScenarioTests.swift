import AzureSimulator
import Foundation
import Testing

@Suite struct ControlAndScenarioTests {
    private func control(_ sim: Harness, _ method: String, _ path: String, body: String = "") async -> SimulatedResponse {
        await sim.simulator.handle(SimulatedRequest(method: method, path: "/_simulator/" + path, body: Data(body.utf8)))
    }

    @Test func controlAPI() async throws {
        let sim = await Harness()
        _ = await sim.get(Harness.vmss)
        let state = try JSONDecoder().decode(SimulatorState.self, from: await control(sim, "GET", "state").body)
        #expect(state.scaleSets[0].instances.count == 4)
        #expect(state.gateways[0].pools[0].addresses.count == 4)
        let log = try JSONDecoder().decode([LoggedRequest].self, from: await control(sim, "GET", "requests").body)
        #expect(log.count == 1 && log[0].status == 200)
        #expect(await control(sim, "DELETE", "requests").status == 204)
        #expect(await sim.simulator.requestLog.isEmpty)
        let armed = await control(sim, "POST", "faults", body: #"{"method":"GET","path":"virtualMachines","kind":"throttle","retry-after":2}"#)
        #expect(armed.status == 201)
        #expect(await sim.get(Harness.vmss + "/virtualMachines").header("Retry-After") == "2")
        #expect(await control(sim, "POST", "faults", body: #"{"path":"x","kind":"meteor"}"#).status == 400)
        #expect(await control(sim, "POST", "faults", body: #"{"path":"x","kind":"throttle","cuont":2}"#).status == 400)
        _ = await control(sim, "POST", "faults", body: #"{"path":"x","kind":"throttle"}"#)
        #expect(await control(sim, "DELETE", "faults").status == 204)
        #expect(await sim.simulator.armedFaults.isEmpty)
    }

    @Test func fullScenarioFromYAML() throws {
        let yaml = """
            subscription: 11111111-0000-0000-0000-000000000001
            location: northeurope
            page-size: 2
            credentials:
              - client-id: ci
                client-secret: s3
            timing:
              mode: virtual
              polls: 3
              retry-after: 2
              extension-update: 500ms
              manual-upgrade: 2s
              gateway-update: 1m
              health-settle: 0s
              token-lifetime: 3600s
            scale-sets:
              - resource-group: rg
                name: web
                capacity: 2
                upgrade-mode: Automatic
                orchestration: Uniform
                subnet: 10.1.0.0/16
                health-extension: false
                gateway-pool-by-nic: agw/pool
                extension: {name: deploy, type: CustomScript, publisher: Microsoft.Azure.Extensions, version: 2.1, force-update-tag: v1, command: ./go.sh}
                rolling-upgrade: null
                tags: {team: web}
            gateways:
              - resource-group: rg
                name: agw
                drain-timeout: 30
                concurrent-put: busy
                pools:
                  - name: pool
                    addresses: [10.1.0.4, api.example.com]
            faults:
              - {method: GET, path: virtualMachines, kind: throttle, count: 2, retry-after: 3}
            """
        let scenario = try SimulatorScenario.parse(yaml: yaml)
        #expect(scenario.location == "northeurope")
        #expect(scenario.timing.mode == .virtual && scenario.timing.extensionUpdate == 0.5 && scenario.timing.gatewayUpdate == 60)
        #expect(scenario.scaleSets[0].extension.version == "2.1")
        #expect(scenario.scaleSets[0].upgradeMode == .automatic)
        #expect(scenario.gateways[0].concurrentPut == .busy)
        #expect(scenario.faults == [FaultSpec(method: "GET", path: "virtualMachines", kind: .throttle, count: 2, retryAfter: 3)])
        #expect(try SimulatorScenario.parse(yaml: "") == SimulatorScenario())
    }

    @Test func scenarioErrorsNameTheKey() {
        func problem(_ yaml: String) -> String {
            do {
                _ = try SimulatorScenario.parse(yaml: yaml, file: "s.yml")
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(problem("scale-sets:\n  - {resource-group: rg, name: a, capacty: 3}").contains("s.yml: error: scale-sets[0].capacty: unknown key"))
        #expect(problem("timing: {health-settle: soon}").contains("timing.health-settle"))
        #expect(problem("scale-sets:\n  - {resource-group: rg, name: a, capacity: many}").contains("scale-sets[0].capacity: expected a whole number"))
        #expect(problem("scale-sets:\n  - {resource-group: rg, name: a, gateway-pool-by-nic: gw/pool}").contains("names no pool"))
        #expect(problem("faults:\n  - {path: x, kind: meteor}").contains("unknown fault kind 'meteor'"))
        #expect(problem("scale-sets:\n  - {name: a}").contains("scale-sets[0].resource-group: required key is missing"))
        #expect(throws: SimulatorError.self) { try SimulatorScenario.load(path: "/nonexistent/scenario.yml") }
    }
}
