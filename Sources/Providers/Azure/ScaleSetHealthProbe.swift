import Foundation
import JSONDocument
public import Deployer
public import Manifests

/// Health from the instance view: `vmHealth` (the Application Health extension or a load balancer
/// probe), and no extension in `ProvisioningState/failed`. What an instance without `vmHealth` counts
/// as is a policy (`missing-health`).
public struct ScaleSetHealthProbe: HealthProbe {
    public let directory: ScaleSetDirectory
    public let missingHealth: MissingHealthPolicy?

    public init(directory: ScaleSetDirectory, missingHealth: MissingHealthPolicy?) {
        self.directory = directory
        self.missingHealth = missingHealth
    }

    public var timing: HealthTiming { .beforeRestore }

    public func check(_ target: TargetID) async throws -> HealthObservation {
        let id = try await directory.instanceID(of: target)
        let instance = try await directory.client.instance(id)
        if let failed = instance.failedExtension {
            return HealthObservation(healthy: false, detail: "extension \(failed): ProvisioningState/failed")
        }
        guard let code = instance.healthCode else {
            let model = try await directory.currentModel()
            let policy = missingHealth ?? (model.hasHealthExtension ? .fail : .healthy)
            switch policy {
            case .healthy:
                return HealthObservation(healthy: true, detail: "no health signal; counted healthy (missing-health: healthy)")
            case .fail:
                return HealthObservation(
                    healthy: false,
                    detail: "no health signal (vmHealth absent)"
                        + (model.hasHealthExtension ? " although the scale set declares a health extension" : "")
                        + "; counted unhealthy (missing-health: fail)")
            }
        }
        return HealthObservation(healthy: code.caseInsensitiveCompare("HealthState/healthy") == .orderedSame, detail: "instance view: \(code)")
    }
}
