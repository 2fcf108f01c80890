import AzureSimulator
import Foundation
import Testing

/// Azure's lease state machine, on the wire: what each lease action does in each state, and
/// what writes, reads and deletes need while a lease is held.
@Suite struct BlobLeaseTests {
    static let idA = "11111111-1111-1111-1111-111111111111"
    static let idB = "22222222-2222-2222-2222-222222222222"

    @Test func infiniteLeaseGuardsWritesNotReads() async throws {
        let sim = await BlobHarness()
        await sim.putBlock("lock", "free")
        let acquired = await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA])
        #expect(acquired.status == 201)
        #expect(acquired.header("x-ms-lease-id") == Self.idA)
        let head = await sim.send("HEAD", "state/lock")
        #expect(head.header("x-ms-lease-state") == "leased")
        #expect(head.header("x-ms-lease-status") == "locked")
        #expect(head.header("x-ms-lease-duration") == "infinite")
        // Acquiring again: the holder may (same id), anyone else may not.
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA]).status == 201)
        let other = await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idB])
        #expect(other.status == 409)
        #expect(other.blobCode == "LeaseAlreadyPresent")
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1"]).blobCode == "LeaseAlreadyPresent")

        let missing = await sim.putBlock("lock", "mine")
        #expect(missing.status == 412)
        #expect(missing.blobCode == "LeaseIdMissing")
        #expect(await sim.putBlock("lock", "mine", headers: ["x-ms-lease-id": Self.idB]).blobCode == "LeaseIdMismatchWithBlobOperation")
        #expect(await sim.putBlock("lock", "mine", headers: ["x-ms-lease-id": Self.idA]).status == 201)
        #expect(await sim.send("PUT", "state/lock", query: "comp=metadata").blobCode == "LeaseIdMissing")
        #expect(await sim.send("DELETE", "state/lock").blobCode == "LeaseIdMissing")
        #expect(await sim.send("GET", "state/lock").text == "mine")
        #expect(await sim.send("GET", "state/lock", headers: ["x-ms-lease-id": Self.idB]).blobCode == "LeaseIdMismatchWithBlobOperation")
        #expect(await sim.send("GET", "state/lock", headers: ["x-ms-lease-id": Self.idA]).status == 200)
        // The lease survives an overwrite by its holder, and is listed.
        #expect(await sim.leaseState("lock") == "leased")
        let listed = await sim.send("GET", "state", query: "restype=container&comp=list")
        #expect(listed.xmlValues("LeaseState") == ["leased"])
        #expect(listed.xmlValues("LeaseStatus") == ["locked"])
        #expect(listed.xmlValues("LeaseDuration") == ["infinite"])
        #expect(await sim.simulator.snapshot().storageAccount(BlobHarness.account)?.container("state")?.blob("lock")?.leaseState == "leased")

        // Change hands the lease to B; A no longer holds it.
        let changed = await sim.lease("lock", "change", ["x-ms-lease-id": Self.idA, "x-ms-proposed-lease-id": Self.idB])
        #expect(changed.status == 200)
        #expect(changed.header("x-ms-lease-id") == Self.idB)
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": Self.idA]).blobCode == "LeaseIdMismatchWithLeaseOperation")
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": Self.idB]).header("x-ms-lease-id") == Self.idB)
        #expect(await sim.lease("lock", "release", ["x-ms-lease-id": Self.idA]).blobCode == "LeaseIdMismatchWithLeaseOperation")
        #expect(await sim.lease("lock", "release", ["x-ms-lease-id": Self.idB]).status == 200)
        #expect(await sim.leaseState("lock") == "available")
        #expect(await sim.putBlock("lock", "x", headers: ["x-ms-lease-id": Self.idB]).blobCode == "LeaseNotPresentWithBlobOperation")
        #expect(await sim.lease("lock", "release", ["x-ms-lease-id": Self.idB]).blobCode == "LeaseNotPresentWithLeaseOperation")
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": Self.idB]).blobCode == "LeaseNotPresentWithLeaseOperation")
        #expect(await sim.lease("lock", "change", ["x-ms-lease-id": Self.idB, "x-ms-proposed-lease-id": Self.idA]).blobCode == "LeaseNotPresentWithLeaseOperation")
        #expect(await sim.lease("lock", "break").blobCode == "LeaseNotPresentWithLeaseOperation")
        #expect(await sim.putBlock("lock", "x").status == 201)
    }

    @Test func fixedLeaseExpiresAndCanBeRenewed() async throws {
        let sim = await BlobHarness()
        await sim.putBlock("lock", "x")
        let id = try #require(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "15"]).header("x-ms-lease-id"))
        #expect(UUID(uuidString: id) != nil)
        #expect(await sim.send("HEAD", "state/lock").header("x-ms-lease-duration") == "fixed")
        await sim.simulator.advanceStorageClock(by: 10)
        #expect(await sim.leaseState("lock") == "leased")
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": id]).status == 200)
        await sim.simulator.advanceStorageClock(by: 10)
        #expect(await sim.leaseState("lock") == "leased")
        await sim.simulator.advanceStorageClock(by: 6)
        #expect(await sim.leaseState("lock") == "expired")
        #expect(await sim.send("HEAD", "state/lock").header("x-ms-lease-status") == "unlocked")
        // An expired lease can be renewed by its holder while nobody wrote the blob…
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": id]).status == 200)
        #expect(await sim.leaseState("lock") == "leased")
        await sim.simulator.advanceStorageClock(by: 16)
        // …its id on a write is a lost lease; without one anybody may write, then it cannot be renewed.
        #expect(await sim.putBlock("lock", "late", headers: ["x-ms-lease-id": id]).blobCode == "LeaseLost")
        #expect(await sim.putBlock("lock", "other").status == 201)
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": id]).status == 409)
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "60", "x-ms-proposed-lease-id": Self.idB]).status == 201)
        for bad in ["10", "61", "0", "forever"] {
            let refused = await sim.lease("lock", "acquire", ["x-ms-lease-duration": bad])
            #expect(refused.status == 400, "\(bad)")
            #expect(refused.blobCode == "InvalidHeaderValue", "\(bad)")
        }
        #expect(await sim.lease("lock", "acquire").blobCode == "MissingRequiredHeader")
        #expect(await sim.lease("lock", "steal").blobCode == "InvalidHeaderValue")
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": "not-a-guid"]).blobCode == "InvalidHeaderValue")
        #expect(await sim.lease("absent", "acquire", ["x-ms-lease-duration": "-1"]).blobCode == "BlobNotFound")
    }

    @Test func breakingThenBroken() async throws {
        let sim = await BlobHarness()
        await sim.putBlock("lock", "x")
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA]).status == 201)
        let breaking = await sim.lease("lock", "break", ["x-ms-lease-break-period": "10"])
        #expect(breaking.status == 202)
        #expect(breaking.header("x-ms-lease-time") == "10")
        #expect(await sim.leaseState("lock") == "breaking")
        #expect(await sim.send("HEAD", "state/lock").header("x-ms-lease-status") == "locked")
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA]).blobCode == "LeaseIsBreakingAndCannotBeAcquired")
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idB]).blobCode == "LeaseAlreadyPresent")
        #expect(await sim.lease("lock", "change", ["x-ms-lease-id": Self.idA, "x-ms-proposed-lease-id": Self.idB]).blobCode == "LeaseIsBreakingAndCannotBeChanged")
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": Self.idA]).blobCode == "LeaseIsBrokenAndCannotBeRenewed")
        // While breaking the holder can still write; nobody else can.
        #expect(await sim.putBlock("lock", "y", headers: ["x-ms-lease-id": Self.idA]).status == 201)
        #expect(await sim.putBlock("lock", "z").blobCode == "LeaseIdMissing")
        // A second break may shorten the period, never lengthen it.
        #expect(await sim.lease("lock", "break", ["x-ms-lease-break-period": "60"]).header("x-ms-lease-time") == "10")
        await sim.simulator.advanceStorageClock(by: 4)
        #expect(await sim.lease("lock", "break", ["x-ms-lease-break-period": "2"]).header("x-ms-lease-time") == "2")
        await sim.simulator.advanceStorageClock(by: 3)
        #expect(await sim.leaseState("lock") == "broken")
        #expect(await sim.send("HEAD", "state/lock").header("x-ms-lease-status") == "unlocked")
        #expect(await sim.lease("lock", "renew", ["x-ms-lease-id": Self.idA]).blobCode == "LeaseIsBrokenAndCannotBeRenewed")
        #expect(await sim.lease("lock", "break").header("x-ms-lease-time") == "0")
        #expect(await sim.putBlock("lock", "a", headers: ["x-ms-lease-id": Self.idA]).blobCode == "LeaseLost")
        #expect(await sim.putBlock("lock", "a", headers: ["x-ms-lease-id": Self.idB]).blobCode == "LeaseNotPresentWithBlobOperation")
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idB]).status == 201)
        // A fixed lease broken without a period breaks when it would have expired.
        await sim.putBlock("fixed", "x")
        let fixed = try #require(await sim.lease("fixed", "acquire", ["x-ms-lease-duration": "30"]).header("x-ms-lease-id"))
        await sim.simulator.advanceStorageClock(by: 5)
        #expect(await sim.lease("fixed", "break").header("x-ms-lease-time") == "25")
        #expect(await sim.lease("fixed", "release", ["x-ms-lease-id": fixed]).status == 200)
        #expect(await sim.leaseState("fixed") == "available")
        #expect(await sim.lease("fixed", "break", ["x-ms-lease-break-period": "61"]).blobCode == "InvalidHeaderValue")
    }

    @Test func leaseLostToAnotherParty() async throws {
        let sim = await BlobHarness()
        await sim.putBlock("lock", "x")
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idA]).status == 201)
        #expect(await sim.simulator.breakLease(account: BlobHarness.account, container: "state", blob: "lock"))
        #expect(await sim.putBlock("lock", "y", headers: ["x-ms-lease-id": Self.idA]).blobCode == "LeaseLost")
        #expect(await sim.simulator.snapshot().storageAccount(BlobHarness.account)?.container("state")?.blob("lock")?.leaseState == "broken")
        #expect(await sim.simulator.breakLease(account: BlobHarness.account, container: "state", blob: "absent") == false)
        // The same from the control API.
        #expect(await sim.lease("lock", "acquire", ["x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": Self.idB]).status == 201)
        let control = await sim.simulator.handle(
            SimulatedRequest(method: "POST", path: "/_simulator/break-lease", query: "account=stdeployerstate&container=state&blob=lock"))
        #expect(control.status == 200)
        #expect(await sim.leaseState("lock") == "broken")
        let unknown = await sim.simulator.handle(
            SimulatedRequest(method: "POST", path: "/_simulator/break-lease", query: "account=stdeployerstate&container=state&blob=nope"))
        #expect(unknown.status == 404)
    }
}
