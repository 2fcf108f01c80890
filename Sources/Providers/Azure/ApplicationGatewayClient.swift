import Foundation
public import JSONDocument

/// An Application Gateway as read from ARM: the whole document (written back whole on PUT) and the
/// parts a drain needs.
public struct ApplicationGateway: Sendable {
    public var document: JSONValue

    public init(document: JSONValue) { self.document = document }

    public var etag: String? { document.member("etag").string }

    public func pool(_ name: String) -> JSONValue? {
        document.at("properties.backendAddressPools").array.first { ($0.member("name").string ?? "").caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The pool's `backendAddresses` (IP or FQDN).
    public func addresses(_ pool: String) -> [String] {
        (self.pool(pool)?.at("properties.backendAddresses").array ?? []).compactMap { $0.member("ipAddress").string ?? $0.member("fqdn").string }
    }

    /// NIC IP configurations that join the pool by reference (read-only in the gateway).
    public func nicMembers(_ pool: String) -> [String] {
        (self.pool(pool)?.at("properties.backendIPConfigurations").array ?? []).compactMap { $0.member("id").string }
    }

    /// How long the gateway keeps a removed server's open connections: the longest enabled
    /// `connectionDraining.drainTimeoutInSec` of the HTTP settings routed to this pool (of every
    /// setting, when no rule names the pool). Zero when draining is off.
    public func drainTimeout(_ pool: String) -> Duration {
        let poolID = (self.pool(pool)?.member("id").string ?? "").lowercased()
        let settings = document.at("properties.backendHttpSettingsCollection").array
        var used = Set<String>()
        for rule in document.at("properties.requestRoutingRules").array {
            guard (rule.at("properties.backendAddressPool.id").string ?? "").lowercased() == poolID, !poolID.isEmpty else { continue }
            if let id = rule.at("properties.backendHttpSettings.id").string { used.insert(id.lowercased()) }
        }
        let relevant = used.isEmpty ? settings : settings.filter { used.contains(($0.member("id").string ?? "").lowercased()) }
        let seconds = relevant.compactMap { setting -> Double? in
            guard setting.at("properties.connectionDraining.enabled").bool == true else { return nil }
            return setting.at("properties.connectionDraining.drainTimeoutInSec").number
        }
        return .seconds(seconds.max() ?? 0)
    }

    /// The document with the pool's addresses replaced, read-only fields left out, ready to PUT.
    func withAddresses(_ addresses: [String], in pool: String) -> JSONValue {
        var document = self.document
        let pools = document.at("properties.backendAddressPools").array.map { item -> JSONValue in
            var item = item
            if (item.member("name").string ?? "").caseInsensitiveCompare(pool) == .orderedSame {
                var properties = item.member("properties")
                properties.setMember("backendAddresses", .array(addresses.map { .object([Self.looksLikeIP($0) ? "ipAddress" : "fqdn": .string($0)]) }))
                item.setMember("properties", properties)
            }
            return Self.strippingReadOnly(item)
        }
        var properties = document.member("properties")
        properties.setMember("backendAddressPools", .array(pools))
        document.setMember("properties", properties)
        return Self.strippingReadOnly(document)
    }

    static func looksLikeIP(_ text: String) -> Bool {
        text.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" } && (text.contains(".") || text.contains(":"))
    }

    /// ARM ignores or refuses read-only fields in a PUT; the SDK and az leave them out too.
    static func strippingReadOnly(_ value: JSONValue) -> JSONValue {
        guard case .object(var members) = value else { return value }
        members.removeValue(forKey: "etag")
        if case .object(var properties) = members["properties"] ?? .null {
            for key in ["provisioningState", "operationalState", "resourceGuid", "backendIPConfigurations"] {
                properties.removeValue(forKey: key)
            }
            members["properties"] = .object(properties)
        }
        return .object(members)
    }
}

/// GET and PUT of one Application Gateway (Microsoft.Network, api-version 2024-05-01).
public struct ApplicationGatewayClient: ARMResourceClient {
    public static let networkVersion = "2024-05-01"

    public let resource: ARMResource

    public init(arm: ARMClient, subscription: String, resourceGroup: String, name: String) {
        resource = ARMResource(
            arm: arm, subscription: subscription, resourceGroup: resourceGroup, type: "Microsoft.Network/applicationGateways", name: name)
    }

    public func get() async throws -> ApplicationGateway {
        ApplicationGateway(document: try await resource.document(apiVersion: Self.networkVersion))
    }

    /// PUTs the whole gateway if its etag is still `etag`, and waits for the operation. Never re-sent
    /// by the client: the caller re-reads and re-applies instead.
    func put(_ document: JSONValue, ifMatch etag: String?, deadline: Duration?) async throws {
        _ = try await arm.longRunning(
            "PUT", path, body: document, ifMatch: etag, apiVersion: Self.networkVersion, retry: .never, deadline: deadline)
    }
}
