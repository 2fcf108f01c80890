import Foundation
import JSONDocument

/// An application gateway as the simulator keeps it: the document as clients last wrote it
/// (unknown sections included, read-only fields removed), its weak etag and state.
struct GatewayRecord: Sendable {
    let spec: SimulatorScenario.Gateway
    let subscription: String
    let resourceGuid = UUID().uuidString.lowercased()
    var document: JSONValue
    var etag = GatewayRecord.newETag()
    var provisioningState = "Succeeded"
    /// The operation of the PUT in flight, if any.
    var inFlight: String?

    /// Sections of `properties` that are arrays of named sub-resources: each item gets an id,
    /// the gateway's etag and a provisioning state on GET.
    static let sections = [
        "gatewayIPConfigurations", "sslCertificates", "frontendIPConfigurations", "frontendPorts", "probes",
        "backendAddressPools", "backendHttpSettingsCollection", "httpListeners", "requestRoutingRules",
        "urlPathMaps", "redirectConfigurations", "rewriteRuleSets", "trustedRootCertificates",
    ]

    static func newETag() -> String { "W/\"\(UUID().uuidString.lowercased())\"" }

    init(spec: SimulatorScenario.Gateway, subscription: String, location: String, poolAddresses: [String: [String]]) {
        self.spec = spec
        self.subscription = subscription
        let base = "/subscriptions/\(subscription)/resourceGroups/\(spec.resourceGroup)/providers"
        let gateway = "\(base)/Microsoft.Network/applicationGateways/\(spec.name)"
        var pools: [JSONValue] = []
        var ports: [JSONValue] = []
        var listeners: [JSONValue] = []
        var rules: [JSONValue] = []
        for (index, pool) in spec.pools.enumerated() {
            let addresses = (poolAddresses[pool.name] ?? []) + pool.addresses
            pools.append([
                "name": .string(pool.name),
                "properties": ["backendAddresses": .array(addresses.map(Self.address))],
            ])
            ports.append(["name": .string("port-\(80 + index)"), "properties": ["port": .int(80 + index)]])
            listeners.append([
                "name": .string("listener-\(pool.name)"),
                "properties": [
                    "frontendIPConfiguration": .string("\(gateway)/frontendIPConfigurations/appGwPublicFrontendIp").asID,
                    "frontendPort": .string("\(gateway)/frontendPorts/port-\(80 + index)").asID,
                    "protocol": "Http", "requireServerNameIndication": false,
                ],
            ])
            rules.append([
                "name": .string("rule-\(pool.name)"),
                "properties": [
                    "ruleType": "Basic", "priority": .int(100 + index),
                    "httpListener": .string("\(gateway)/httpListeners/listener-\(pool.name)").asID,
                    "backendAddressPool": .string("\(gateway)/backendAddressPools/\(pool.name)").asID,
                    "backendHttpSettings": .string("\(gateway)/backendHttpSettingsCollection/http-settings").asID,
                ],
            ])
        }
        document = [
            "name": .string(spec.name),
            "location": .string(location),
            "tags": [:],
            "properties": [
                "sku": ["name": "Standard_v2", "tier": "Standard_v2", "capacity": 2],
                "gatewayIPConfigurations": [
                    [
                        "name": "appGatewayIpConfig",
                        "properties": ["subnet": .string("\(base)/Microsoft.Network/virtualNetworks/vnet-\(spec.resourceGroup)/subnets/appgw").asID],
                    ]
                ],
                "sslCertificates": [],
                "frontendIPConfigurations": [
                    [
                        "name": "appGwPublicFrontendIp",
                        "properties": [
                            "privateIPAllocationMethod": "Dynamic",
                            "publicIPAddress": .string("\(base)/Microsoft.Network/publicIPAddresses/pip-\(spec.name)").asID,
                        ],
                    ]
                ],
                "frontendPorts": .array(ports),
                "probes": [],
                "backendAddressPools": .array(pools),
                "backendHttpSettingsCollection": [
                    [
                        "name": "http-settings",
                        "properties": [
                            "port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled", "requestTimeout": 30,
                            "pickHostNameFromBackendAddress": false,
                            "connectionDraining": ["enabled": true, "drainTimeoutInSec": .int(spec.drainTimeout)],
                        ],
                    ]
                ],
                "httpListeners": .array(listeners),
                "requestRoutingRules": .array(rules),
                "enableHttp2": false,
            ],
        ]
    }

    var id: String {
        "/subscriptions/\(subscription)/resourceGroups/\(spec.resourceGroup)/providers/Microsoft.Network/applicationGateways/\(spec.name)"
    }

    static func address(_ text: String) -> JSONValue {
        let isIP = text.split(separator: ".").count == 4 && text.allSatisfy { $0.isNumber || $0 == "." }
        return isIP ? ["ipAddress": .string(text)] : ["fqdn": .string(text)]
    }

    /// Pool name → `backendAddresses` as strings (IP or FQDN).
    var poolAddresses: [(name: String, addresses: [String])] {
        (document[path: ["properties", "backendAddressPools"]]?.arrayValue ?? []).map { pool in
            let addresses = (pool[path: ["properties", "backendAddresses"]]?.arrayValue ?? []).compactMap {
                $0["ipAddress"]?.stringValue ?? $0["fqdn"]?.stringValue
            }
            return (pool["name"]?.stringValue ?? "", addresses)
        }
    }

    /// The gateway as GET returns it; `ipConfigurations` gives each pool's NIC-based members by pool id (lower-cased).
    func rendered(ipConfigurations: [String: [String]]) -> JSONValue {
        var body = document
        body["id"] = .string(id)
        body["type"] = "Microsoft.Network/applicationGateways"
        body["etag"] = .string(etag)
        body[path: ["properties", "provisioningState"]] = .string(provisioningState)
        body[path: ["properties", "operationalState"]] = "Running"
        body[path: ["properties", "resourceGuid"]] = .string(resourceGuid)
        for section in Self.sections {
            guard let items = body[path: ["properties", section]]?.arrayValue else { continue }
            body[path: ["properties", section]] = .array(items.map { item in
                var item = item
                let name = item["name"]?.stringValue ?? ""
                let itemID = "\(id)/\(section)/\(name)"
                item["id"] = .string(itemID)
                item["etag"] = .string(etag)
                item["type"] = .string("Microsoft.Network/applicationGateways/\(section)")
                if item["properties"] == nil { item["properties"] = [:] }
                item[path: ["properties", "provisioningState"]] = .string(provisioningState)
                if section == "backendAddressPools" {
                    if item[path: ["properties", "backendAddresses"]] == nil { item[path: ["properties", "backendAddresses"]] = [] }
                    let members = ipConfigurations[itemID.lowercased()] ?? []
                    item[path: ["properties", "backendIPConfigurations"]] = .array(members.map { JSONValue.string($0).asID })
                }
                return item
            })
        }
        return body
    }

    /// A PUT body reduced to what clients may set: read-only fields are dropped (ARM ignores
    /// them), certificate secrets are not kept (GET never returns them), everything else stays.
    static func writable(_ body: JSONValue, name: String, location: String) -> JSONValue {
        var document = body
        for key in ["id", "etag", "type"] { document[key] = nil }
        document["name"] = .string(name)
        if document["location"] == nil { document["location"] = .string(location) }
        for key in ["provisioningState", "operationalState", "resourceGuid"] { document[path: ["properties", key]] = nil }
        for section in sections {
            guard let items = document[path: ["properties", section]]?.arrayValue else { continue }
            document[path: ["properties", section]] = .array(items.map { item in
                var item = item
                for key in ["id", "etag", "type"] { item[key] = nil }
                for key in ["provisioningState", "backendIPConfigurations", "data", "password"] { item[path: ["properties", key]] = nil }
                return item
            })
        }
        return document
    }
}
