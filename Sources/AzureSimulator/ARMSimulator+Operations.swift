import Foundation
import JSONDocument

/// Long-running operations: starting them (with the faults that decide how they end), letting
/// time or polls end them, applying their effects, and the status endpoints clients poll (§1.4, §2.7).
extension ARMSimulator {
    /// Registers an operation and returns its id. `fault` may make it fail, be pre-empted or stick.
    func startOperation(
        _ work: OperationRecord.Work, provider: ARMRoute.Provider, description: String, duration: TimeInterval,
        fault: FaultSpec?
    ) -> String {
        let id = UUID().uuidString.lowercased()
        let now = Date()
        var operation = OperationRecord(
            id: id, provider: provider, description: description, work: work, outcome: .succeed, startTime: now)
        switch scenario.timing.mode {
        case .real: operation.finishAt = now.addingTimeInterval(duration)
        case .virtual: operation.pollsLeft = scenario.timing.polls
        }
        switch fault?.kind {
        case .lroFailed:
            let name = scenario.scaleSets.first.map(\.extension.name) ?? "deploy"
            operation.outcome = .fail(
                code: "VMExtensionProvisioningError",
                message: "VM has reported a failure when processing extension '\(name)'. Error message: \"Enable failed: failed to execute command: command terminated with exit status=1\".")
        case .preempted:
            operation.outcome = .cancel(
                code: "OperationPreempted", message: "Operation execution has been preempted by a more recent operation.", details: [])
        case .stuck:
            operation.finishAt = nil
            operation.pollsLeft = fault?.polls
            operation.ends = fault?.polls != nil
        case .unhealthy:
            operation.finalHealth = fault?.health ?? .unhealthy
        default:
            break
        }
        operations[id] = operation
        operationOrder.append(id)
        if operationOrder.count > Self.operationLimit {
            // Forget the oldest finished operations; running ones are kept.
            if let oldest = operationOrder.first(where: { operations[$0]?.isTerminal == true }) {
                operations[oldest] = nil
                operationOrder.removeAll { $0 == oldest }
            }
        }
        return id
    }

    /// Ends every operation whose time has come (real timing).
    func advance() {
        let now = Date()
        for id in operationOrder {
            guard let operation = operations[id], !operation.isTerminal, operation.ends, operation.pollsLeft == nil,
                let finishAt = operation.finishAt, finishAt <= now
            else { continue }
            finish(id)
        }
    }

    /// Counts a status poll: an operation that ends by polls ends when its count is used up.
    func poll(_ id: String) {
        guard let operation = operations[id], !operation.isTerminal, operation.ends, let left = operation.pollsLeft else { return }
        if left <= 0 {
            finish(id)
        } else {
            operations[id]?.pollsLeft = left - 1
        }
    }

    /// Ends an operation with its planned outcome and applies its effects.
    func finish(_ id: String) {
        trafficChanged = true
        guard var operation = operations[id], !operation.isTerminal else { return }
        operation.endTime = Date()
        switch operation.outcome {
        case .succeed:
            operation.status = "Succeeded"
        case .fail(let code, let message):
            operation.status = "Failed"
            operation.error = ["code": .string(code), "message": .string(message)]
        case .cancel(let code, let message, let details):
            operation.status = "Canceled"
            operation.error = ["code": .string(code), "message": .string(message), "details": .array(details)]
        }
        operations[id] = operation
        apply(operation)
    }

    private func apply(_ operation: OperationRecord) {
        let succeeded = operation.status == "Succeeded"
        switch operation.work {
        case .extensionUpdate(let set, let name):
            scaleSets[set].extensionStates[name.lowercased()] = succeeded ? "Succeeded" : "Failed"
            if succeeded { rollOut(set) }
        case .modelUpdate(let set):
            scaleSets[set].provisioningState = succeeded ? "Succeeded" : "Failed"
            for key in scaleSets[set].extensionStates.keys { scaleSets[set].extensionStates[key] = succeeded ? "Succeeded" : "Failed" }
            if succeeded { rollOut(set) }
        case .manualUpgrade(let set, let ids):
            for id in ids {
                guard let index = scaleSets[set].instanceIndex(id), scaleSets[set].instances[index].operation == operation.id else { continue }
                scaleSets[set].instances[index].operation = nil
                switch operation.status {
                case "Succeeded":
                    upgrade(set, index, finalHealth: operation.finalHealth)
                case "Failed":
                    // The new model reached the VM but its extension failed: it runs the new
                    // model, reports the failure and is unhealthy.
                    scaleSets[set].instances[index].modelVersion = scaleSets[set].modelVersion
                    scaleSets[set].instances[index].appliedTag = scaleSets[set].modelTag
                    scaleSets[set].instances[index].provisioningState = "Failed"
                    scaleSets[set].instances[index].extensionFailed = true
                    scaleSets[set].instances[index].health = .steady(scaleSets[set].spec.healthExtension ? "HealthState/unhealthy" : nil)
                default:
                    scaleSets[set].instances[index].provisioningState = "Succeeded"
                }
            }
        case .gatewayUpdate(let gateway, let previous):
            if gateways[gateway].inFlight == operation.id {
                gateways[gateway].inFlight = nil
                gateways[gateway].provisioningState = "Succeeded"
            }
            if operation.revertAtEnd {
                // Another writer's PUT (built from what it read before ours) lands last.
                gateways[gateway].document = previous
                gateways[gateway].etag = GatewayRecord.newETag()
            }
        }
    }

    /// After a model change in Automatic or Rolling mode the platform updates every instance.
    private func rollOut(_ set: Int) {
        let mode = scaleSets[set].upgradeMode
        guard mode != .manual else { return }
        for index in scaleSets[set].instances.indices where scaleSets[set].instances[index].modelVersion != scaleSets[set].modelVersion {
            upgrade(set, index, finalHealth: nil)
        }
        if mode == .rolling { scaleSets[set].rollingUpgrade = "Completed" }
    }

    /// The instance now runs the current model; its health settles.
    func upgrade(_ set: Int, _ index: Int, finalHealth: FaultSpec.Health?) {
        scaleSets[set].instances[index].modelVersion = scaleSets[set].modelVersion
        scaleSets[set].instances[index].appliedTag = scaleSets[set].modelTag
        scaleSets[set].instances[index].provisioningState = "Succeeded"
        scaleSets[set].instances[index].extensionFailed = false
        guard scaleSets[set].spec.healthExtension else {
            scaleSets[set].instances[index].health = .steady(nil)
            return
        }
        let final: String? =
            switch finalHealth {
            case nil: InstanceRecord.healthy
            case .unhealthy: "HealthState/unhealthy"
            case .unknown: "HealthState/unknown"
            case .absent: nil
            }
        let settle = scenario.timing.healthSettle
        if settle <= 0 {
            scaleSets[set].instances[index].health = .steady(final)
        } else {
            scaleSets[set].instances[index].health = .settling(
                until: Date().addingTimeInterval(settle), reads: scenario.timing.polls, then: final)
        }
    }

    /// The `vmHealth` code an instance reports now; `countRead` counts a read for virtual timing.
    func health(scaleSet set: Int, instance index: Int, countRead: Bool) -> String? {
        guard scaleSets[set].spec.healthExtension else { return nil }
        switch scaleSets[set].instances[index].health {
        case .steady(let code):
            return code
        case .settling(let until, let reads, let then):
            let settled = scenario.timing.mode == .real ? Date() >= until : reads <= 0
            if settled {
                scaleSets[set].instances[index].health = .steady(then)
                return then
            }
            if countRead, scenario.timing.mode == .virtual {
                scaleSets[set].instances[index].health = .settling(until: until, reads: reads - 1, then: then)
            }
            return InstanceRecord.initializing
        }
    }

    /// `Azure-AsyncOperation` URL of an operation, on the host the client called.
    func asyncOperationURL(_ request: SimulatedRequest, id: String, provider: ARMRoute.Provider) -> String {
        let version = request.queryValue("api-version") ?? "2024-11-01"
        return "\(request.baseURL)/subscriptions/\(scenario.subscription)/providers/\(provider.rawValue)/locations/\(scenario.location)/operations/\(id)?api-version=\(version)"
    }

    /// `Location` URL of a compute operation (`monitor=true`: 202 while running, 200 when done).
    func locationURL(_ request: SimulatedRequest, id: String) -> String {
        let version = request.queryValue("api-version") ?? "2024-11-01"
        return "\(request.baseURL)/subscriptions/\(scenario.subscription)/providers/Microsoft.Compute/locations/\(scenario.location)/operations/\(id)?monitor=true&api-version=\(version)"
    }

    /// GET of an operation's status (Azure-AsyncOperation) or result (Location) URL.
    func operationStatus(_ request: SimulatedRequest, provider: ARMRoute.Provider, id: String, resultForm: Bool) -> SimulatedResponse {
        guard request.method == "GET" else { return CloudError.methodNotAllowed(request) }
        guard let existing = operations[id.lowercased()] ?? operations[id], existing.provider == provider else {
            return CloudError.response(404, "NotFound", "The operation '\(id)' was not found.")
        }
        poll(existing.id)
        let operation = operations[existing.id] ?? existing
        let retryAfter = String(scenario.timing.retryAfter)
        let monitor = resultForm || request.queryValue("monitor")?.lowercased() == "true"
        if monitor {
            switch operation.status {
            case "InProgress":
                let location = request.baseURL + request.path + (request.query.isEmpty ? "" : "?" + request.query)
                return SimulatedResponse(status: 202, headers: ["Location": location, "Retry-After": retryAfter])
            case "Succeeded":
                return SimulatedResponse(status: 200)
            default:
                return .json(operation.status == "Canceled" ? 409 : 400, ["error": operation.error ?? .null])
            }
        }
        var headers: [String: String] = [:]
        if operation.status == "InProgress" { headers["Retry-After"] = retryAfter }
        return .json(200, operation.statusBody(), headers: headers)
    }

    /// Pool id (lower-cased) → NIC ipConfiguration ids of instances whose model joins that pool by reference.
    func poolMembers() -> [String: [String]] { Self.poolMembers(scaleSets) }

    static func poolMembers(_ scaleSets: [ScaleSetRecord]) -> [String: [String]] {
        var members: [String: [String]] = [:]
        for set in scaleSets {
            for pool in set.referencedPools {
                members[pool.lowercased(), default: []] += set.instances.map { set.ipConfigurationID($0) }
            }
        }
        return members
    }
}
