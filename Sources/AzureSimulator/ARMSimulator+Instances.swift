import Foundation
import JSONDocument

/// Instance endpoints: the VM list with its filters and paging, one VM, its instance view, its
/// NICs, and manualupgrade (§2.4–§2.8).
extension ARMSimulator {
    /// The three `$filter` values the VM list accepts, whitespace-normalised and lower-cased.
    private static let filters: [String: @Sendable (InstanceRecord, Int) -> Bool] = [
        "startswith(instanceview/statuses/code, 'powerstate') eq true": { _, _ in true },
        "properties/latestmodelapplied eq true": { instance, model in instance.modelVersion == model },
        "properties/latestmodelapplied eq false": { instance, model in instance.modelVersion != model },
    ]

    private func wantsInstanceView(_ request: SimulatedRequest) -> Bool {
        let expand = request.queryValue("$expand")?.lowercased() ?? ""
        let select = request.queryValue("$select")?.lowercased() ?? ""
        return expand == "instanceview" || select.hasPrefix("instanceview")
    }

    /// Removes the instances a `vanished` fault names, as if scale-in had just taken them.
    private func vanish(_ ids: [String], set: Int, fault: FaultSpec?) {
        trafficChanged = true
        guard fault?.kind == .vanished else { return }
        scaleSets[set].instances.removeAll { ids.contains($0.id) }
    }

    private func instanceNotFound(_ set: Int, _ id: String) -> SimulatedResponse {
        CloudError.response(
            404, "NotFound",
            "The Resource 'Microsoft.Compute/virtualMachineScaleSets/\(scaleSets[set].spec.name)/virtualMachines/\(id)' under resource group '\(scaleSets[set].spec.resourceGroup)' was not found.")
    }

    func listInstances(_ request: SimulatedRequest, set: Int) -> SimulatedResponse {
        var keep: @Sendable (InstanceRecord, Int) -> Bool = { _, _ in true }
        if let filter = request.queryValue("$filter") {
            let normalised = filter.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
            guard let predicate = Self.filters[normalised] else {
                return CloudError.response(
                    400, "InvalidParameter",
                    "The value of parameter $filter is invalid: '\(filter)'. Allowed: startswith(instanceView/statuses/code, 'PowerState') eq true, properties/latestModelApplied eq true, properties/latestModelApplied eq false.",
                    details: [], headers: [:])
            }
            keep = predicate
        }
        let expand = wantsInstanceView(request)
        let model = scaleSets[set].modelVersion
        let positions = scaleSets[set].instances.indices.filter { keep(scaleSets[set].instances[$0], model) }
        return page(request, items: positions) { position in
            let instance = scaleSets[set].instances[position]
            let view = expand
                ? scaleSets[set].renderedInstanceView(instance, health: health(scaleSet: set, instance: position, countRead: true)) : nil
            return scaleSets[set].renderedInstance(instance, location: scenario.location, instanceView: view)
        }
    }

    /// One page of a list, with an absolute `nextLink` (carrying api-version and the other
    /// parameters) on the host the client called when more remain.
    func page<Item>(_ request: SimulatedRequest, items: [Item], render: (Item) -> JSONValue) -> SimulatedResponse {
        let start = max(0, Int(request.queryValue("$skiptoken") ?? "") ?? 0)
        let end = min(items.count, start + scenario.pageSize)
        let slice = start < end ? Array(items[start..<end]) : []
        var body: JSONValue = ["value": .array(slice.map(render))]
        if end < items.count {
            var query = request.queryItems.filter { $0.name.lowercased() != "$skiptoken" }
            query.append(("$skiptoken", String(end)))
            let encoded = query.map { Self.encodeQuery($0.name) + "=" + Self.encodeQuery($0.value) }.joined(separator: "&")
            body["nextLink"] = .string("\(request.baseURL)\(request.path)?\(encoded)")
        }
        return .json(200, body)
    }

    static func encodeQuery(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~$/'(),")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func getInstance(_ request: SimulatedRequest, set: Int, id: String, fault: FaultSpec?) -> SimulatedResponse {
        vanish([id], set: set, fault: fault)
        guard let position = scaleSets[set].instanceIndex(id) else { return instanceNotFound(set, id) }
        let instance = scaleSets[set].instances[position]
        let view = wantsInstanceView(request)
            ? scaleSets[set].renderedInstanceView(instance, health: health(scaleSet: set, instance: position, countRead: true)) : nil
        return .json(200, scaleSets[set].renderedInstance(instance, location: scenario.location, instanceView: view))
    }

    func instanceView(_ request: SimulatedRequest, set: Int, id: String, fault: FaultSpec?) -> SimulatedResponse {
        vanish([id], set: set, fault: fault)
        guard let position = scaleSets[set].instanceIndex(id) else { return instanceNotFound(set, id) }
        let code = health(scaleSet: set, instance: position, countRead: true)
        return .json(200, scaleSets[set].renderedInstanceView(scaleSets[set].instances[position], health: code))
    }

    /// `GET …/virtualMachineScaleSets/{name}/instanceView`: the scale set's provisioning status, and how
    /// many instances (and deploy-extension runs) are in each provisioning state, as `statusesSummary`.
    func scaleSetInstanceView(_ set: Int) -> SimulatedResponse {
        let record = scaleSets[set]
        func summary(_ codes: [String]) -> JSONValue {
            .array(Dictionary(grouping: codes, by: { $0 }).keys.sorted().map { code in
                ["code": .string(code), "count": .int(codes.filter { $0 == code }.count)]
            })
        }
        let states = record.instances.map { "ProvisioningState/\($0.provisioningState.lowercased())" }
        let extensionStates = record.instances.map { $0.extensionFailed ? "ProvisioningState/failed" : "ProvisioningState/succeeded" }
        let status = "ProvisioningState/\(record.provisioningState.lowercased())"
        return .json(200, [
            "virtualMachine": ["statusesSummary": summary(states)],
            "extensions": .array(record.extensions.compactMap { $0["name"]?.stringValue }.map { name in
                ["name": .string(name), "statusesSummary": summary(extensionStates)]
            }),
            "statuses": [
                [
                    "code": .string(status), "level": "Info",
                    "displayStatus": .string("Provisioning \(record.provisioningState.lowercased())"),
                    "time": .string(ISO8601DateFormatter().string(from: Date())),
                ]
            ],
            "orchestrationServices": [],
        ])
    }

    func instanceNICs(_ request: SimulatedRequest, set: Int, id: String, fault: FaultSpec?) -> SimulatedResponse {
        vanish([id], set: set, fault: fault)
        guard let position = scaleSets[set].instanceIndex(id) else { return instanceNotFound(set, id) }
        let instance = scaleSets[set].instances[position]
        return page(request, items: [instance]) { scaleSets[set].renderedNIC($0, location: scenario.location) }
    }

    func instanceNIC(_ request: SimulatedRequest, set: Int, id: String, nic: String, fault: FaultSpec?) -> SimulatedResponse {
        vanish([id], set: set, fault: fault)
        guard let position = scaleSets[set].instanceIndex(id), nic.lowercased() == scaleSets[set].nicName.lowercased() else {
            return instanceNotFound(set, id)
        }
        return .json(200, scaleSets[set].renderedNIC(scaleSets[set].instances[position], location: scenario.location))
    }

    func allNICs(_ request: SimulatedRequest, set: Int) -> SimulatedResponse {
        page(request, items: scaleSets[set].instances) { scaleSets[set].renderedNIC($0, location: scenario.location) }
    }

    func manualUpgrade(_ request: SimulatedRequest, set: Int, fault: FaultSpec?) -> SimulatedResponse {
        guard let body = JSONValue.parse(request.body), let list = body["instanceIds"]?.arrayValue,
            !list.isEmpty, list.allSatisfy({ $0.stringValue != nil })
        else {
            return CloudError.response(
                400, "InvalidParameter", "Required parameter 'instanceIds' is missing (null) or is not a list of instance ids.",
                details: [], headers: [:])
        }
        guard scaleSets[set].spec.orchestration == .uniform else {
            return CloudError.response(
                400, "OperationNotAllowed", "Manual upgrade is not supported for a scale set in Flexible orchestration mode.")
        }
        var ids = list.compactMap(\.stringValue)
        vanish(ids, set: set, fault: fault)
        if ids == ["*"] { ids = scaleSets[set].instances.map(\.id) }
        if let missing = ids.first(where: { scaleSets[set].instanceIndex($0) == nil }) {
            return CloudError.response(
                400, "InstanceIdsListInstanceIdNotActiveVM",
                "The provided instanceId \(missing) is not an active Virtual Machine Scale Set VM instanceId.")
        }
        if ids.contains(where: { scaleSets[set].instances[scaleSets[set].instanceIndex($0)!].operation != nil }) {
            return CloudError.response(
                409, "Conflict",
                "The request failed due to conflict with a concurrent request. To resolve it, please refer to https://aka.ms/activitylog to get more details on the conflicting requests.")
        }
        let id = startOperation(
            .manualUpgrade(scaleSet: set, instances: ids), provider: .compute,
            description: "manualupgrade \(scaleSets[set].spec.name) [\(ids.joined(separator: ","))]",
            duration: scenario.timing.manualUpgrade, fault: fault)
        for instance in ids {
            guard let position = scaleSets[set].instanceIndex(instance) else { continue }
            scaleSets[set].instances[position].provisioningState = "Updating"
            scaleSets[set].instances[position].operation = id
        }
        return SimulatedResponse(
            status: 202,
            headers: [
                "Azure-AsyncOperation": asyncOperationURL(request, id: id, provider: .compute),
                "Location": locationURL(request, id: id),
                "Retry-After": String(scenario.timing.retryAfter),
            ])
    }
}
