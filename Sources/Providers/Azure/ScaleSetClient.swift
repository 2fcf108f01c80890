import Foundation
public import JSONDocument

/// The parts of a scale set's model a deploy reads.
public struct ScaleSetModel: Sendable {
    public var etag: String?
    public var location: String?
    /// `Manual`, `Automatic` or `Rolling`.
    public var upgradeMode: String
    /// `Uniform` or `Flexible`.
    public var orchestrationMode: String
    public var extensions: [Extension]
    /// Gateway pools the scale set's NICs join by reference (NIC-based membership).
    public var gatewayPoolReferences: [String]
    public var tags: [String: String]

    public struct Extension: Sendable {
        public var name: String
        public var type: String
        public var publisher: String?
        public var forceUpdateTag: String?
        /// The extension's `properties` as ARM returned them, to send back with a new `forceUpdateTag`.
        public var properties: JSONValue
    }

    /// Whether the model declares the Application Health extension, which reports `vmHealth`.
    public var hasHealthExtension: Bool {
        extensions.contains { $0.type.lowercased().hasPrefix("applicationhealth") }
    }

    /// The extension named `name`, or else the only one of that type (`CustomScript`).
    public func extensionNamed(_ name: String) -> Extension? {
        if let exact = extensions.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) { return exact }
        let typed = extensions.filter { $0.type.caseInsensitiveCompare(name) == .orderedSame }
        return typed.count == 1 ? typed[0] : nil
    }

    init(_ json: JSONValue) {
        etag = json.member("etag").string
        location = json.member("location").string
        upgradeMode = json.at("properties.upgradePolicy.mode").string ?? "Manual"
        orchestrationMode = json.at("properties.orchestrationMode").string ?? "Uniform"
        extensions = json.at("properties.virtualMachineProfile.extensionProfile.extensions").array.map { item in
            Extension(
                name: item.member("name").string ?? "", type: item.at("properties.type").string ?? "",
                publisher: item.at("properties.publisher").string, forceUpdateTag: item.at("properties.forceUpdateTag").string,
                properties: item.member("properties"))
        }
        var references: [String] = []
        for nic in json.at("properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations").array {
            for ip in nic.at("properties.ipConfigurations").array {
                references += ip.at("properties.applicationGatewayBackendAddressPools").array.compactMap { $0.member("id").string }
            }
        }
        gatewayPoolReferences = references
        var tags: [String: String] = [:]
        if case .object(let members) = json.member("tags") {
            for (key, value) in members { tags[key] = value.string ?? "" }
        }
        self.tags = tags
    }
}

/// One instance of a scale set, as the VMs list reports it.
public struct ScaleSetInstance: Sendable, Equatable {
    public var instanceID: String
    /// The VM's name (`vmss-backend-prod_3`): the target's name in deployer.
    public var name: String
    public var latestModelApplied: Bool
    public var provisioningState: String
    /// `HealthState/healthy` …, or nil when the instance reports no health signal.
    public var healthCode: String?
    /// An extension whose status is `ProvisioningState/failed`, if any.
    public var failedExtension: String?

    init(_ json: JSONValue) {
        instanceID = json.member("instanceId").string ?? json.member("name").string.flatMap { $0.split(separator: "_").last.map(String.init) } ?? ""
        name = json.member("name").string ?? instanceID
        latestModelApplied = json.at("properties.latestModelApplied").bool ?? false
        provisioningState = json.at("properties.provisioningState").string ?? "Succeeded"
        let view = json.at("properties.instanceView")
        healthCode = view.at("vmHealth.status.code").string
        failedExtension = Self.failedExtension(view)
    }

    static func failedExtension(_ view: JSONValue) -> String? {
        view.member("extensions").array.first { ext in
            ext.member("statuses").array.contains { ($0.member("code").string ?? "").lowercased() == "provisioningstate/failed" }
        }?.member("name").string
    }
}

/// The calls a deploy makes on one scale set (Microsoft.Compute, api-version 2024-11-01; the
/// scale-set VM NIC path is served by the network provider with compute's version list: 2018-10-01).
public struct ScaleSetClient: ARMResourceClient {
    public static let computeVersion = "2024-11-01"
    public static let nicVersion = "2018-10-01"

    public let resource: ARMResource

    public init(arm: ARMClient, subscription: String, resourceGroup: String, name: String) {
        resource = ARMResource(
            arm: arm, subscription: subscription, resourceGroup: resourceGroup, type: "Microsoft.Compute/virtualMachineScaleSets", name: name)
    }

    public func model() async throws -> ScaleSetModel {
        ScaleSetModel(try await resource.document(apiVersion: Self.computeVersion))
    }

    /// The running status of the latest rolling upgrade when one is in progress; nil when none is.
    public func rollingUpgradeInProgress() async throws -> String? {
        do {
            let body = try await arm.call("GET", path + "/rollingUpgrades/latest", apiVersion: Self.computeVersion, retry: .idempotent).body
            let code = body?.at("properties.runningStatus.code").string ?? ""
            return ["rollingforward", "cancelling"].contains(code.lowercased()) ? code : nil
        } catch let error as ARMError where error.status == 404 {
            return nil
        }
    }

    /// Every instance, with its instance view (health) when `instanceView` is set.
    public func instances(instanceView: Bool = true) async throws -> [ScaleSetInstance] {
        let query = instanceView ? [("$expand", "instanceView")] : []
        return try await arm.list(path + "/virtualMachines", query: query, apiVersion: Self.computeVersion).map(ScaleSetInstance.init)
    }

    /// One instance with its instance view.
    public func instance(_ id: String) async throws -> ScaleSetInstance {
        let vm = try await arm.call(
            "GET", path + "/virtualMachines/\(id)", query: [("$expand", "instanceView")], apiVersion: Self.computeVersion,
            retry: .idempotent
        ).body ?? .null
        return ScaleSetInstance(vm)
    }

    /// Re-runs an extension: its own PUT with a new `forceUpdateTag` (touches nothing else of the
    /// model), waited for. Sending it twice with the same tag does the same, so it is retried.
    public func setForceUpdateTag(_ tag: String, on ext: ScaleSetModel.Extension, deadline: Duration?) async throws {
        var properties = ext.properties
        for readOnly in ["provisioningState", "provisionAfterExtensions"] where !properties.member(readOnly).isNull {
            if case .object(var members) = properties {
                members.removeValue(forKey: readOnly)
                properties = .object(members)
            }
        }
        properties.setMember("forceUpdateTag", .string(tag))
        _ = try await arm.longRunning(
            "PUT", path + "/extensions/\(ext.name)", body: .object(["properties": properties]), apiVersion: Self.computeVersion,
            retry: .idempotent, deadline: deadline)
    }

    /// Applies the latest model to one instance (`manualupgrade`), waited for.
    public func manualUpgrade(_ id: String, deadline: Duration?) async throws {
        _ = try await arm.longRunning(
            "POST", path + "/manualupgrade", body: .object(["instanceIds": .array([.string(id)])]), apiVersion: Self.computeVersion,
            retry: .idempotent, deadline: deadline)
    }

    /// The instance's private IP: its primary NIC's primary IP configuration.
    public func privateIP(_ id: String) async throws -> String {
        let nics = try await arm.list(
            "/subscriptions/\(resource.subscription)/resourceGroups/\(resource.resourceGroup)/providers/microsoft.Compute/virtualMachineScaleSets/\(name)/virtualMachines/\(id)/networkInterfaces",
            apiVersion: Self.nicVersion)
        let nic = nics.first { $0.at("properties.primary").bool == true } ?? nics.first
        let configurations = nic?.at("properties.ipConfigurations").array ?? []
        let primary = configurations.first { $0.at("properties.primary").bool == true } ?? configurations.first
        guard let address = primary?.at("properties.privateIPAddress").string else {
            throw ARMError(
                operation: "GET virtualMachineScaleSets/\(name)/virtualMachines/\(id)/networkInterfaces", status: 200, code: nil,
                message: "instance \(id) has no private IP address")
        }
        return address
    }

    /// Replaces the scale set's tags if its etag is still `etag` (412 otherwise).
    public func replaceTags(_ tags: [String: String], ifMatch etag: String?) async throws {
        let body = JSONValue.object(["tags": .object(tags.mapValues { .string($0) })])
        _ = try await arm.longRunning("PATCH", path, body: body, ifMatch: etag, apiVersion: Self.computeVersion, retry: .never)
    }
}
