import AzureSimulator
import Foundation
import JSONDocument
import Testing

@Suite struct GatewayTests {
    @Test func gatewayShape() async throws {
        let sim = await Harness()
        let body = try #require(await sim.get(Harness.gateway, query: "api-version=2024-05-01").json)
        let etag = try #require(body["etag"]?.stringValue)
        #expect(etag.hasPrefix("W/\""))
        let pool = try #require(body[path: ["properties", "backendAddressPools"]]?.arrayValue?.first)
        #expect(pool["etag"]?.stringValue == etag)
        #expect(pool["id"]?.stringValue?.hasSuffix("/backendAddressPools/backend-pool-prod") == true)
        let addresses = pool[path: ["properties", "backendAddresses"]]?.arrayValue?.compactMap { $0["ipAddress"]?.stringValue }
        #expect(addresses == ["10.0.1.4", "10.0.1.5", "10.0.1.6", "10.0.1.7"])
        #expect(pool[path: ["properties", "backendIPConfigurations"]] == [])
        let settings = body[path: ["properties", "backendHttpSettingsCollection"]]?.arrayValue?.first
        #expect(settings?[path: ["properties", "connectionDraining"]] == ["enabled": true, "drainTimeoutInSec": 60])
    }

    @Test func putWithIfMatchThenStaleEtagFails() async throws {
        let sim = await Harness()
        let gateway = try #require(await sim.get(Harness.gateway).json)
        let etag = try #require(gateway["etag"]?.stringValue)
        var edited = Harness.removing("10.0.1.5", from: gateway)
        edited[path: ["properties", "provisioningState"]] = "Succeeded"  // read-only: ignored
        edited[path: ["properties", "someFutureSection"]] = ["kept": true]  // unknown: round-trips
        let put = await sim.send("PUT", Harness.gateway, body: edited, headers: ["If-Match": etag])
        #expect(put.status == 200)
        #expect(put.json?[path: ["properties", "provisioningState"]] == "Updating")
        let operation = try #require(put.header("Azure-AsyncOperation"))
        #expect(operation.contains("/providers/Microsoft.Network/locations/westeurope/operations/"))
        #expect(await sim.waitForOperation(operation)?["status"] == "Succeeded")
        let after = try #require(await sim.get(Harness.gateway).json)
        #expect(after["etag"]?.stringValue != etag)
        #expect(after[path: ["properties", "someFutureSection", "kept"]] == true)
        #expect(after[path: ["properties", "provisioningState"]] == "Succeeded")
        #expect(await sim.state().gateway("appgw-backend-prod")?.pools[0].addresses == ["10.0.1.4", "10.0.1.6", "10.0.1.7"])
        let stale = await sim.send("PUT", Harness.gateway, body: edited, headers: ["If-Match": etag])
        #expect(stale.status == 412)
        #expect(stale.json?[path: ["error", "code"]] == "PreconditionFailed")
        #expect(stale.json?[path: ["error", "details"]]?.arrayValue?.first?["code"] == "PreconditionFailedEtagMismatch")
    }

    @Test func secondPutSupersedesTheFirst() async throws {
        let sim = await Harness(Harness.scenario(timing: Harness.virtual))
        let gateway = try #require(await sim.get(Harness.gateway).json)
        let first = await sim.send("PUT", Harness.gateway, body: Harness.removing("10.0.1.4", from: gateway))
        let second = await sim.send("PUT", Harness.gateway, body: Harness.removing("10.0.1.6", from: gateway))
        #expect(second.status == 200)
        let canceled = await sim.waitForOperation(try #require(first.header("Azure-AsyncOperation")))
        #expect(canceled?["status"] == "Canceled")
        #expect(canceled?[path: ["error", "details"]]?.arrayValue?.first?["code"] == "CanceledAndSupersededDueToAnotherOperation")
        #expect(await sim.waitForOperation(try #require(second.header("Azure-AsyncOperation")))?["status"] == "Succeeded")
        // Each PUT is a whole document: the second one's view wins.
        #expect(await sim.state().gateways[0].pools[0].addresses == ["10.0.1.4", "10.0.1.5", "10.0.1.7"])
    }

    @Test func busyGatewayRefusesASecondPut() async throws {
        let sim = await Harness(Harness.scenario(timing: Harness.virtual) { $0.gateways[0].concurrentPut = .busy })
        let gateway = try #require(await sim.get(Harness.gateway).json)
        #expect(await sim.send("PUT", Harness.gateway, body: gateway).status == 200)
        let refused = await sim.send("PUT", Harness.gateway, body: gateway)
        #expect(refused.status == 429)
        #expect(refused.header("Retry-After") == "1")
        #expect(refused.json?[path: ["error", "code"]] == "RetryableErrorDueToAnotherOperation")
    }

    @Test func nicBasedPoolIsReportedAsIPConfigurations() async throws {
        let sim = await Harness(Harness.scenario {
            $0.scaleSets[0].gatewayPoolByNIC = "appgw-backend-prod/backend-pool-prod"
            $0.gateways[0].pools[0].fromScaleSet = nil
        })
        let pool = try #require(await sim.get(Harness.gateway).json?[path: ["properties", "backendAddressPools"]]?.arrayValue?.first)
        #expect(pool[path: ["properties", "backendAddresses"]] == [])
        let members = pool[path: ["properties", "backendIPConfigurations"]]?.arrayValue ?? []
        #expect(members.count == 4)
        #expect(members.first?["id"]?.stringValue?.hasSuffix("/virtualMachines/0/networkInterfaces/nic-vmss-backend-prod/ipConfigurations/ipconfig1") == true)
        let model = await sim.get(Harness.vmss).json
        let configuration = model?[path: ["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"]]?
            .arrayValue?.first?[path: ["properties", "ipConfigurations"]]?.arrayValue?.first
        #expect(configuration?[path: ["properties", "applicationGatewayBackendAddressPools"]]?.arrayValue?.count == 1)
    }
}
