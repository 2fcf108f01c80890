import AzureSimulator
import Foundation
import JSONDocument
import Testing

@Suite struct FaultTests {
    private func armed(_ faults: FaultSpec..., timing: SimulatorScenario.Timing = .instant) async -> Harness {
        await Harness(Harness.scenario(timing: timing, faults: faults))
    }

    @Test func throttleWrappedAndUnwrapped() async {
        let sim = await armed(FaultSpec(method: "GET", path: "virtualMachines", kind: .throttle, count: 2, retryAfter: 7))
        await sim.simulator.arm(FaultSpec(path: "virtualMachines", kind: .throttle, unwrapped: true))
        let wrapped = await sim.get(Harness.vmss + "/virtualMachines")
        #expect(wrapped.status == 429)
        #expect(wrapped.header("Retry-After") == "7")
        #expect(wrapped.header("x-ms-ratelimit-remaining-resource") == "Microsoft.Compute/HighCostGet30Min;0")
        #expect(wrapped.json?[path: ["error", "code"]] == "OperationNotAllowed")
        #expect(wrapped.json?[path: ["error", "details"]]?.arrayValue?.first?["code"] == "TooManyRequests")
        #expect(await sim.get(Harness.vmss + "/virtualMachines").status == 429)
        let unwrapped = await sim.get(Harness.vmss + "/virtualMachines")
        #expect(unwrapped.json?["code"] == "OperationNotAllowed")
        #expect(await sim.get(Harness.vmss + "/virtualMachines").status == 200)
        let log = await sim.simulator.requestLog
        #expect(log.map(\.fault) == ["throttle", "throttle", "throttle", nil])
        #expect(await sim.simulator.armedFaults.isEmpty)
    }

    @Test func simpleErrorShapes() async {
        let cases: [(FaultSpec.Kind, Int, String)] = [
            (.subscriptionThrottle, 429, "SubscriptionRequestsThrottled"), (.busy, 429, "RetryableErrorDueToAnotherOperation"),
            (.conflict, 409, "Conflict"), (.serverError, 500, "InternalServerError"), (.unavailable, 503, "ServiceUnavailable"),
            (.wrongAPIVersion, 400, "NoRegisteredProviderFound"), (.unauthorized, 401, "InvalidAuthenticationToken"),
        ]
        for (kind, status, code) in cases {
            let sim = await armed(FaultSpec(path: "vmss-backend-prod", kind: kind))
            let response = await sim.get(Harness.vmss)
            #expect(response.status == status, "\(kind)")
            #expect(response.json?[path: ["error", "code"]]?.stringValue == code, "\(kind)")
            if [429, 503].contains(status) { #expect(response.header("Retry-After") == "1", "\(kind)") }
        }
    }

    @Test func resetDropsTheConnection() async {
        let sim = await armed(FaultSpec(path: "/virtualMachines", kind: .reset))
        #expect(await sim.get(Harness.vmss + "/virtualMachines").dropConnection)
        #expect(await sim.simulator.requestLog.last?.status == 0)
    }

    @Test func delayAnswersLater() async {
        let sim = await armed(FaultSpec(path: "vmss", kind: .delay, seconds: 0.3))
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await sim.get(Harness.vmss).status == 200)
        #expect(clock.now - started >= .milliseconds(290))
    }

    @Test func headroomHeader() async {
        let sim = await armed(FaultSpec(path: "vmss", kind: .ratelimitHeadroom))
        let response = await sim.get(Harness.vmss)
        #expect(response.status == 200)
        #expect(response.header("x-ms-ratelimit-remaining-subscription-writes") == "3")
    }

    @Test func imdsErrors() async {
        let sim = await armed(
            FaultSpec(path: "/metadata/identity", kind: .imdsError), FaultSpec(path: "/metadata/identity", kind: .imdsError, status: 500))
        let query = "api-version=2018-02-01&resource=https://management.azure.com"
        let first = await sim.send("GET", "/metadata/identity/oauth2/token", query: query, headers: ["Metadata": "true"], authorized: false)
        #expect(first.status == 429)
        #expect(first.json?["error"] == "too_many_requests")
        let second = await sim.send("GET", "/metadata/identity/oauth2/token", query: query, headers: ["Metadata": "true"], authorized: false)
        #expect(second.status == 500)
    }

    @Test func lroFailedLeavesAFailedUnhealthyInstance() async throws {
        let sim = await armed(FaultSpec(path: "manualupgrade", kind: .lroFailed))
        _ = await sim.bumpExtension(tag: "v2")
        let post = await sim.upgrade(["0"])
        let status = await sim.waitForOperation(try #require(post.header("Azure-AsyncOperation")))
        #expect(status?["status"] == "Failed")
        #expect(status?[path: ["error", "code"]] == "VMExtensionProvisioningError")
        let view = await sim.get(Harness.vmss + "/virtualMachines/0/instanceView").json
        #expect(view?[path: ["vmHealth", "status", "code"]] == "HealthState/unhealthy")
        let deploy = view?["extensions"]?.arrayValue?.first { $0["name"] == "CustomScript" }
        #expect(deploy?["statuses"]?.arrayValue?.first?["code"] == "ProvisioningState/failed")
    }

    @Test func preemptedLeavesTheInstanceStale() async throws {
        let sim = await armed(FaultSpec(path: "manualupgrade", kind: .preempted))
        _ = await sim.bumpExtension(tag: "v2")
        let status = await sim.waitForOperation(try #require(await sim.upgrade(["1"]).header("Azure-AsyncOperation")))
        #expect(status?["status"] == "Canceled")
        #expect(status?[path: ["error", "code"]] == "OperationPreempted")
        #expect(await sim.state().scaleSets[0].instances[1].latestModelApplied == false)
    }

    @Test func unhealthyAfterUpgrade() async throws {
        for (health, code) in [(FaultSpec.Health.unhealthy, "HealthState/unhealthy"), (.unknown, "HealthState/unknown"), (.absent, nil)] {
            let sim = await armed(FaultSpec(path: "manualupgrade", kind: .unhealthy, health: health))
            _ = await sim.bumpExtension(tag: "v2")
            let status = await sim.waitForOperation(try #require(await sim.upgrade(["3"]).header("Azure-AsyncOperation")))
            #expect(status?["status"] == "Succeeded")
            let view = await sim.get(Harness.vmss + "/virtualMachines/3/instanceView").json
            #expect(view?[path: ["vmHealth", "status", "code"]]?.stringValue == code)
            #expect(await sim.state().scaleSets[0].instances[3].latestModelApplied)
        }
    }

    @Test func stuckNeverEnds() async throws {
        let sim = await armed(FaultSpec(path: "manualupgrade", kind: .stuck))
        let post = await sim.upgrade(["0"])
        #expect(await sim.waitForOperation(try #require(post.header("Azure-AsyncOperation"))) == nil)
        #expect(await sim.follow(try #require(post.header("Location"))).status == 202)
        #expect(await sim.upgrade(["0"]).status == 409)
    }

    @Test func vanishedInstance() async {
        let sim = await armed(
            FaultSpec(path: "manualupgrade", kind: .vanished), FaultSpec(path: "virtualMachines/1/networkInterfaces", kind: .vanished))
        let upgrade = await sim.upgrade(["2"])
        #expect(upgrade.status == 400)
        #expect(upgrade.json?[path: ["error", "code"]] == "InstanceIdsListInstanceIdNotActiveVM")
        #expect(await sim.get(Harness.vmss + "/virtualMachines/1/networkInterfaces").status == 404)
        #expect(await sim.state().scaleSets[0].instances.map(\.id) == ["0", "3"])
    }

    @Test func etagMismatchOnGatewayPut() async throws {
        let sim = await armed(FaultSpec(method: "PUT", path: "applicationGateways", kind: .etagMismatch))
        let gateway = try #require(await sim.get(Harness.gateway).json)
        let put = await sim.send("PUT", Harness.gateway, body: gateway, headers: ["If-Match": gateway["etag"]!.stringValue!])
        #expect(put.status == 412)
        #expect(put.json?[path: ["error", "details"]]?.arrayValue?.first?["code"] == "PreconditionFailedEtagMismatch")
    }

    @Test func supersededGatewayPutIsNotApplied() async throws {
        let sim = await armed(FaultSpec(method: "PUT", path: "applicationGateways", kind: .superseded))
        let gateway = try #require(await sim.get(Harness.gateway).json)
        let put = await sim.send("PUT", Harness.gateway, body: Harness.removing("10.0.1.4", from: gateway))
        #expect(put.status == 200)
        let status = await sim.waitForOperation(try #require(put.header("Azure-AsyncOperation")))
        #expect(status?["status"] == "Canceled")
        #expect(status?[path: ["error", "details"]]?.arrayValue?.first?["code"] == "CanceledAndSupersededDueToAnotherOperation")
        #expect(await sim.state().gateways[0].pools[0].addresses.contains("10.0.1.4"))
    }

    @Test func lostUpdateIsSilentlyReverted() async throws {
        let sim = await armed(FaultSpec(method: "PUT", path: "applicationGateways", kind: .lostUpdate))
        let gateway = try #require(await sim.get(Harness.gateway).json)
        let put = await sim.send("PUT", Harness.gateway, body: Harness.removing("10.0.1.4", from: gateway), headers: ["If-Match": "W/\"stale\""])
        #expect(put.status == 200)
        #expect(await sim.waitForOperation(try #require(put.header("Azure-AsyncOperation")))?["status"] == "Succeeded")
        #expect(await sim.state().gateways[0].pools[0].addresses.contains("10.0.1.4"))
    }

    @Test func faultsWaitForARequestTheyApplyTo() async throws {
        let sim = await armed(FaultSpec(path: "vmss-backend-prod", kind: .lroFailed))
        #expect(await sim.get(Harness.vmss).status == 200)
        #expect(await sim.simulator.armedFaults.count == 1)
        let post = await sim.upgrade(["0"])
        #expect(await sim.waitForOperation(try #require(post.header("Azure-AsyncOperation")))?["status"] == "Failed")
    }
}
