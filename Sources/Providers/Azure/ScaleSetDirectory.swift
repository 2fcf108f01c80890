public import Deployer
import Foundation
import JSONDocument

/// What this process knows of one scale set: its model (read again on every `targets()`), its
/// instances by target name and their private IPs (stable for an instance's life). Shared by the
/// fleet, the gateway pools and the health probe of one environment.
public actor ScaleSetDirectory {
    public let client: ScaleSetClient
    private var model: ScaleSetModel?
    private var idsByName: [String: String] = [:]
    private var addresses: [String: String] = [:]

    public init(client: ScaleSetClient) { self.client = client }

    /// Reads the model and checks that a deploy can drive this scale set: Uniform orchestration, Manual
    /// upgrades, no rolling upgrade running.
    public func preflight() async throws -> ScaleSetModel {
        async let modelRead = client.model()
        async let rolling = client.rollingUpgradeInProgress()
        let model = try await modelRead
        let name = client.name
        guard model.orchestrationMode.caseInsensitiveCompare("Uniform") == .orderedSame else {
            throw DeployerError(
                "scale set \(name) uses \(model.orchestrationMode) orchestration; deployer rolls Uniform scale sets "
                    + "(latestModelApplied and manualupgrade exist only there)")
        }
        guard model.upgradeMode.caseInsensitiveCompare("Manual") == .orderedSame else {
            throw DeployerError(
                "scale set \(name) has upgradePolicy.mode \(model.upgradeMode); deployer rolls Manual scale sets only",
                hint: model.upgradeMode.lowercased() == "automatic"
                    ? "In Automatic mode Azure updates every instance at once when the model changes: no drain, no batches."
                    : "In Rolling mode Azure rolls the update itself; set the mode to Manual to let deployer roll it.")
        }
        if let status = try await rolling {
            throw DeployerError(
                "scale set \(name) has a rolling upgrade in progress (\(status)); wait for it to end or cancel it first")
        }
        self.model = model
        return model
    }

    /// The model read by the last `preflight()`, reading it if there was none.
    public func currentModel() async throws -> ScaleSetModel {
        if let model { return model }
        return try await preflight()
    }

    /// Forgets the model, so the next `currentModel()` reads it again (after an extension update).
    public func invalidateModel() { model = nil }

    public func remember(_ instances: [ScaleSetInstance]) {
        for instance in instances { idsByName[instance.name] = instance.instanceID }
    }

    /// The instance id of a target, listing the instances once if it is not known yet.
    public func instanceID(of target: TargetID) async throws -> String {
        if let id = idsByName[target.rawValue] { return id }
        remember(try await client.instances(instanceView: false))
        guard let id = idsByName[target.rawValue] else {
            throw DeployerError("scale set \(client.name) has no instance named \(target) (scaled in?)")
        }
        return id
    }

    /// Private IPs of `targets`, read from their NICs (eight at a time) the first time they are asked for.
    public func addresses(of targets: [TargetID]) async throws -> [TargetID: String] {
        let missing = targets.filter { addresses[$0.rawValue] == nil }
        if !missing.isEmpty {
            var ids: [(TargetID, String)] = []
            for target in missing { ids.append((target, try await instanceID(of: target))) }
            let client = self.client
            let found = try await withThrowingTaskGroup(of: (String, String).self) { group in
                var results: [(String, String)] = []
                var next = 0
                func launch() {
                    let (target, id) = ids[next]
                    next += 1
                    group.addTask { (target.rawValue, try await client.privateIP(id)) }
                }
                while next < min(8, ids.count) { launch() }
                while let result = try await group.next() {
                    results.append(result)
                    if next < ids.count { launch() }
                }
                return results
            }
            for (name, address) in found { addresses[name] = address }
        }
        var result: [TargetID: String] = [:]
        for target in targets { result[target] = addresses[target.rawValue] }
        return result
    }
}
