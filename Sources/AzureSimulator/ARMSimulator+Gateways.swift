import Foundation
import JSONDocument

/// Application gateway GET and PUT (§2.9, §2.10): weak etags, If-Match, read-only fields
/// ignored, unknown sections kept, concurrent PUTs superseded or refused.
extension ARMSimulator {
    func gatewayRequest(_ request: SimulatedRequest, group: String, name: String, fault: FaultSpec?) -> SimulatedResponse {
        let index = gateways.firstIndex {
            $0.spec.resourceGroup.lowercased() == group.lowercased() && $0.spec.name.lowercased() == name.lowercased()
        }
        switch request.method {
        case "GET":
            guard let index else { return notFound(group: group, type: "Microsoft.Network/applicationGateways", name: name) }
            return .json(200, gateways[index].rendered(ipConfigurations: poolMembers()))
        case "PUT":
            return putGateway(request, index: index, group: group, name: name, fault: fault)
        default:
            return CloudError.methodNotAllowed(request)
        }
    }

    private func putGateway(
        _ request: SimulatedRequest, index existing: Int?, group: String, name: String, fault: FaultSpec?
    ) -> SimulatedResponse {
        guard let body = JSONValue.parse(request.body), body.objectValue != nil, body["properties"]?.objectValue != nil else {
            return CloudError.invalidBody("expected a JSON object with 'properties'")
        }
        let index: Int
        let created = existing == nil
        if let existing {
            index = existing
        } else {
            let spec = SimulatorScenario.Gateway(resourceGroup: group, name: name)
            gateways.append(GatewayRecord(spec: spec, subscription: scenario.subscription, location: scenario.location, poolAddresses: [:]))
            index = gateways.count - 1
        }
        if fault?.kind == .etagMismatch {
            // Another writer's PUT lands just before this one.
            gateways[index].etag = GatewayRecord.newETag()
        }
        // lost-update: this PUT is accepted whatever If-Match says (as if the RP ignored it).
        if !created, fault?.kind != .lostUpdate, let ifMatch = request.header("If-Match"), ifMatch != "*", ifMatch != gateways[index].etag {
            return CloudError.response(
                412, "PreconditionFailed", "Precondition failed.",
                details: [
                    CloudError.detail(
                        "PreconditionFailedEtagMismatch",
                        "Etag provided in if-match header \(ifMatch) does not match etag \(gateways[index].etag) of resource \(gateways[index].id) in NRP data store.")
                ])
        }
        let retryAfter = String(scenario.timing.retryAfter)
        var superseded: String?
        if let running = gateways[index].inFlight, operations[running]?.isTerminal == false {
            guard gateways[index].spec.concurrentPut == .supersede else {
                return CloudError.response(
                    429, "RetryableErrorDueToAnotherOperation",
                    "Operation PutApplicationGatewayOperation (\(running)) is in progress on resource \(gateways[index].id). Retry after some time.",
                    headers: ["Retry-After": retryAfter])
            }
            superseded = running
        }
        let previous = gateways[index].document
        gateways[index].document = GatewayRecord.writable(body, name: gateways[index].spec.name, location: scenario.location)
        gateways[index].etag = GatewayRecord.newETag()
        gateways[index].provisioningState = "Updating"
        let id = startOperation(
            .gatewayUpdate(gateway: index, previous: previous), provider: .network,
            description: "gateway PUT \(gateways[index].spec.name)", duration: scenario.timing.gatewayUpdate, fault: fault)
        gateways[index].inFlight = id
        if let superseded { cancel(superseded, supersededBy: id) }
        if fault?.kind == .superseded {
            // Someone else's PUT supersedes this one: it ends Canceled and its change never lands.
            operations[id]?.outcome = .cancel(
                code: "Canceled", message: "Operation was canceled.",
                details: [Self.supersededDetail(id, by: UUID().uuidString.lowercased())])
            operations[id]?.revertAtEnd = true
        }
        if fault?.kind == .lostUpdate { operations[id]?.revertAtEnd = true }
        return .json(
            created ? 201 : 200, gateways[index].rendered(ipConfigurations: poolMembers()),
            headers: [
                "Azure-AsyncOperation": asyncOperationURL(request, id: id, provider: .network), "Retry-After": retryAfter,
            ])
    }

    static func supersededDetail(_ id: String, by other: String) -> JSONValue {
        CloudError.detail(
            "CanceledAndSupersededDueToAnotherOperation",
            "Operation PutApplicationGatewayOperation (\(id)) was canceled and superseded by operation PutApplicationGatewayOperation (\(other)).")
    }

    /// Ends a running gateway PUT as Canceled because a newer PUT replaced its document.
    private func cancel(_ id: String, supersededBy other: String) {
        guard var operation = operations[id], !operation.isTerminal else { return }
        operation.status = "Canceled"
        operation.endTime = Date()
        operation.error = [
            "code": "Canceled", "message": "Operation was canceled.", "details": [Self.supersededDetail(id, by: other)],
        ]
        operations[id] = operation
    }
}
