import AzureSimulator
import Foundation
import JSONDocument

/// A simulator plus request helpers: ARM paths of the demo scenario, a valid bearer token on
/// every ARM call unless told otherwise.
struct Harness {
    static let sub = "00000000-0000-0000-0000-000000000001"
    static let group = "/subscriptions/\(sub)/resourceGroups/rg-backend-prod/providers"
    static let vmss = "\(group)/Microsoft.Compute/virtualMachineScaleSets/vmss-backend-prod"
    static let gateway = "\(group)/Microsoft.Network/applicationGateways/appgw-backend-prod"
    static let version = "api-version=2024-11-01"

    let simulator: ARMSimulator
    let token: String

    init(_ scenario: SimulatorScenario = Harness.scenario()) async {
        simulator = ARMSimulator(scenario: scenario)
        token = await simulator.token()
    }

    /// ARM requests to a simulator set up elsewhere.
    init(simulator: ARMSimulator, token: String) {
        self.simulator = simulator
        self.token = token
    }

    /// The demo scenario with the given timing (instant by default) and faults.
    static func scenario(
        timing: SimulatorScenario.Timing = .instant, faults: [FaultSpec] = [], configure: (inout SimulatorScenario) -> Void = { _ in }
    ) -> SimulatorScenario {
        var scenario = SimulatorScenario.demo
        scenario.timing = timing
        scenario.faults = faults
        configure(&scenario)
        return scenario
    }

    static var virtual: SimulatorScenario.Timing {
        SimulatorScenario.Timing(mode: .virtual, polls: 2, retryAfter: 1, healthSettle: 1)
    }

    @discardableResult
    func send(
        _ method: String, _ path: String, query: String = Harness.version, body: JSONValue? = nil, headers: [String: String] = [:],
        authorized: Bool = true
    ) async -> SimulatedResponse {
        var all = ["Host": "127.0.0.1:8443", "X-Forwarded-Proto": "https"]
        if authorized { all["Authorization"] = "Bearer \(token)" }
        if body != nil { all["Content-Type"] = "application/json" }
        for (key, value) in headers { all[key] = value }
        return await simulator.handle(
            SimulatedRequest(method: method, path: path, query: query, headers: all, body: body?.data ?? Data()))
    }

    func get(_ path: String, query: String = Harness.version) async -> SimulatedResponse {
        await send("GET", path, query: query)
    }

    /// GETs an absolute URL the simulator handed out (polling URL, nextLink).
    func follow(_ url: String) async -> SimulatedResponse {
        let components = URLComponents(string: url)!
        return await send("GET", components.percentEncodedPath, query: components.percentEncodedQuery ?? "")
    }

    /// Polls an Azure-AsyncOperation URL until a terminal status (at most 20 polls).
    func waitForOperation(_ url: String) async -> JSONValue? {
        for _ in 0..<20 {
            let status = await follow(url).json
            if let value = status?["status"]?.stringValue, value != "InProgress" { return status }
        }
        return nil
    }

    func state() async -> SimulatorState { await simulator.snapshot() }

    /// The deploy extension PUT with a new tag; returns its response.
    func bumpExtension(tag: String) async -> SimulatedResponse {
        await send(
            "PUT", Harness.vmss + "/extensions/CustomScript",
            body: [
                "properties": [
                    "publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
                    "forceUpdateTag": .string(tag), "settings": ["commandToExecute": "./deploy.sh"],
                ]
            ])
    }

    func upgrade(_ ids: [String]) async -> SimulatedResponse {
        await send("POST", Harness.vmss + "/manualupgrade", body: ["instanceIds": .array(ids.map(JSONValue.string))])
    }

    /// The gateway document with `ip` removed from the pool (as a client would PUT it back).
    static func removing(_ ip: String, from gateway: JSONValue) -> JSONValue {
        var document = gateway
        var pools = document[path: ["properties", "backendAddressPools"]]?.arrayValue ?? []
        for index in pools.indices {
            let addresses = pools[index][path: ["properties", "backendAddresses"]]?.arrayValue ?? []
            pools[index][path: ["properties", "backendAddresses"]] = .array(addresses.filter { $0["ipAddress"]?.stringValue != ip })
        }
        document[path: ["properties", "backendAddressPools"]] = .array(pools)
        return document
    }
}
