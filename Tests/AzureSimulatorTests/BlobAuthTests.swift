import AzureSimulator
import Foundation
import Testing

/// Who the Blob service lets in: a Shared Key signature over the request exactly as sent, or a
/// bearer token minted for storage.
@Suite struct BlobAuthTests {
    @Test func hmacMatchesAnIndependentVector() {
        // Key bytes 0…63; signature from Python's hmac/hashlib over the docs' example string.
        let key = Data(0..<64).base64EncodedString()
        let text = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20"
        #expect(SharedKeySignature.sign(text, key: key) == "ZfuQJIowrCGKlm/KTSTcA7Tx12MxVvDi2ryOPQQw7Gw=")
        #expect(SharedKeySignature.sign(text, key: "not base64!") == nil)
    }

    @Test func sharedKeyPassesWhenSignedAndFailsWhenTampered() async throws {
        let sim = await BlobHarness()
        #expect(await sim.send("PUT", "logs", query: "restype=container", auth: .sharedKey).status == 201)
        let put = await sim.send(
            "PUT", "logs/runs/2026%2003/out%2Blog.txt", headers: ["x-ms-blob-type": "BlockBlob", "Content-Type": "text/plain"],
            body: Data("hello".utf8), auth: .sharedKey)
        #expect(put.status == 201)
        #expect(await sim.send("GET", "logs/runs/2026 03/out+log.txt").text == "hello")
        let listed = await sim.send("GET", "logs", query: "restype=container&comp=list&prefix=runs%2F2026%2003", auth: .sharedKey)
        #expect(listed.status == 200)
        #expect(listed.xmlValues("Name") == ["runs/2026 03/out+log.txt"])

        // Changing anything the signature covers after signing is refused.
        var tampered = await sim.prepared("GET", "logs/runs/2026%2003/out%2Blog.txt", auth: .sharedKey)
        tampered.headers["x-ms-range"] = "bytes=0-1"
        let refused = await sim.simulator.handle(tampered)
        #expect(refused.status == 403)
        #expect(refused.blobCode == "AuthenticationFailed")
        let detail = refused.xmlValues("AuthenticationErrorDetail").first ?? ""
        #expect(detail.hasPrefix("The MAC signature found in the HTTP request '"))
        #expect(detail.contains("' is not the same as any computed signature."))
        var moved = await sim.prepared("GET", "logs/runs/2026%2003/out%2Blog.txt", auth: .sharedKey)
        moved.path = "/stdeployerstate/logs/runs/2026 03/out+log.txt"
        #expect(await sim.simulator.handle(moved).blobCode == "AuthenticationFailed")
        var requery = await sim.prepared("GET", "logs", query: "restype=container&comp=list", auth: .sharedKey)
        requery.query += "&maxresults=1"
        #expect(await sim.simulator.handle(requery).status == 403)
        let wrongKey = Data(repeating: 7, count: 64).base64EncodedString()
        #expect(await sim.send("GET", "logs", query: "restype=container", auth: .sharedKeyWith(wrongKey)).status == 403)
        var otherAccount = await sim.prepared("GET", "logs", query: "restype=container", auth: .sharedKey)
        otherAccount.headers["Authorization"] = otherAccount.headers["Authorization"]!.replacingOccurrences(of: "SharedKey stdeployerstate:", with: "SharedKey stother:")
        #expect(await sim.simulator.handle(otherAccount).status == 403)
    }

    @Test func headersAreSignedInTheServicesOrder() async throws {
        let sim = await BlobHarness()
        let key = await sim.key
        // The service ignores hyphens first: x-ms-meta-ab sorts before x-ms-meta-a-z, unlike byte order.
        func request(order: @escaping (String, String) -> Bool) -> SimulatedRequest {
            var headers = [
                "Host": "127.0.0.1:8443", "x-ms-version": BlobHarness.version, "x-ms-date": "Mon, 02 Mar 2026 10:00:00 GMT",
                "x-ms-blob-type": "BlockBlob", "x-ms-meta-a-z": "1", "x-ms-meta-ab": "2", "Content-Length": "1",
            ]
            let path = "/stdeployerstate/state/meta"
            let text = BlobHarness.stringToSign(method: "PUT", path: path, query: "", headers: headers, order: order)
            headers["Authorization"] = "SharedKey stdeployerstate:\(SharedKeySignature.sign(text, key: key)!)"
            return SimulatedRequest(method: "PUT", path: path, headers: headers, body: Data("m".utf8))
        }
        let serviceOrder: (String, String) -> Bool = { $0.replacingOccurrences(of: "-", with: "") < $1.replacingOccurrences(of: "-", with: "") }
        #expect(await sim.simulator.handle(request(order: (<))).status == 403)
        #expect(await sim.simulator.handle(request(order: serviceOrder)).status == 201)
    }

    @Test func bearerTokensMustBeForStorage() async {
        let sim = await BlobHarness()
        #expect(await sim.send("GET", "state", query: "restype=container").status == 200)
        let arm = await sim.send("GET", "state", query: "restype=container", auth: .token(sim.armToken))
        #expect(arm.status == 403)
        #expect(arm.blobCode == "AuthenticationFailed")
        #expect(arm.xmlValues("AuthenticationErrorDetail").first?.contains("Audience validation failed") == true)
        let slash = await sim.simulator.token(audience: "https://storage.azure.com/")
        #expect(await sim.send("GET", "state", query: "restype=container", auth: .token(slash)).status == 200)
        let expired = await sim.simulator.token(lifetime: -10, audience: "https://storage.azure.com")
        let late = await sim.send("GET", "state", query: "restype=container", auth: .token(expired))
        #expect(late.status == 401)
        #expect(late.blobCode == "InvalidAuthenticationInfo")
        #expect(await sim.send("GET", "state", query: "restype=container", auth: .token("junk")).status == 401)
        let anonymous = await sim.send("GET", "state", query: "restype=container", auth: .none)
        #expect(anonymous.status == 401)
        #expect(anonymous.blobCode == "NoAuthenticationInformation")
        #expect(anonymous.header("WWW-Authenticate")?.contains("resource_id=https://storage.azure.com") == true)
        #expect(await sim.send("GET", "state", query: "restype=container", headers: ["Authorization": "Basic abc"], auth: .none).status == 403)
    }
}
