import Foundation
import JSONDocument
import Providers
import Synchronization
import Testing

/// A server that answers from a script, in order, and keeps what it received: the ARM side of the
/// conversation as captured from real responses (fact sheet shapes).
final class ScriptedARM: HTTPTransport, Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String] = [:]
        var body: String = ""
    }

    private let state = Mutex<(replies: [Reply], received: [HTTPExchangeRequest])>(([], []))

    init(_ replies: [Reply]) { state.withLock { $0.replies = replies } }

    var received: [HTTPExchangeRequest] { state.withLock { $0.received } }

    func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
        let reply: Reply? = state.withLock { state in
            state.received.append(request)
            return state.replies.isEmpty ? nil : state.replies.removeFirst()
        }
        guard let reply else { throw TransportFailure("script ran out") }
        if reply.status == 0 { throw TransportFailure("connection reset") }
        return HTTPExchangeResponse(status: reply.status, headers: reply.headers, body: Data(reply.body.utf8))
    }
}

struct FixedToken: AzureTokenSource {
    let value: String
    var name: String { "fixed" }
    func fetch() async throws -> AccessToken { AccessToken(value: value, expiresOn: Date().addingTimeInterval(3600)) }
}

/// Counts fetches; each token is new.
final class CountingToken: AzureTokenSource, Sendable {
    let fetched = Atomic<Int>(0)
    let lifetime: TimeInterval
    init(lifetime: TimeInterval = 3600) { self.lifetime = lifetime }
    var name: String { "counting" }
    func fetch() async throws -> AccessToken {
        let n = fetched.add(1, ordering: .relaxed).newValue
        return AccessToken(value: "token-\(n)", expiresOn: Date().addingTimeInterval(lifetime))
    }
}

let base = "http://127.0.0.1:9"
let vmss = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"

func client(_ server: ScriptedARM, token: any AzureTokenSource = FixedToken(value: "t0k3n")) -> ARMClient {
    ARMClient(
        endpoint: URL(string: base)!, tokens: TokenCache(token), transport: server, clock: VirtualClock())
}

@Suite struct ARMLongRunningTests {
    @Test func asyncOperationHeaderIsPolledUntilSucceededThenLocationIsRead() async throws {
        let server = ScriptedARM([
            .init(status: 202, headers: [
                "Azure-AsyncOperation": "\(base)/subscriptions/s/providers/Microsoft.Compute/locations/w/operations/op1?api-version=2024-11-01",
                "Location": "\(base)/subscriptions/s/providers/Microsoft.Compute/locations/w/operations/op1?monitor=true&api-version=2024-11-01",
                "Retry-After": "1",
            ]),
            .init(status: 200, body: #"{"name":"op1","status":"InProgress"}"#),
            .init(status: 200, body: #"{"name":"op1","status":"Succeeded"}"#),
            .init(status: 200, body: ""),
        ])
        _ = try await client(server).longRunning(
            "POST", vmss + "/manualupgrade", body: .object(["instanceIds": .array([.string("0")])]), apiVersion: "2024-11-01",
            retry: .idempotent)
        let sent = server.received
        #expect(sent.count == 4)
        #expect(sent[3].url.query?.contains("monitor=true") == true)
        #expect(sent.allSatisfy { $0.headers["Authorization"] == "Bearer t0k3n" })
        #expect(Set(sent.compactMap { $0.headers["x-ms-client-request-id"] }).count == 4)
    }

    @Test func failedStatusCarriesArmCodeAndOperationID() async throws {
        let server = ScriptedARM([
            .init(status: 202, headers: ["Azure-AsyncOperation": "\(base)/subscriptions/s/providers/Microsoft.Compute/locations/w/operations/op7?api-version=1"]),
            .init(status: 200, body: #"{"name":"op7","status":"Failed","error":{"code":"VMExtensionProvisioningError","message":"VM has reported a failure when processing extension 'deploy'."}}"#),
        ])
        await #expect {
            _ = try await client(server).longRunning("POST", vmss + "/manualupgrade", apiVersion: "2024-11-01", retry: .idempotent)
        } throws: { error in
            guard let arm = error as? ARMError else { return false }
            return arm.code == "VMExtensionProvisioningError" && arm.operationID == "op7" && arm.status == 200
                && "\(arm)".contains("operation op7")
        }
    }

    @Test func putWithoutHeadersPollsProvisioningStateThenReadsTheResource() async throws {
        let server = ScriptedARM([
            .init(status: 201, body: #"{"properties":{"provisioningState":"Creating"}}"#),
            .init(status: 200, body: #"{"properties":{"provisioningState":"Updating"}}"#),
            .init(status: 200, body: #"{"name":"x","properties":{"provisioningState":"Succeeded"}}"#),
        ])
        let result = try await client(server).longRunning("PUT", vmss + "/extensions/deploy", body: .object([:]), apiVersion: "1", retry: .idempotent)
        #expect(result?.member("name").string == "x")
        #expect(server.received.count == 3)
    }

    @Test func locationOnlyIsPolledUntilNot202() async throws {
        let server = ScriptedARM([
            .init(status: 202, headers: ["Location": "\(base)/op?x=1", "Retry-After": "0"]),
            .init(status: 202, headers: ["Location": "\(base)/op?x=1"]),
            .init(status: 200, body: #"{"done":true}"#),
        ])
        let result = try await client(server).longRunning("POST", vmss + "/x", apiVersion: "1", retry: .idempotent)
        #expect(result?.member("done").bool == true)
    }

    @Test func pollingUrlOnAnotherHostIsRefusedSoTheTokenStaysHome() async throws {
        let server = ScriptedARM([
            .init(status: 202, headers: ["Azure-AsyncOperation": "https://evil.example/op"]),
        ])
        await #expect(throws: ARMError.self) {
            _ = try await client(server).longRunning("POST", vmss + "/manualupgrade", apiVersion: "1", retry: .idempotent)
        }
        #expect(server.received.count == 1)
    }

    @Test func deadlineStopsAStuckOperationAndNamesIt() async throws {
        let stuck = ScriptedARM.Reply(status: 200, headers: ["Retry-After": "30"], body: #"{"name":"op9","status":"InProgress"}"#)
        let server = ScriptedARM(
            [.init(status: 202, headers: ["Azure-AsyncOperation": "\(base)/subscriptions/s/providers/Microsoft.Compute/locations/w/operations/op9", "Retry-After": "30"])]
                + Array(repeating: stuck, count: 10))
        await #expect {
            _ = try await client(server).longRunning(
                "POST", vmss + "/manualupgrade", apiVersion: "1", retry: .idempotent, deadline: .seconds(45))
        } throws: { error in
            (error as? ARMError)?.code == "OperationTimedOut" && (error as? ARMError)?.operationID == "op9"
        }
    }
}

@Suite struct ARMRetryTests {
    @Test func idempotentGetRetriesAfterThrottleAndServerErrors() async throws {
        let server = ScriptedARM([
            .init(status: 429, headers: ["Retry-After": "1"], body: #"{"code":"OperationNotAllowed","message":"throttled"}"#),
            .init(status: 0),
            .init(status: 503, headers: ["Retry-After": "1"]),
            .init(status: 200, body: #"{"name":"web"}"#),
        ])
        let response = try await client(server).call("GET", vmss, apiVersion: "1", retry: .idempotent)
        #expect(response.body?.member("name").string == "web")
        #expect(server.received.count == 4)
    }

    @Test func gatewayPutIsNeverResentBlindly() async throws {
        let server = ScriptedARM([
            .init(status: 429, headers: ["Retry-After": "1"], body: #"{"error":{"code":"RetryableErrorDueToAnotherOperation","message":"busy"}}"#),
            .init(status: 200, body: "{}"),
        ])
        await #expect {
            _ = try await client(server).call("PUT", "/gw", body: .object([:]), ifMatch: "W/\"1\"", apiVersion: "1", retry: .never)
        } throws: { error in
            (error as? ARMError)?.has("RetryableErrorDueToAnotherOperation") == true && (error as? ARMError)?.retryAfter == .seconds(1)
        }
        #expect(server.received.count == 1)
        #expect(server.received[0].headers["If-Match"] == "W/\"1\"")
    }

    @Test func unwrappedErrorBodyIsRead() async throws {
        let server = ScriptedARM([.init(status: 404, body: #"{"code":"ResourceNotFound","message":"gone"}"#)])
        await #expect {
            _ = try await client(server).call("GET", vmss, apiVersion: "1", retry: .idempotent)
        } throws: { error in
            (error as? ARMError)?.code == "ResourceNotFound" && (error as? ARMError)?.status == 404
        }
    }

    @Test func retryAfterLongerThanThePolicyFailsInsteadOfSleeping() async throws {
        let server = ScriptedARM([.init(status: 429, headers: ["Retry-After": "1200"], body: #"{"code":"OperationNotAllowed","message":"too many"}"#)])
        await #expect {
            _ = try await client(server).call("GET", vmss, apiVersion: "1", retry: .idempotent)
        } throws: { error in
            "\(error)".contains("1200 s")
        }
        #expect(server.received.count == 1)
    }
}

@Suite struct AzureTokenTests {
    @Test func tokenIsCachedAndRefreshedOnceAfter401() async throws {
        let source = CountingToken()
        let server = ScriptedARM([
            .init(status: 200, body: "{}"),
            .init(status: 401, body: #"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#),
            .init(status: 200, body: "{}"),
            .init(status: 401, body: #"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#),
            .init(status: 401, body: #"{"error":{"code":"InvalidAuthenticationToken","message":"expired"}}"#),
        ])
        let arm = client(server, token: source)
        _ = try await arm.call("GET", vmss, apiVersion: "1", retry: .idempotent)
        _ = try await arm.call("GET", vmss, apiVersion: "1", retry: .idempotent)
        #expect(source.fetched.load(ordering: .relaxed) == 2)
        await #expect(throws: ARMError.self) { _ = try await arm.call("GET", vmss, apiVersion: "1", retry: .idempotent) }
        #expect(source.fetched.load(ordering: .relaxed) == 3)
        #expect(server.received.map { $0.headers["Authorization"] ?? "" } == [
            "Bearer token-1", "Bearer token-1", "Bearer token-2", "Bearer token-2", "Bearer token-3",
        ])
    }

    @Test func tokenCloseToExpiryIsFetchedAgain() async throws {
        let source = CountingToken(lifetime: 200)
        let cache = TokenCache(source)
        _ = try await cache.token()
        _ = try await cache.token()
        #expect(source.fetched.load(ordering: .relaxed) == 2)
    }

    @Test func clientSecretFlowPostsTheFormAndNeverShowsTheSecret() async throws {
        let server = ScriptedARM([
            .init(status: 200, body: #"{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ.abc.def"}"#),
            .init(status: 401, body: #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#),
        ])
        let credential = ClientSecretCredential(
            tenant: "tid", clientID: "app", secret: "s3cr3t&=x", authority: URL(string: base)!,
            scope: "https://management.azure.com/.default", transport: server)
        let token = try await credential.fetch()
        #expect(token.value == "eyJ.abc.def")
        let form = String(decoding: server.received[0].body ?? Data(), as: UTF8.self)
        #expect(form.contains("client_secret=s3cr3t%26%3Dx"))
        #expect(form.contains("grant_type=client_credentials"))
        #expect(server.received[0].url.path == "/tid/oauth2/v2.0/token")
        do {
            _ = try await credential.fetch()
            Issue.record("a refused secret must throw")
        } catch {
            #expect("\(error)".contains("AADSTS7000215"))
            #expect(!"\(error)".contains("s3cr3t"))
        }
    }

    @Test func settingsRefusePlainHttpExceptLoopback() throws {
        #expect(throws: AzureAuthError.self) {
            try AzureSettings.fromEnvironment(["DEPLOYER_ARM_ENDPOINT": "http://10.0.0.1:8080"])
        }
        let local = try AzureSettings.fromEnvironment(["DEPLOYER_ARM_ENDPOINT": "http://127.0.0.1:8080", "AZURE_CLIENT_SECRET": "x", "AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"])
        #expect(local.credential == .clientSecret)
        #expect(throws: AzureAuthError.self) { try AzureSettings.fromEnvironment(["AZURE_CLIENT_SECRET": "x"]) }
        #expect(try AzureSettings.fromEnvironment([:]).credential == .azureCLI)
        #expect(try AzureSettings.fromEnvironment(["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:1"]).credential == .managedIdentity)
    }
}

@Suite struct ARMDecodingTests {
    /// The gateway of the fact sheet §2.9, as ARM returns it.
    static let gateway = #"""
        {"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw","name":"agw","etag":"W/\"13a6\"",
         "properties":{"provisioningState":"Succeeded","operationalState":"Running","sku":{"name":"Standard_v2","capacity":2},
          "backendAddressPools":[{"name":"pool","id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw/backendAddressPools/pool","etag":"W/\"13a6\"",
            "properties":{"provisioningState":"Succeeded","backendAddresses":[{"ipAddress":"10.0.0.4"},{"ipAddress":"10.0.0.5"}],"backendIPConfigurations":[]}}],
          "backendHttpSettingsCollection":[{"name":"http","id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw/backendHttpSettingsCollection/http","properties":{"port":80,"protocol":"Http","connectionDraining":{"enabled":true,"drainTimeoutInSec":90}}},
                                           {"name":"other","id":"x/other","properties":{"connectionDraining":{"enabled":true,"drainTimeoutInSec":300}}}],
          "requestRoutingRules":[{"name":"r","properties":{"backendAddressPool":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw/backendAddressPools/pool"},"backendHttpSettings":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/agw/backendHttpSettingsCollection/http"}}}],
          "sslCertificates":[{"name":"c","properties":{"publicCertData":"MIIB"}}]}}
        """#

    @Test func gatewayPoolsDrainTimeoutAndRoundTrip() throws {
        let gateway = ApplicationGateway(document: try #require(JSONValue.parse(Data(Self.gateway.utf8))))
        #expect(gateway.etag == "W/\"13a6\"")
        #expect(gateway.addresses("POOL") == ["10.0.0.4", "10.0.0.5"])
        #expect(gateway.drainTimeout("pool") == .seconds(90))
        #expect(gateway.nicMembers("pool").isEmpty)
    }

    @Test func scaleSetVMListDecodes() throws {
        let page = #"""
            {"value":[{"id":".../virtualMachines/0","name":"web_0","instanceId":"0","properties":{"latestModelApplied":false,"provisioningState":"Succeeded",
              "instanceView":{"vmHealth":{"status":{"code":"HealthState/healthy"}},"extensions":[{"name":"deploy","statuses":[{"code":"ProvisioningState/failed"}]}]}}}]}
            """#
        let json = try #require(JSONValue.parse(Data(page.utf8)))
        let vm = json.member("value").array[0]
        #expect(vm.member("instanceId").string == "0")
        #expect(vm.at("properties.latestModelApplied").bool == false)
        #expect(vm.at("properties.instanceView.vmHealth.status.code").string == "HealthState/healthy")
    }

    @Test func wholeNumbersEncodeAsIntegers() {
        let text = String(decoding: JSONValue.object(["drainTimeoutInSec": .double(60), "ratio": .double(0.5)]).data, as: UTF8.self)
        #expect(text == #"{"drainTimeoutInSec":60,"ratio":0.5}"#)
    }
}
