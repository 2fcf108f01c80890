import AzureSimulator
import Foundation
import JSONDocument
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct ServerTests {
    private func request(
        _ session: URLSession, _ url: String, method: String = "GET", token: String? = nil, body: String? = nil
    ) async throws -> (status: Int, response: HTTPURLResponse, json: JSONValue?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http, JSONValue.parse(data))
    }

    @Test func servesOverLoopbackWithRealHTTP() async throws {
        var scenario = SimulatorScenario.demo
        scenario.timing = .instant
        scenario.pageSize = 2
        let simulator = ARMSimulator(scenario: scenario)
        let server = try await ARMSimulatorServer.start(simulator)
        defer { Task { await server.stop() } }
        #expect(server.port > 0)
        // Callbacks on a serial queue of their own: under the full suite the CPU-wide dispatch pool
        // can be held by tests that block, and URLSession's default delegate queue waits on it.
        let callbackQueue = DispatchQueue(label: "server-tests-urlsession")
        let callbacks = OperationQueue()
        callbacks.underlyingQueue = callbackQueue
        defer { withExtendedLifetime(callbackQueue) {} }
        let session = URLSession(configuration: .ephemeral, delegate: nil, delegateQueue: callbacks)
        let base = server.baseURL
        let form = "grant_type=client_credentials&client_id=deployer-ci&client_secret=sim-secret&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"
        var tokenRequest = URLRequest(url: URL(string: "\(base)/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token")!)
        tokenRequest.httpMethod = "POST"
        tokenRequest.httpBody = Data(form.utf8)
        tokenRequest.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let (tokenData, _) = try await session.data(for: tokenRequest)
        let token = try #require(JSONValue.parse(tokenData)?["access_token"]?.stringValue)

        let vms = "\(base)/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-backend-prod/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-backend-prod/virtualMachines?api-version=2024-11-01"
        let first = try await request(session, vms, token: token)
        #expect(first.status == 200)
        let next = try #require(first.json?["nextLink"]?.stringValue)
        #expect(next.hasPrefix("\(base)/subscriptions/"))
        #expect(try await request(session, next, token: token).json?["value"]?.arrayValue?.count == 2)
        #expect(try await request(session, vms).status == 401)

        // Several requests at once, on separate connections.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await self.request(session, vms, token: token).status } }
            for try await status in group { #expect(status == 200) }
        }

        let upgrade = try await request(
            session, vms.replacingOccurrences(of: "/virtualMachines?", with: "/manualupgrade?"), method: "POST", token: token,
            body: #"{"instanceIds":["0"]}"#)
        #expect(upgrade.status == 202)
        let operation = try #require(upgrade.response.value(forHTTPHeaderField: "Azure-AsyncOperation"))
        #expect(operation.hasPrefix(base))
        #expect(try await request(session, operation, token: token).json?["status"] == "Succeeded")

        _ = try await request(session, "\(base)/_simulator/faults", method: "POST", body: #"{"path":"/virtualMachines","kind":"reset"}"#)
        // A fresh session: on a reused keep-alive connection that dies unanswered, HTTP clients
        // silently resend, which would hide the reset.
        let fresh = URLSession(configuration: .ephemeral)
        await #expect(throws: (any Error).self) { _ = try await self.request(fresh, vms, token: token) }
        #expect(try await request(session, vms, token: token).status == 200)
        let log = try await request(session, "\(base)/_simulator/requests")
        #expect(log.json?.arrayValue?.contains { $0["fault"] == "reset" && $0["status"] == 0 } == true)
    }

    @Test func refusesABusyPort() async throws {
        let simulator = ARMSimulator(scenario: .demo)
        let first = try await ARMSimulatorServer.start(simulator)
        await #expect(throws: SimulatorError.self) { _ = try await ARMSimulatorServer.start(simulator, port: first.port) }
        await first.stop()
    }
}
