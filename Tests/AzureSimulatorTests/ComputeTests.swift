import AzureSimulator
import Foundation
import JSONDocument
import Testing

@Suite struct ComputeTests {
    @Test func scaleSetShowsModelAndPolicy() async {
        let sim = await Harness()
        let response = await sim.get(Harness.vmss)
        #expect(response.status == 200)
        let body = response.json
        #expect(body?[path: ["properties", "upgradePolicy", "mode"]] == "Manual")
        #expect(body?[path: ["properties", "orchestrationMode"]] == "Uniform")
        #expect(body?["etag"]?.stringValue?.hasPrefix("\"") == true)
        let extensions = body?[path: ["properties", "virtualMachineProfile", "extensionProfile", "extensions"]]?.arrayValue ?? []
        #expect(extensions.contains { $0[path: ["properties", "type"]] == "ApplicationHealthLinux" })
        #expect(extensions.first?[path: ["properties", "forceUpdateTag"]] == "v6.21.17")
        #expect(response.header("x-ms-request-id") != nil)
        #expect(response.header("x-ms-ratelimit-remaining-subscription-reads") != nil)
        #expect(response.header("x-ms-ratelimit-remaining-resource")?.contains("Microsoft.Compute") == true)
    }

    @Test func routingIgnoresCase() async {
        let sim = await Harness()
        let path = Harness.vmss.replacingOccurrences(of: "Microsoft.Compute", with: "microsoft.compute")
            .replacingOccurrences(of: "vmss-backend-prod", with: "VMSS-Backend-Prod")
        #expect(await sim.get(path).status == 200)
        #expect(await sim.get(path + "/virtualMachines/0/networkInterfaces", query: "api-version=2018-10-01").status == 200)
    }

    @Test func extensionUpdateMakesEveryInstanceStaleInManualMode() async throws {
        let sim = await Harness()
        let put = await sim.bumpExtension(tag: "v6.21.18")
        #expect(put.status == 200)
        #expect(put.json?[path: ["properties", "provisioningState"]] == "Updating")
        let operation = try #require(put.header("Azure-AsyncOperation"))
        #expect(operation.hasPrefix("https://127.0.0.1:8443/subscriptions/"))
        #expect(operation.contains("api-version=2024-11-01"))
        #expect(await sim.waitForOperation(operation)?["status"] == "Succeeded")
        let ext = await sim.get(Harness.vmss + "/extensions/customscript").json
        #expect(ext?[path: ["properties", "provisioningState"]] == "Succeeded")
        #expect(ext?[path: ["properties", "forceUpdateTag"]] == "v6.21.18")
        let state = await sim.state()
        #expect(state.scaleSet("vmss-backend-prod")?.modelTag == "v6.21.18")
        #expect(state.scaleSet("vmss-backend-prod")?.instances.allSatisfy { !$0.latestModelApplied } == true)
        // The same tag again changes nothing.
        _ = await sim.bumpExtension(tag: "v6.21.18")
        #expect(await sim.get(Harness.vmss + "/virtualMachines", query: "\(Harness.version)&$filter=properties/latestModelApplied%20eq%20false").json?["value"]?.arrayValue?.count == 4)
    }

    @Test func newExtensionIsCreated() async {
        let sim = await Harness()
        let put = await sim.send(
            "PUT", Harness.vmss + "/extensions/deploy",
            body: ["properties": ["publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1"]])
        #expect(put.status == 201)
        #expect(put.json?[path: ["properties", "provisioningState"]] == "Creating")
        #expect(await sim.get(Harness.vmss + "/extensions/nope").status == 404)
    }

    @Test func automaticModeUpdatesEveryInstance() async throws {
        let sim = await Harness(Harness.scenario { $0.scaleSets[0].upgradeMode = .automatic })
        let put = await sim.bumpExtension(tag: "v2")
        _ = await sim.waitForOperation(try #require(put.header("Azure-AsyncOperation")))
        let instances = await sim.state().scaleSets[0].instances
        #expect(instances.allSatisfy { $0.latestModelApplied && $0.appliedTag == "v2" })
    }

    @Test func filtersAndExpand() async throws {
        let sim = await Harness()
        _ = await sim.bumpExtension(tag: "v2")
        _ = await sim.upgrade(["1"])
        _ = await sim.get(Harness.vmss)  // lets the instant operation finish
        let stale = await sim.get(
            Harness.vmss + "/virtualMachines", query: "\(Harness.version)&%24filter=properties%2FlatestModelApplied%20eq%20false")
        let ids = stale.json?["value"]?.arrayValue?.compactMap { $0["instanceId"]?.stringValue }
        #expect(ids == ["0", "2", "3"])
        let fresh = await sim.get(
            Harness.vmss + "/virtualMachines", query: "\(Harness.version)&$filter=properties/latestModelApplied eq true")
        #expect(fresh.json?["value"]?.arrayValue?.compactMap { $0["instanceId"]?.stringValue } == ["1"])
        let running = await sim.get(
            Harness.vmss + "/virtualMachines",
            query: "\(Harness.version)&$filter=startswith(instanceView/statuses/code,%20'PowerState')%20eq%20true&$expand=instanceView")
        let first = try #require(running.json?["value"]?.arrayValue?.first)
        #expect(first[path: ["properties", "instanceView", "vmHealth", "status", "code"]] == "HealthState/healthy")
        #expect(first["name"] == "vmss-backend-prod_0")
        #expect(first[path: ["properties", "latestModelApplied"]] == false)
        let bad = await sim.get(Harness.vmss + "/virtualMachines", query: "\(Harness.version)&$filter=name%20eq%20'x'")
        #expect(bad.status == 400)
        #expect(bad.json?[path: ["error", "code"]] == "InvalidParameter")
    }

    @Test func pagingHandsOutAbsoluteNextLinks() async throws {
        let sim = await Harness(Harness.scenario { $0.pageSize = 3 })
        let first = await sim.get(Harness.vmss + "/virtualMachines", query: "\(Harness.version)&$expand=instanceView")
        #expect(first.json?["value"]?.arrayValue?.count == 3)
        let next = try #require(first.json?["nextLink"]?.stringValue)
        #expect(next.hasPrefix("https://127.0.0.1:8443/subscriptions/"))
        #expect(next.contains("api-version=2024-11-01"))
        let second = await sim.follow(next)
        #expect(second.json?["value"]?.arrayValue?.compactMap { $0["instanceId"]?.stringValue } == ["3"])
        #expect(second.json?["value"]?.arrayValue?.first?[path: ["properties", "instanceView"]] != nil)
        #expect(second.json?["nextLink"] == nil)
    }

    @Test func manualUpgradeRunsAsALongRunningOperation() async throws {
        let sim = await Harness(Harness.scenario(timing: Harness.virtual))
        _ = await sim.bumpExtension(tag: "v2")
        let post = await sim.upgrade(["2"])
        #expect(post.status == 202)
        #expect(post.header("Retry-After") == "1")
        let status = try #require(post.header("Azure-AsyncOperation"))
        let location = try #require(post.header("Location"))
        #expect(location.contains("monitor=true"))
        #expect(await sim.state().scaleSets[0].instances[2].provisioningState == "Updating")
        #expect(await sim.upgrade(["2"]).status == 409)
        let polled = await sim.follow(status)
        #expect(polled.status == 200)
        #expect(polled.json?["status"] == "InProgress")
        #expect(polled.header("Retry-After") == "1")
        #expect(await sim.follow(location).status == 202)
        #expect(await sim.follow(status).json?["status"] == "Succeeded")
        let final = await sim.follow(location)
        #expect(final.status == 200)
        #expect(final.body.isEmpty)
        let instance = await sim.state().scaleSets[0].instances[2]
        #expect(instance.latestModelApplied && instance.appliedTag == "v2" && instance.provisioningState == "Succeeded")
        // Health settles after two reads (virtual timing, polls: 2).
        let path = Harness.vmss + "/virtualMachines/2/instanceView"
        #expect(await sim.get(path).json?[path: ["vmHealth", "status", "code"]] == "HealthState/initializing")
        #expect(await sim.get(path).json?[path: ["vmHealth", "status", "code"]] == "HealthState/initializing")
        #expect(await sim.get(path).json?[path: ["vmHealth", "status", "code"]] == "HealthState/healthy")
    }

    @Test func unknownInstanceIsRefused() async {
        let sim = await Harness()
        let response = await sim.upgrade(["9"])
        #expect(response.status == 400)
        #expect(response.json?[path: ["error", "code"]] == "InstanceIdsListInstanceIdNotActiveVM")
        #expect(await sim.get(Harness.vmss + "/virtualMachines/9").status == 404)
    }

    @Test func modelPutKeepsImageWhenNulledAndHonoursIfMatch() async throws {
        let sim = await Harness()
        var model = try #require(await sim.get(Harness.vmss).json)
        let etag = try #require(model["etag"]?.stringValue)
        model[path: ["properties", "virtualMachineProfile", "storageProfile", "imageReference"]] = .null
        var extensions = model[path: ["properties", "virtualMachineProfile", "extensionProfile", "extensions"]]?.arrayValue ?? []
        extensions[0][path: ["properties", "forceUpdateTag"]] = "from-az"
        model[path: ["properties", "virtualMachineProfile", "extensionProfile", "extensions"]] = .array(extensions)
        let put = await sim.send("PUT", Harness.vmss, body: model, headers: ["If-Match": etag])
        #expect(put.status == 200)
        #expect(put.header("Azure-AsyncOperation") != nil)
        let after = await sim.get(Harness.vmss).json
        #expect(after?[path: ["properties", "virtualMachineProfile", "storageProfile", "imageReference", "offer"]] == "ubuntu-24_04-lts")
        #expect(after?["etag"]?.stringValue != etag)
        #expect(await sim.state().scaleSets[0].instances.allSatisfy { !$0.latestModelApplied })
        let stale = await sim.send("PUT", Harness.vmss, body: model, headers: ["If-Match": etag])
        #expect(stale.status == 412)
        #expect(stale.json?[path: ["error", "code"]] == "PreconditionFailed")
    }

    @Test func tagsPatchCompletesAtOnce() async throws {
        let sim = await Harness()
        let etag = try #require(await sim.get(Harness.vmss).json?["etag"]?.stringValue)
        let patch = await sim.send("PATCH", Harness.vmss, body: ["tags": ["deployer-lock": "ci-42"]], headers: ["If-Match": etag])
        #expect(patch.status == 200)
        #expect(patch.header("Azure-AsyncOperation") == nil)
        #expect(patch.json?[path: ["tags", "deployer-lock"]] == "ci-42")
        #expect(await sim.state().scaleSets[0].tags == ["deployer-lock": "ci-42"])
        let stale = await sim.send("PATCH", Harness.vmss, body: ["tags": [:]], headers: ["If-Match": etag])
        #expect(stale.status == 412)
    }

    @Test func nicListGivesThePrimaryPrivateIP() async throws {
        let sim = await Harness()
        let path = Harness.group + "/microsoft.Compute/virtualMachineScaleSets/vmss-backend-prod/virtualMachines/1/networkInterfaces"
        let nic = try #require(await sim.get(path, query: "api-version=2018-10-01").json?["value"]?.arrayValue?.first)
        #expect(nic[path: ["properties", "primary"]] == true)
        let ipConfiguration = nic[path: ["properties", "ipConfigurations"]]?.arrayValue?.first
        #expect(ipConfiguration?[path: ["properties", "privateIPAddress"]] == "10.0.1.5")
        #expect(ipConfiguration?[path: ["properties", "primary"]] == true)
    }

    @Test func rollingUpgradeStatus() async {
        let none = await Harness()
        #expect(await none.get(Harness.vmss + "/rollingUpgrades/latest").status == 404)
        let rolling = await Harness(Harness.scenario { $0.scaleSets[0].rollingUpgrade = "RollingForward" })
        let response = await rolling.get(Harness.vmss + "/rollingUpgrades/latest")
        #expect(response.json?[path: ["properties", "runningStatus", "code"]] == "RollingForward")
    }
}

/// The extension image catalogue az reads before `vmss extension set` without `--version`.
@Suite struct ExtensionImageTests {
    static let base = "/subscriptions/\(Harness.sub)/providers/Microsoft.Compute/locations/westeurope/publishers"

    @Test func typesVersionsAndOneVersionComeFromTheScaleSetsModels() async throws {
        let sim = await Harness()
        let types = try #require(await sim.get(Self.base + "/Microsoft.Azure.Extensions/artifacttypes/vmextension/types").json?.arrayValue)
        #expect(types.compactMap { $0["name"]?.stringValue } == ["CustomScript"])
        let versions = try #require(
            await sim.get(Self.base + "/Microsoft.Azure.Extensions/artifacttypes/vmextension/types/CustomScript/versions").json?.arrayValue)
        #expect(versions.compactMap { $0["name"]?.stringValue } == ["2.1.0"])
        #expect(versions.first?["id"]?.stringValue?.hasSuffix("/Types/CustomScript/Versions/2.1.0") == true)
        let one = await sim.get(Self.base + "/microsoft.azure.extensions/artifacttypes/vmextension/types/customscript/versions/2.1.0")
        #expect(one.status == 200 && one.json?[path: ["properties", "vmScaleSetEnabled"]] == true)
    }

    @Test func whatTheCatalogueDoesNotHoldIsNotFound() async throws {
        let sim = await Harness()
        #expect(await sim.get(Self.base + "/Contoso.Nothing/artifacttypes/vmextension/types").status == 404)
        #expect(await sim.get(Self.base + "/Microsoft.Azure.Extensions/artifacttypes/vmextension/types/Nope/versions").status == 404)
        #expect(await sim.get(Self.base + "/Microsoft.Azure.Extensions/artifacttypes/vmextension/types/CustomScript/versions/9.9.9").status == 404)
        let elsewhere = await sim.get(
            "/subscriptions/\(Harness.sub)/providers/Microsoft.Compute/locations/eastus/publishers/Microsoft.Azure.Extensions/artifacttypes/vmextension/types")
        #expect(elsewhere.status == 404 && elsewhere.json?[path: ["error", "code"]] == "NoRegisteredProviderFound")
    }
}
