import AzureSimulator
import Foundation
import JSONDocument
import Testing

@Suite struct BlobTests {
    @Test func scenarioDeclaresAccountsWithRandomKeys() async throws {
        let scenario = try SimulatorScenario.parse(
            yaml: """
                storage-accounts:
                  - {resource-group: rg-a, name: stone, containers: [state, logs]}
                  - {resource-group: rg-b, name: sttwo}
                """)
        #expect(scenario.storageAccounts.map(\.name) == ["stone", "sttwo"])
        #expect(scenario.storageAccounts[0].containers == ["state", "logs"])
        let simulator = ARMSimulator(scenario: scenario)
        let one = try #require(await simulator.storageKey(account: "stone"))
        #expect(Data(base64Encoded: one)?.count == 64)
        #expect(await simulator.storageKey(account: "sttwo") != one)
        #expect(await simulator.storageKey(account: "nope") == nil)
        #expect(await simulator.snapshot().storageAccount("stone")?.containers.map(\.name) == ["logs", "state"])
        let again = ARMSimulator(scenario: scenario)
        #expect(await again.storageKey(account: "stone") != one)
    }

    @Test func scenarioRejectsBadAccounts() {
        let cases = [
            ("storage-accounts: [{resource-group: rg, name: St-Bad}]", "storage-accounts[0].name: 'St-Bad' is not a storage account name"),
            ("storage-accounts: [{resource-group: rg, name: ab}]", "storage-accounts[0].name: 'ab' is not a storage account name"),
            ("storage-accounts: [{resource-group: rg, name: subscriptions}]", "storage-accounts[0].name: 'subscriptions' is a path"),
            ("storage-accounts: [{resource-group: rg, name: stx}, {resource-group: rg2, name: stx}]", "storage-accounts[1]: the account name stx is declared twice"),
            ("storage-accounts: [{resource-group: rg, name: stx, containers: [Bad_Name]}]", "storage-accounts[0].containers[0]: 'Bad_Name' is not a container name"),
            ("storage-accounts: [{resource-group: rg, name: stx, sku: Premium}]", "storage-accounts[0].sku: unknown key"),
            ("storage-accounts: [{name: stx}]", "storage-accounts[0].resource-group: required key is missing"),
        ]
        for (yaml, expected) in cases {
            #expect {
                try SimulatorScenario.parse(yaml: yaml, file: "s.yml")
            } throws: { error in
                let text = "\(error)"
                return text.hasPrefix("s.yml: error: ") && text.contains(expected)
            }
        }
    }

    @Test func platformScenarioHasTheStateAccount() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let scenario = try SimulatorScenario.load(path: root.path + "/scenarios/azure-platform.yml")
        #expect(scenario.storageAccounts == [SimulatorScenario.StorageAccount(resourceGroup: "rg-platform-state", name: "stdeployerstate")])
    }

    @Test func armServesTheAccountAndItsKey() async throws {
        let sim = await BlobHarness()
        let arm = Harness(simulator: sim.simulator, token: sim.armToken)
        let account = await arm.get(BlobHarness.armPath, query: "api-version=2025-06-01")
        #expect(account.status == 200)
        let document = account.json ?? .null
        #expect(document["type"] == "Microsoft.Storage/storageAccounts")
        #expect(document["kind"] == "StorageV2")
        #expect(document["id"]?.stringValue == BlobHarness.armPath)
        #expect(document[path: ["sku", "name"]] == "Standard_LRS")
        #expect(document[path: ["properties", "provisioningState"]] == "Succeeded")
        #expect(document[path: ["properties", "primaryEndpoints", "blob"]] == "https://127.0.0.1:8443/stdeployerstate/")
        let keys = await arm.send("POST", BlobHarness.armPath + "/listKeys", query: "api-version=2025-06-01")
        #expect(keys.status == 200)
        #expect(keys.json?["keys"]?.arrayValue?.first?["value"]?.stringValue == (await sim.key))
        #expect(keys.json?["keys"]?.arrayValue?.first?["keyName"] == "key1")
        let missing = await arm.get(BlobHarness.armPath.replacingOccurrences(of: "stdeployerstate", with: "stother"), query: "api-version=2025-06-01")
        #expect(missing.status == 404)
        #expect(missing.json?[path: ["error", "code"]] == "ResourceNotFound")
        let wrongGroup = await arm.get(BlobHarness.armPath.replacingOccurrences(of: "rg-platform-state", with: "rg-backend-prod"), query: "api-version=2025-06-01")
        #expect(wrongGroup.json?[path: ["error", "code"]] == "ResourceNotFound")
        // A token for storage is not one for ARM.
        let storageTokenOnARM = await arm.send("GET", BlobHarness.armPath, headers: ["Authorization": "Bearer \(sim.storageToken)"])
        #expect(storageTokenOnARM.status == 401)
        #expect(storageTokenOnARM.json?[path: ["error", "code"]] == "InvalidAuthenticationToken")
    }

    @Test func errorsHaveBlobsShape() async throws {
        let sim = await BlobHarness()
        let missing = await sim.send("GET", "state", query: "restype=container", version: nil)
        #expect(missing.status == 400)
        #expect(missing.blobCode == "MissingRequiredHeader")
        #expect(missing.header("Content-Type") == "application/xml")
        #expect(missing.text.hasPrefix(#"<?xml version="1.0" encoding="utf-8"?><Error><Code>MissingRequiredHeader</Code><Message>"#))
        #expect(missing.xmlValues("HeaderName") == ["x-ms-version"])
        let requestID = try #require(missing.header("x-ms-request-id"))
        #expect(missing.text.contains("\nRequestId:\(requestID)\nTime:"))
        #expect(missing.header("Date") != nil)
        let notFound = await sim.send("GET", "nothere", query: "restype=container")
        #expect(notFound.status == 404)
        #expect(notFound.blobCode == "ContainerNotFound")
        #expect(notFound.header("x-ms-version") == BlobHarness.version)
        // A path whose first segment is no account is not Blob's: ARM's 404 answers it.
        let other = await sim.simulator.handle(SimulatedRequest(method: "GET", path: "/stnotanaccount/state", headers: ["x-ms-version": BlobHarness.version]))
        #expect(other.json?[path: ["error", "code"]] == "NotFound")
    }

    @Test func containerLifecycle() async {
        let sim = await BlobHarness(containers: [])
        let created = await sim.send("PUT", "journal", query: "restype=container", headers: ["x-ms-meta-owner": "deployer"])
        #expect(created.status == 201)
        #expect(created.header("ETag")?.hasPrefix("\"0x") == true)
        #expect(await sim.send("PUT", "journal", query: "restype=container").blobCode == "ContainerAlreadyExists")
        let properties = await sim.send("GET", "journal", query: "restype=container")
        #expect(properties.status == 200)
        #expect(properties.header("ETag") == created.header("ETag"))
        #expect(properties.header("x-ms-meta-owner") == "deployer")
        let head = await sim.send("HEAD", "journal", query: "restype=container")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(await sim.send("PUT", "Bad_Name", query: "restype=container").blobCode == "InvalidResourceName")
        #expect(await sim.putBlock("a.txt", "x", container: "absent").blobCode == "ContainerNotFound")
        #expect(await sim.send("DELETE", "journal", query: "restype=container").status == 202)
        #expect(await sim.send("GET", "journal", query: "restype=container").blobCode == "ContainerNotFound")
        let head404 = await sim.send("HEAD", "journal", query: "restype=container")
        #expect(head404.status == 404)
        #expect(head404.header("x-ms-error-code") == "ContainerNotFound")
        #expect(head404.body.isEmpty)
    }

    @Test func blockBlobWriteReadAndRanges() async throws {
        let sim = await BlobHarness()
        let put = await sim.putBlock("deploys/42/journal.json", "0123456789", headers: ["x-ms-meta-step": "drain", "x-ms-blob-content-type": "application/json"])
        #expect(put.status == 201)
        #expect(put.header("x-ms-request-server-encrypted") == "true")
        let etag = try #require(put.header("ETag"))
        let read = await sim.send("GET", "state/deploys/42/journal.json")
        #expect(read.status == 200)
        #expect(read.text == "0123456789")
        #expect(read.header("ETag") == etag)
        #expect(read.header("Content-Length") == "10")
        #expect(read.header("x-ms-blob-type") == "BlockBlob")
        #expect(read.header("Content-Type") == "application/json")
        #expect(read.header("x-ms-meta-step") == "drain")
        #expect(read.header("x-ms-lease-state") == "available")
        #expect(read.header("x-ms-lease-status") == "unlocked")
        #expect(read.header("Last-Modified")?.hasSuffix(" GMT") == true)
        let head = await sim.send("HEAD", "state/deploys/42/journal.json")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") == "10")
        // Percent-encoded segments name the same blob.
        #expect(await sim.send("GET", "state/deploys%2F42/journal%2Ejson").text == "0123456789")
        let range = await sim.send("GET", "state/deploys/42/journal.json", headers: ["Range": "bytes=2-4"])
        #expect(range.status == 206)
        #expect(range.text == "234")
        #expect(range.header("Content-Range") == "bytes 2-4/10")
        let msRange = await sim.send("GET", "state/deploys/42/journal.json", headers: ["Range": "bytes=0-0", "x-ms-range": "bytes=7-"])
        #expect(msRange.text == "789")
        #expect(msRange.header("Content-Range") == "bytes 7-9/10")
        let beyond = await sim.send("GET", "state/deploys/42/journal.json", headers: ["x-ms-range": "bytes=10-20"])
        #expect(beyond.status == 416)
        #expect(beyond.blobCode == "InvalidRange")
        #expect(beyond.header("Content-Range") == "bytes */10")
        await sim.putBlock("empty", "")
        #expect(await sim.send("GET", "state/empty", headers: ["x-ms-range": "bytes=0-100"]).status == 416)
        #expect(await sim.send("GET", "state/empty").status == 200)
        // Every write gets a new ETag; metadata is replaced, not merged.
        let again = await sim.putBlock("deploys/42/journal.json", "new")
        #expect(again.header("ETag") != etag)
        let metadata = await sim.send("PUT", "state/deploys/42/journal.json", query: "comp=metadata", headers: ["x-ms-meta-holder": "ci-7"])
        #expect(metadata.status == 200)
        #expect(metadata.header("ETag") != again.header("ETag"))
        let after = await sim.send("HEAD", "state/deploys/42/journal.json")
        #expect(after.header("x-ms-meta-holder") == "ci-7")
        #expect(after.header("x-ms-meta-step") == nil)
        #expect(await sim.send("DELETE", "state/deploys/42/journal.json").status == 202)
        #expect(await sim.send("GET", "state/deploys/42/journal.json").blobCode == "BlobNotFound")
        #expect(await sim.send("DELETE", "state/deploys/42/journal.json").blobCode == "BlobNotFound")
        #expect(await sim.send("PUT", "state/x", headers: [:], body: Data("a".utf8)).blobCode == "MissingRequiredHeader")
    }

    @Test func appendBlobs() async throws {
        let sim = await BlobHarness()
        let created = await sim.createAppend("audit.log")
        #expect(created.status == 201)
        func append(_ text: String, _ headers: [String: String] = [:]) async -> SimulatedResponse {
            await sim.send("PUT", "state/audit.log", query: "comp=appendblock", headers: headers, body: Data(text.utf8))
        }
        let first = await append("one\n", ["x-ms-blob-condition-appendpos": "0"])
        #expect(first.status == 201)
        #expect(first.header("x-ms-blob-append-offset") == "0")
        #expect(first.header("x-ms-blob-committed-block-count") == "1")
        let second = await append("two\n", ["x-ms-blob-condition-appendpos": "4"])
        #expect(second.header("x-ms-blob-append-offset") == "4")
        #expect(second.header("x-ms-blob-committed-block-count") == "2")
        #expect(second.header("ETag") != first.header("ETag"))
        let stale = await append("late\n", ["x-ms-blob-condition-appendpos": "4"])
        #expect(stale.status == 412)
        #expect(stale.blobCode == "AppendPositionConditionNotMet")
        let tooBig = await append("overflow\n", ["x-ms-blob-condition-maxsize": "10"])
        #expect(tooBig.status == 412)
        #expect(tooBig.blobCode == "MaxBlobSizeConditionNotMet")
        let head = await sim.send("HEAD", "state/audit.log")
        #expect(head.header("x-ms-blob-type") == "AppendBlob")
        #expect(head.header("x-ms-blob-committed-block-count") == "2")
        #expect(head.header("Content-Length") == "8")
        #expect(await sim.send("GET", "state/audit.log").text == "one\ntwo\n")
        await sim.putBlock("block", "x")
        let wrongType = await sim.send("PUT", "state/block", query: "comp=appendblock", body: Data("y".utf8))
        #expect(wrongType.status == 409)
        #expect(wrongType.blobCode == "InvalidBlobType")
        #expect(await sim.send("PUT", "state/nothing", query: "comp=appendblock", body: Data("y".utf8)).blobCode == "BlobNotFound")
        // Creating it again starts it over, empty.
        await sim.createAppend("audit.log")
        #expect(await sim.send("HEAD", "state/audit.log").header("Content-Length") == "0")
        let state = await sim.simulator.snapshot().storageAccount(BlobHarness.account)?.container("state")
        #expect(state?.blob("audit.log")?.type == "AppendBlob")
        #expect(state?.blob("block")?.size == 1)
    }

    @Test func conditionalHeaders() async throws {
        let sim = await BlobHarness()
        let etag = try #require(await sim.putBlock("lock", "a").header("ETag"))
        let exists = await sim.putBlock("lock", "b", headers: ["If-None-Match": "*"])
        #expect(exists.status == 409)
        #expect(exists.blobCode == "BlobAlreadyExists")
        #expect(await sim.putBlock("fresh", "b", headers: ["If-None-Match": "*"]).status == 201)
        #expect(await sim.putBlock("lock", "b", headers: ["If-Match": "\"0x1\""]).blobCode == "ConditionNotMet")
        #expect(await sim.putBlock("absent", "b", headers: ["If-Match": "*"]).blobCode == "ConditionNotMet")
        let matched = await sim.putBlock("lock", "b", headers: ["If-Match": etag])
        #expect(matched.status == 201)
        let current = try #require(matched.header("ETag"))
        let notModified = await sim.send("GET", "state/lock", headers: ["If-None-Match": current])
        #expect(notModified.status == 304)
        #expect(notModified.body.isEmpty)
        #expect(await sim.send("HEAD", "state/lock", headers: ["If-None-Match": current]).status == 304)
        #expect(await sim.send("GET", "state/lock", headers: ["If-None-Match": etag]).status == 200)
        #expect(await sim.send("GET", "state/lock", headers: ["If-Match": etag]).blobCode == "ConditionNotMet")
        let metadata = await sim.send("PUT", "state/lock", query: "comp=metadata", headers: ["If-None-Match": current])
        #expect(metadata.status == 412)
        #expect(metadata.blobCode == "ConditionNotMet")
        let future = "Fri, 01 Jan 2100 00:00:00 GMT"
        let past = "Sat, 01 Jan 2000 00:00:00 GMT"
        #expect(await sim.send("GET", "state/lock", headers: ["If-Modified-Since": future]).status == 304)
        #expect(await sim.send("GET", "state/lock", headers: ["If-Modified-Since": past]).status == 200)
        #expect(await sim.send("DELETE", "state/lock", headers: ["If-Unmodified-Since": past]).blobCode == "ConditionNotMet")
        #expect(await sim.send("DELETE", "state/lock", headers: ["If-Match": etag]).blobCode == "ConditionNotMet")
        #expect(await sim.send("DELETE", "state/lock", headers: ["If-Match": current, "If-Unmodified-Since": future]).status == 202)
    }

    @Test func listingPagesAndRollsUpPrefixes() async throws {
        let sim = await BlobHarness()
        let names = ["audit.log", "deploys/1/journal", "deploys/1/lock", "deploys/2/journal", "lock", "z"]
        for name in names { await sim.putBlock(name, name, headers: ["x-ms-meta-name": name.replacingOccurrences(of: "/", with: "-")]) }
        var seen: [String] = []
        var marker = ""
        var pages = 0
        repeat {
            let query = "restype=container&comp=list&maxresults=2" + (marker.isEmpty ? "" : "&marker=\(marker.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            let page = await sim.send("GET", "state", query: query)
            #expect(page.status == 200)
            #expect(page.xmlValues("MaxResults") == ["2"])
            let found = page.xmlValues("Name")
            #expect(found.count <= 2)
            seen += found
            marker = page.xmlValues("NextMarker").first ?? ""
            pages += 1
        } while !marker.isEmpty && pages < 10
        #expect(seen == names)
        #expect(pages == 3)
        let rolled = await sim.send("GET", "state", query: "restype=container&comp=list&delimiter=/")
        #expect(rolled.xmlValues("Name") == ["audit.log", "deploys/", "lock", "z"])
        #expect(rolled.text.contains("<BlobPrefix><Name>deploys/</Name></BlobPrefix>"))
        #expect(rolled.text.contains("<NextMarker />"))
        let nested = await sim.send("GET", "state", query: "restype=container&comp=list&prefix=deploys/&delimiter=/&maxresults=1")
        #expect(nested.xmlValues("Name") == ["deploys/1/"])
        let next = try #require(nested.xmlValues("NextMarker").first)
        let rest = await sim.send("GET", "state", query: "restype=container&comp=list&prefix=deploys/&delimiter=/&marker=\(next)")
        #expect(rest.xmlValues("Name") == ["deploys/2/"])
        let withMetadata = await sim.send("GET", "state", query: "restype=container&comp=list&prefix=deploys%2F1%2F&include=metadata")
        #expect(withMetadata.xmlValues("Name") == ["deploys/1/journal", "deploys/1/lock"])
        #expect(withMetadata.xmlValues("name") == ["deploys-1-journal", "deploys-1-lock"])
        #expect(withMetadata.xmlValues("BlobType") == ["BlockBlob", "BlockBlob"])
        #expect(withMetadata.xmlValues("LeaseState") == ["available", "available"])
        #expect(withMetadata.xmlValues("Content-Length") == ["17", "14"])
        #expect(await sim.send("GET", "state", query: "restype=container&comp=list&maxresults=0").blobCode == "OutOfRangeQueryParameterValue")
    }

    @Test func faultsAimedAtTheBlobService() async throws {
        let sim = await BlobHarness(faults: [FaultSpec(path: "", kind: .unavailable, count: 2, service: .blob)])
        let arm = Harness(simulator: sim.simulator, token: sim.armToken)
        #expect(await arm.get(Harness.vmss).status == 200)
        let busy = await sim.send("GET", "state", query: "restype=container")
        #expect(busy.status == 503)
        #expect(busy.blobCode == "ServerBusy")
        #expect(busy.header("x-ms-version") == BlobHarness.version)
        #expect(await sim.send("GET", "state", query: "restype=container").status == 503)
        #expect(await sim.send("GET", "state", query: "restype=container").status == 200)
        await sim.simulator.arm(FaultSpec(path: "/stdeployerstate/state/lock", kind: .reset))
        await sim.simulator.arm(FaultSpec(path: "", kind: .serverError, service: .arm))
        #expect(await sim.putBlock("lock", "x").dropConnection)
        #expect(await sim.putBlock("lock", "x").status == 201)
        #expect(await arm.get(Harness.vmss).status == 500)
        await sim.simulator.arm(FaultSpec(method: "PUT", path: "stdeployerstate", kind: .delay, seconds: 0.3))
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await sim.putBlock("lock", "y").status == 201)
        #expect(clock.now - started >= .milliseconds(290))
        // ARM-only kinds never hit the Blob service, whatever the path says.
        await sim.simulator.arm(FaultSpec(path: "stdeployerstate", kind: .lroFailed))
        #expect(await sim.send("GET", "state/lock").status == 200)
        let log = await sim.simulator.requestLog.filter { $0.path.hasPrefix("/stdeployerstate") }
        #expect(log.map(\.status) == [503, 503, 200, 0, 201, 201, 200])
        #expect(log.map(\.fault) == ["unavailable", "unavailable", nil, "reset", nil, "delay", nil])
        // Armed through the control API too.
        let armed = await sim.simulator.handle(
            SimulatedRequest(method: "POST", path: "/_simulator/faults", body: Data(#"{"path": "", "kind": "server-error", "service": "blob"}"#.utf8)))
        #expect(armed.status == 201)
        #expect(await sim.send("GET", "state/lock").blobCode == "InternalError")
        let unknown = await sim.simulator.handle(
            SimulatedRequest(method: "POST", path: "/_simulator/faults", body: Data(#"{"path": "", "kind": "reset", "service": "queue"}"#.utf8)))
        #expect(unknown.status == 400)
    }
}
