import Foundation
import JSONDocument

/// Scale-set model endpoints: GET/PUT/PATCH of the scale set, its extensions, rolling upgrades.
extension ARMSimulator {
    func scaleSetRequest(
        _ request: SimulatedRequest, group: String, name: String, child: ARMRoute.ScaleSetChild, fault: FaultSpec?
    ) -> SimulatedResponse {
        guard let set = scaleSets.firstIndex(where: {
            $0.spec.resourceGroup.lowercased() == group.lowercased() && $0.spec.name.lowercased() == name.lowercased()
        }) else { return notFound(group: group, type: "Microsoft.Compute/virtualMachineScaleSets", name: name) }
        switch (child, request.method) {
        case (.model, "GET"): return .json(200, scaleSets[set].rendered())
        case (.model, "PUT"): return putModel(request, set: set, fault: fault)
        case (.model, "PATCH"): return patchModel(request, set: set, fault: fault)
        case (.extensions, "GET"):
            return .json(200, ["value": .array(scaleSets[set].extensions.map(scaleSets[set].renderedExtension))])
        case (.extension(let extensionName), "GET"):
            guard let index = scaleSets[set].extensionIndex(extensionName) else {
                return CloudError.response(404, "NotFound", "The entity was not found in this Azure location.")
            }
            return .json(200, scaleSets[set].renderedExtension(scaleSets[set].extensions[index]))
        case (.extension(let extensionName), "PUT"): return putExtension(request, set: set, name: extensionName, fault: fault)
        case (.virtualMachines, "GET"): return listInstances(request, set: set)
        case (.virtualMachine(let id), "GET"): return getInstance(request, set: set, id: id, fault: fault)
        case (.instanceView(let id), "GET"): return instanceView(request, set: set, id: id, fault: fault)
        case (.instanceNICs(let id), "GET"): return instanceNICs(request, set: set, id: id, fault: fault)
        case (.instanceNIC(let id, let nic), "GET"): return instanceNIC(request, set: set, id: id, nic: nic, fault: fault)
        case (.networkInterfaces, "GET"): return allNICs(request, set: set)
        case (.manualUpgrade, "POST"): return manualUpgrade(request, set: set, fault: fault)
        case (.rollingUpgradeLatest, "GET"): return rollingUpgradeStatus(set)
        case (.scaleSetInstanceView, "GET"): return scaleSetInstanceView(set)
        default: return CloudError.methodNotAllowed(request)
        }
    }

    func notFound(group: String, type: String, name: String) -> SimulatedResponse {
        let groupKnown =
            scaleSets.contains { $0.spec.resourceGroup.lowercased() == group.lowercased() }
            || gateways.contains { $0.spec.resourceGroup.lowercased() == group.lowercased() }
            || storage.values.contains { $0.spec.resourceGroup.lowercased() == group.lowercased() }
        guard groupKnown else {
            return CloudError.response(404, "ResourceGroupNotFound", "Resource group '\(group)' could not be found.")
        }
        return CloudError.response(
            404, "ResourceNotFound",
            "The Resource '\(type)/\(name)' under resource group '\(group)' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")
    }

    /// 412 when `If-Match` names another etag (or `If-None-Match: *` meets an existing resource).
    private func precondition(_ request: SimulatedRequest, etag: String) -> SimulatedResponse? {
        if let ifMatch = request.header("If-Match"), ifMatch != "*", ifMatch != etag {
            return CloudError.response(412, "PreconditionFailed", "The specified precondition 'If-Match = \(ifMatch)' failed.")
        }
        if request.header("If-None-Match") == "*" {
            return CloudError.response(412, "PreconditionFailed", "The specified precondition 'If-None-Match = *' failed.")
        }
        return nil
    }

    /// A body from a client reduced to what it may set: ids, etags, states are ARM's to say.
    private func writableModel(_ body: JSONValue, set: Int) -> JSONValue {
        let old = scaleSets[set].document
        var document = body
        for key in ["id", "etag", "type"] { document[key] = nil }
        document["name"] = .string(scaleSets[set].spec.name)
        if document["location"] == nil { document["location"] = old["location"] }
        if document["sku"] == nil { document["sku"] = old["sku"] }
        if document["properties"] == nil { document["properties"] = [:] }
        for key in ["provisioningState", "uniqueId", "timeCreated"] { document[path: ["properties", key]] = nil }
        if document[path: ["properties", "virtualMachineProfile"]] == nil {
            document[path: ["properties", "virtualMachineProfile"]] = old[path: ["properties", "virtualMachineProfile"]]
        }
        // az nulls imageReference "to avoid unnecessary permission errors": keep the stored image.
        let image = ["properties", "virtualMachineProfile", "storageProfile", "imageReference"]
        if document[path: image] == nil || document[path: image] == .null { document[path: image] = old[path: image] }
        let extensionsPath = ["properties", "virtualMachineProfile", "extensionProfile", "extensions"]
        if let extensions = document[path: extensionsPath]?.arrayValue {
            document[path: extensionsPath] = .array(extensions.map(Self.writableExtension))
        }
        return document
    }

    static func writableExtension(_ extensionDocument: JSONValue) -> JSONValue {
        var result = extensionDocument
        for key in ["id", "type"] { result[key] = nil }
        result[path: ["properties", "provisioningState"]] = nil
        return result
    }

    private func putModel(_ request: SimulatedRequest, set: Int, fault: FaultSpec?) -> SimulatedResponse {
        guard let body = JSONValue.parse(request.body), body.objectValue != nil else { return CloudError.invalidBody("expected a JSON object") }
        if let failure = precondition(request, etag: scaleSets[set].etag) { return failure }
        return replaceModel(request, set: set, with: writableModel(body, set: set), fault: fault)
    }

    private func patchModel(_ request: SimulatedRequest, set: Int, fault: FaultSpec?) -> SimulatedResponse {
        guard let body = JSONValue.parse(request.body), let members = body.objectValue else {
            return CloudError.invalidBody("expected a JSON object")
        }
        if let failure = precondition(request, etag: scaleSets[set].etag) { return failure }
        if Set(members.keys).isSubset(of: ["tags"]) {
            // A tags-only PATCH touches no instance: it completes at once.
            if let tags = body["tags"] { scaleSets[set].document["tags"] = tags }
            scaleSets[set].etagCounter += 1
            return .json(200, scaleSets[set].rendered())
        }
        let merged = scaleSets[set].document.merging(patch: writableModel(body, set: set))
        return replaceModel(request, set: set, with: merged, fault: fault)
    }

    /// Stores a new model; when `virtualMachineProfile` changed, instances go stale (Manual) or
    /// are updated when the operation ends (Automatic, Rolling).
    private func replaceModel(_ request: SimulatedRequest, set: Int, with document: JSONValue, fault: FaultSpec?) -> SimulatedResponse {
        let profile = ["properties", "virtualMachineProfile"]
        let changed = scaleSets[set].document[path: profile] != document[path: profile]
        scaleSets[set].document = document
        scaleSets[set].etagCounter += 1
        if changed { modelChanged(set) }
        scaleSets[set].provisioningState = "Updating"
        let id = startOperation(
            .modelUpdate(scaleSet: set), provider: .compute, description: "model update \(scaleSets[set].spec.name)",
            duration: scenario.timing.extensionUpdate, fault: fault)
        return .json(
            200, scaleSets[set].rendered(),
            headers: [
                "Azure-AsyncOperation": asyncOperationURL(request, id: id, provider: .compute),
                "Retry-After": String(scenario.timing.retryAfter),
            ])
    }

    private func modelChanged(_ set: Int) {
        scaleSets[set].modelVersion += 1
        if scaleSets[set].upgradeMode == .rolling { scaleSets[set].rollingUpgrade = "RollingForward" }
    }

    private func putExtension(_ request: SimulatedRequest, set: Int, name: String, fault: FaultSpec?) -> SimulatedResponse {
        guard let body = JSONValue.parse(request.body), let properties = body["properties"], properties.objectValue != nil else {
            return CloudError.response(400, "InvalidParameter", "The extension must have 'properties' (publisher, type, typeHandlerVersion, settings).")
        }
        var extensions = scaleSets[set].extensions
        let existing = scaleSets[set].extensionIndex(name)
        let storedName = existing.flatMap { extensions[$0]["name"]?.stringValue } ?? name
        let updated = Self.writableExtension(["name": .string(storedName), "properties": properties])
        let changed = existing.map { extensions[$0] != updated } ?? true
        if let existing { extensions[existing] = updated } else { extensions.append(updated) }
        scaleSets[set].document[path: ["properties", "virtualMachineProfile", "extensionProfile", "extensions"]] = .array(extensions)
        scaleSets[set].etagCounter += 1
        // A new forceUpdateTag (or any other change) is a new model: instances are stale until upgraded.
        if changed { modelChanged(set) }
        scaleSets[set].extensionStates[storedName.lowercased()] = existing == nil ? "Creating" : "Updating"
        let id = startOperation(
            .extensionUpdate(scaleSet: set, name: storedName), provider: .compute,
            description: "extension \(storedName) on \(scaleSets[set].spec.name)", duration: scenario.timing.extensionUpdate,
            fault: fault)
        let index = scaleSets[set].extensionIndex(storedName) ?? 0
        return .json(
            existing == nil ? 201 : 200, scaleSets[set].renderedExtension(scaleSets[set].extensions[index]),
            headers: [
                "Azure-AsyncOperation": asyncOperationURL(request, id: id, provider: .compute),
                "Retry-After": String(scenario.timing.retryAfter),
            ])
    }

    private func rollingUpgradeStatus(_ set: Int) -> SimulatedResponse {
        guard let status = scaleSets[set].rollingUpgrade else {
            return CloudError.response(404, "NotFound", "The entity was not found in this Azure location.")
        }
        let instances = scaleSets[set].instances
        let stale = instances.filter { $0.modelVersion != scaleSets[set].modelVersion }.count
        let rolling = status == "RollingForward" || status == "RollingBackward"
        return .json(
            200,
            [
                "id": .string("\(scaleSets[set].id)/rollingUpgrades/latest"),
                "type": "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades",
                "location": .string(scenario.location),
                "properties": [
                    "policy": [
                        "maxBatchInstancePercent": 20, "maxUnhealthyInstancePercent": 20,
                        "maxUnhealthyUpgradedInstancePercent": 20, "pauseTimeBetweenBatches": "PT0S",
                    ],
                    "runningStatus": [
                        "code": .string(status), "startTime": .string(OperationRecord.timestamp(Date())),
                        "lastAction": rolling ? "Start" : "Complete",
                    ],
                    "progress": [
                        "successfulInstanceCount": .int(instances.count - stale), "failedInstanceCount": 0,
                        "inProgressInstanceCount": .int(rolling ? min(1, stale) : 0),
                        "pendingInstanceCount": .int(rolling ? max(0, stale - 1) : 0),
                    ],
                ],
            ])
    }
}
