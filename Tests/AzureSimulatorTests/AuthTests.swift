import AzureSimulator
import Foundation
import JSONDocument
import Testing

@Suite struct AuthTests {
    @Test func armPathsNeedAValidBearerToken() async {
        let sim = await Harness()
        let missing = await sim.send("GET", Harness.vmss, authorized: false)
        #expect(missing.status == 401)
        #expect(missing.json?[path: ["error", "code"]] == "AuthenticationFailed")
        let malformed = await sim.send("GET", Harness.vmss, headers: ["Authorization": "Bearer not-a-jwt"], authorized: false)
        #expect(malformed.json?[path: ["error", "code"]] == "InvalidAuthenticationToken")
        let expiredToken = await sim.simulator.token(lifetime: -10)
        let expired = await sim.send("GET", Harness.vmss, headers: ["Authorization": "Bearer \(expiredToken)"], authorized: false)
        #expect(expired.status == 401)
        #expect(expired.json?[path: ["error", "code"]] == "InvalidAuthenticationToken")
    }

    @Test func apiVersionIsRequiredAndAnyDateIsAccepted() async {
        let sim = await Harness()
        #expect(await sim.get(Harness.vmss, query: "").json?[path: ["error", "code"]] == "MissingApiVersionParameter")
        #expect(await sim.get(Harness.vmss, query: "api-version=latest").json?[path: ["error", "code"]] == "InvalidApiVersionParameter")
        #expect(await sim.get(Harness.vmss, query: "api-version=2026-04-01").status == 200)
        #expect(await sim.get(Harness.vmss, query: "api-version=2025-01-01-preview").status == 200)
    }

    @Test func clientCredentialsTokenIsAcceptedByARM() async throws {
        let sim = await Harness()
        func token(secret: String, scope: String = "https://management.azure.com/.default") async -> SimulatedResponse {
            let form = "client_id=deployer-ci&client_secret=\(secret)&grant_type=client_credentials&scope=\(scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            return await sim.simulator.handle(
                SimulatedRequest(
                    method: "POST", path: "/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token",
                    headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data(form.utf8)))
        }
        let good = await token(secret: "sim-secret")
        #expect(good.status == 200)
        #expect(good.json?["token_type"] == "Bearer")
        #expect(good.json?["expires_in"] == 3600)
        let access = try #require(good.json?["access_token"]?.stringValue)
        #expect(access.split(separator: ".").count == 3)
        let use = await sim.send("GET", Harness.vmss, headers: ["Authorization": "Bearer \(access)"], authorized: false)
        #expect(use.status == 200)
        let wrong = await token(secret: "nope")
        #expect(wrong.status == 401)
        #expect(wrong.json?["error"] == "invalid_client")
        #expect(wrong.json?["error_description"]?.stringValue?.hasPrefix("AADSTS") == true)
        #expect(await token(secret: "sim-secret", scope: "https://management.azure.com/user_impersonation").json?["error"] == "invalid_scope")
    }

    @Test func openIDDiscoveryPointsAtTheSimulator() async {
        let sim = await Harness()
        for tenant in ["00000000-0000-0000-0000-0000000000aa", "organizations"] {
            let response = await sim.send("GET", "/\(tenant)/v2.0/.well-known/openid-configuration", query: "", authorized: false)
            #expect(response.status == 200)
            #expect(response.json?["token_endpoint"]?.stringValue == "https://127.0.0.1:8443/\(tenant)/oauth2/v2.0/token")
        }
    }

    @Test func imdsNeedsTheMetadataHeaderAndAnswersStrings() async {
        let sim = await Harness()
        let query = "api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com"
        #expect(await sim.send("GET", "/metadata/identity/oauth2/token", query: query, authorized: false).status == 400)
        let response = await sim.send(
            "GET", "/metadata/identity/oauth2/token", query: query, headers: ["Metadata": "true"], authorized: false)
        #expect(response.status == 200)
        #expect(response.json?["expires_in"] == "3600")
        #expect(response.json?["resource"] == "https://management.azure.com")
        #expect(response.json?["expires_on"]?.stringValue != nil)
    }

    @Test func subscriptionsAndCloudMetadata() async {
        let sim = await Harness()
        let list = await sim.get("/subscriptions", query: "api-version=2022-12-01")
        #expect(list.json?["value"]?.arrayValue?.first?["tenantId"] == "00000000-0000-0000-0000-0000000000aa")
        let metadata = await sim.send("GET", "/metadata/endpoints", query: "api-version=2022-09-01", authorized: false)
        #expect(metadata.json?["resourceManager"] == "https://127.0.0.1:8443/")
        #expect(await sim.get("/subscriptions/ffffffff-0000-0000-0000-000000000000/resourceGroups/x/providers/Microsoft.Compute/virtualMachineScaleSets/y").status == 404)
    }
}
