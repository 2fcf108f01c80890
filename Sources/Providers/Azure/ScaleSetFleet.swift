public import Deployer
import Foundation
import JSONDocument
import Manifests

/// A VM Scale Set as a fleet: its instances are the targets; "update" re-runs the deploy extension by
/// giving it a new `forceUpdateTag` on the model (once per version) and applying the model to the
/// instance with `manualupgrade`. The version deployed is the tag, so `status` shows which instances
/// run it.
public struct ScaleSetFleet: Fleet {
    public let directory: ScaleSetDirectory
    /// The extension re-run by a deploy (`force-update-extension`); nil: apply the model as it is.
    public let extensionName: String?
    public let operationTimeout: Duration
    let events: any EventSink
    private let modelLock = ModelUpdate()

    public init(directory: ScaleSetDirectory, extensionName: String?, operationTimeout: Duration, events: any EventSink) {
        self.directory = directory
        self.extensionName = extensionName
        self.operationTimeout = operationTimeout
        self.events = events
    }

    public func targets() async throws -> [TargetSnapshot] {
        let model = try await directory.preflight()
        let instances = try await directory.client.instances(instanceView: true)
        await directory.remember(instances)
        let tag = extensionName.flatMap { model.extensionNamed($0)?.forceUpdateTag }
        return instances.map { instance in
            TargetSnapshot(
                id: TargetID(instance.name), version: instance.latestModelApplied ? tag : nil,
                modelApplied: instance.latestModelApplied, health: Self.health(instance, model: model),
                updating: instance.provisioningState.lowercased() == "updating")
        }
    }

    static func health(_ instance: ScaleSetInstance, model: ScaleSetModel) -> Health {
        if instance.failedExtension != nil { return .unhealthy }
        switch instance.healthCode?.lowercased() {
        case "healthstate/healthy": return .healthy
        case "healthstate/unhealthy": return .unhealthy
        case nil: return model.hasHealthExtension ? .unknown : .healthy
        default: return .unknown
        }
    }

    public func prepare(_ target: TargetID, version: String) async throws {}

    public func update(_ target: TargetID, to version: String) async throws {
        let id = try await directory.instanceID(of: target)
        try await ensureModel(version)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await directory.client.manualUpgrade(id, deadline: operationTimeout)
                break
            } catch let error as ARMError where error.has("OperationPreempted") {
                // A more recent operation took over; what matters is whether the instance got the model.
                let instance = try await directory.client.instance(id)
                if instance.latestModelApplied { break }
                guard attempt < 3 else { throw error }
                events.emit(.notice(Notice(.warning, "\(target): upgrade preempted by another operation; upgrading again")))
            } catch let error as ARMError where error.status == 409 {
                guard attempt < 3 else { throw error }
                events.emit(.notice(Notice(.warning, "\(target): \(error.code ?? "Conflict") — another operation is running; trying again in 5 s")))
                try await Task.sleep(for: .seconds(5))
            } catch let error as ARMError where error.has("InstanceIdsListInstanceIdNotActiveVM") || error.status == 404 {
                throw DeployerError("\(target) no longer exists in \(directory.client.name) (scaled in or deleted): \(error.message)")
            }
        }
        let after = try await directory.client.instance(id)
        guard after.latestModelApplied else {
            throw DeployerError("\(target): the upgrade reported success, but the instance still runs an older model")
        }
        if let failed = after.failedExtension {
            throw DeployerError("\(target): extension \(failed) reports ProvisioningState/failed after the upgrade")
        }
    }

    /// Gives the deploy extension the tag `version` on the model, once; a model already carrying it is
    /// left alone (a resumed deploy does not re-run the extension on instances already done).
    func ensureModel(_ version: String) async throws {
        guard let extensionName else { return }
        try await modelLock.once(version) {
            let model = try await directory.currentModel()
            guard let ext = model.extensionNamed(extensionName) else {
                let names = model.extensions.map(\.name).joined(separator: ", ")
                throw DeployerError(
                    "scale set \(directory.client.name) has no extension \(extensionName)",
                    hint: names.isEmpty ? "Its model declares no extension." : "Its extensions: \(names).")
            }
            if ext.forceUpdateTag == version { return }
            events.emit(.notice(Notice(.info, "\(directory.client.name): model: extension \(ext.name) forceUpdateTag \(ext.forceUpdateTag ?? "none") → \(version)")))
            try await directory.client.setForceUpdateTag(version, on: ext, deadline: operationTimeout)
            await directory.invalidateModel()
        }
    }

    public func describeUpdate(_ target: TargetID, version: String) -> [String] {
        var lines: [String] = []
        let path = directory.client.path
        if let extensionName {
            lines.append("PUT \(path)/extensions/\(extensionName) forceUpdateTag=\(version) (once, unless the model has it)")
        }
        lines.append("POST \(path)/manualupgrade {\"instanceIds\": [<\(target)>]}")
        return lines
    }

    /// Runs the model update once per version, however many targets ask at the same time.
    actor ModelUpdate {
        private var done: Set<String> = []
        private var running: [String: Task<Void, any Error>] = [:]

        func once(_ version: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
            if done.contains(version) { return }
            if let task = running[version] { return try await task.value }
            let task = Task { try await body() }
            running[version] = task
            defer { running[version] = nil }
            try await task.value
            done.insert(version)
        }
    }
}
