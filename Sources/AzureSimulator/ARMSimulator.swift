public import Foundation
import JSONDocument

/// The simulated Azure Resource Manager: scale sets, application gateways, storage accounts and
/// their Blob service, long-running operations, the token endpoints and injectable faults,
/// answering one request at a time.
/// Independent of sockets: `ARMSimulatorServer` puts it on a loopback port; tests call `handle`.
public actor ARMSimulator {
    /// The scenario it started from.
    public let scenario: SimulatorScenario
    var scaleSets: [ScaleSetRecord]
    var gateways: [GatewayRecord]
    var operations: [String: OperationRecord] = [:]
    var operationOrder: [String] = []
    var faults: [FaultSpec]
    /// Storage accounts by name, with their containers and blobs.
    var storage: [String: StorageAccountRecord] = [:]
    var blobETags = BlobETags()
    /// What every gateway's backend servers have served (their Azure Monitor metrics).
    var traffic = TrafficLedger()
    /// Whether something that decides who serves traffic may have changed since the ledger was last
    /// brought up to date (an operation ended, a write was answered).
    var trafficChanged = false
    /// How far the storage clock runs ahead of the wall clock (`advanceStorageClock`).
    var storageClockShift: TimeInterval = 0
    /// Every request answered (control API excluded), oldest first; the last 10 000 are kept.
    public private(set) var requestLog: [LoggedRequest] = []
    var sequence = 0
    var reads = 0
    var writes = 0

    static let logLimit = 10_000
    static let operationLimit = 10_000

    /// The clock of the gateways' traffic (their metrics); the wall clock unless a test sets its own.
    let trafficClock: @Sendable () -> Date

    /// A simulator in the scenario's initial state, with the scenario's faults armed.
    public init(scenario: SimulatorScenario, trafficClock: @escaping @Sendable () -> Date = { Date() }) {
        self.scenario = scenario
        self.trafficClock = trafficClock
        let sets = scenario.scaleSets.map {
            ScaleSetRecord(spec: $0, subscription: scenario.subscription, location: scenario.location)
        }
        scaleSets = sets
        gateways = scenario.gateways.map { gateway in
            var addresses: [String: [String]] = [:]
            for pool in gateway.pools {
                guard let source = pool.fromScaleSet,
                    let set = sets.first(where: { $0.spec.name.lowercased() == source.lowercased() })
                else { continue }
                addresses[pool.name] = set.instances.map(\.ip)
            }
            return GatewayRecord(spec: gateway, subscription: scenario.subscription, location: scenario.location, poolAddresses: addresses)
        }
        faults = scenario.faults
        var etags = BlobETags()
        let now = Date()
        for account in scenario.storageAccounts {
            storage[account.name] = StorageAccountRecord(spec: account, etag: { etags.next(now: now) }, now: now)
        }
        blobETags = etags
        Self.observe(&traffic, gateways: gateways, scaleSets: scaleSets, now: trafficClock())
    }

    /// Answers one request: the control API, the token endpoints, or ARM (bearer token required).
    public func handle(_ request: SimulatedRequest) async -> SimulatedResponse {
        let route = BlobAddress(path: request.path, accounts: Set(storage.keys)).map(ARMRoute.blob) ?? ARMRoute(segments: request.segments)
        if case .control(let parts) = route { return control(parts, request) }
        let requestID = UUID().uuidString.lowercased()
        let fault = takeFault(request: request, route: route)
        if let fault, fault.kind == .delay {
            // The actor is free while this request waits, so other requests go on meanwhile.
            try? await Task.sleep(for: .milliseconds(Int((fault.seconds ?? 0) * 1000)))
        }
        advance()
        observeTraffic()
        var response: SimulatedResponse
        if case .blob(let address) = route {
            response = blobRequest(request, address: address, requestID: requestID, fault: fault)
        } else {
            response = faultResponse(fault, request: request, route: route) ?? answer(request, route: route, fault: fault)
        }
        if request.method != "GET" { trafficChanged = true }
        observeTraffic()
        decorate(&response, request: request, route: route, requestID: requestID, fault: fault)
        record(request, response: response, requestID: requestID, fault: fault)
        return response
    }

    /// Arms a fault at run time (same effect as `POST /_simulator/faults`).
    public func arm(_ fault: FaultSpec) {
        faults.append(fault)
    }

    /// Disarms every fault.
    public func clearFaults() {
        faults.removeAll()
    }

    /// Faults still armed, with their remaining counts.
    public var armedFaults: [FaultSpec] { faults }

    /// Forgets the request log.
    public func clearRequestLog() {
        requestLog.removeAll()
    }

    /// A bearer token as the token endpoint would mint it: for ARM by default, for the Blob
    /// service with `audience: "https://storage.azure.com"`.
    public func token(
        clientID: String = "deployer-ci", lifetime: TimeInterval? = nil, audience: String = "https://management.azure.com"
    ) -> String {
        SimulatorToken.mint(
            audience: audience, issuer: "https://sts.windows.net/\(scenario.tenant)/",
            tenant: scenario.tenant, appID: clientID, lifetime: lifetime ?? scenario.timing.tokenLifetime)
    }

    private func answer(_ request: SimulatedRequest, route: ARMRoute, fault: FaultSpec?) -> SimulatedResponse {
        switch route {
        case .control: return SimulatedResponse(status: 404)
        case .cloudMetadata: return cloudMetadata(request)
        case .imdsToken: return imdsToken(request)
        case .token(let tenant): return issueToken(request, tenant: tenant)
        case .openIDConfiguration(let tenant): return openIDConfiguration(request, tenant: tenant)
        case .unknown:
            return CloudError.response(404, "NotFound", "No route for \(request.method) \(request.path).")
        default:
            break
        }
        if let rejection = authenticate(request) ?? checkAPIVersion(request) { return rejection }
        switch route {
        case .subscriptions:
            guard request.method == "GET" else { return CloudError.methodNotAllowed(request) }
            return .json(200, ["value": [subscriptionBody]])
        case .subscription(let subscription):
            guard subscription.lowercased() == scenario.subscription.lowercased() else { return subscriptionNotFound(subscription) }
            return .json(200, subscriptionBody)
        case .operation(let subscription, let provider, _, let id, let resultForm):
            guard subscription.lowercased() == scenario.subscription.lowercased() else { return subscriptionNotFound(subscription) }
            return operationStatus(request, provider: provider, id: id, resultForm: resultForm)
        case .scaleSet(let subscription, let group, let name, let child):
            guard subscription.lowercased() == scenario.subscription.lowercased() else { return subscriptionNotFound(subscription) }
            return scaleSetRequest(request, group: group, name: name, child: child, fault: fault)
        case .gateway(let subscription, let group, let name):
            guard subscription.lowercased() == scenario.subscription.lowercased() else { return subscriptionNotFound(subscription) }
            return gatewayRequest(request, group: group, name: name, fault: fault)
        case .extensionImages(let subscription, let location, let publisher, let type, let version):
            guard subscription.lowercased() == scenario.subscription.lowercased() else { return subscriptionNotFound(subscription) }
            return extensionImages(request, location: location, publisher: publisher, type: type, version: version)
        case .gatewayMetrics(let subscription, let group, let name):
            guard subscription.lowercased() == scenario.subscription.lowercased() else { return subscriptionNotFound(subscription) }
            return gatewayMetrics(request, group: group, name: name)
        case .storageAccount(let subscription, let group, let name, let listKeys):
            guard subscription.lowercased() == scenario.subscription.lowercased() else { return subscriptionNotFound(subscription) }
            return storageAccountRequest(request, group: group, name: name, listKeys: listKeys)
        default:
            return Self.unknownResourceType(request)
        }
    }

    /// ARM's answer to a resource type it does not know, naming the type and namespace as ARM does,
    /// and the route, so that a missing endpoint is found from one line.
    static func unknownResourceType(_ request: SimulatedRequest) -> SimulatedResponse {
        let segments = request.segments
        let providers = segments.lastIndex { $0.lowercased() == "providers" }
        let namespace = providers.flatMap { $0 + 1 < segments.count ? segments[$0 + 1] : nil } ?? "?"
        // The resource type: the names at odd distances after the namespace (type/name/type/name…).
        let after = providers.map { Array(segments.dropFirst($0 + 2)) } ?? []
        let type = stride(from: 0, to: after.count, by: 2).map { after[$0] }.joined(separator: "/")
        let version = request.queryValue("api-version") ?? ""
        return CloudError.response(
            400, "InvalidResourceType",
            "The resource type '\(type.isEmpty ? "?" : type)' could not be found in the namespace '\(namespace)' for api version '\(version)'. "
                + "(The ARM simulator does not serve \(request.method) \(request.path).)")
    }

    private var subscriptionBody: JSONValue {
        [
            "id": .string("/subscriptions/\(scenario.subscription)"), "subscriptionId": .string(scenario.subscription),
            "tenantId": .string(scenario.tenant), "displayName": "deployer simulator", "state": "Enabled",
            "subscriptionPolicies": ["locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"],
            "authorizationSource": "RoleBased",
        ]
    }

    private func subscriptionNotFound(_ subscription: String) -> SimulatedResponse {
        CloudError.response(404, "SubscriptionNotFound", "The subscription '\(subscription)' could not be found.")
    }

    /// 400 unless api-version is a date (optionally -preview): the simulator accepts every
    /// version, because the SDK and az send versions newer than any list would hold.
    private func checkAPIVersion(_ request: SimulatedRequest) -> SimulatedResponse? {
        guard let version = request.queryValue("api-version"), !version.isEmpty else {
            return CloudError.response(
                400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        }
        guard Self.isAPIVersion(version) else {
            return CloudError.response(
                400, "InvalidApiVersionParameter",
                "The api-version '\(version)' is invalid. The supported versions are dates such as '2024-11-01' (or '2024-11-01-preview').")
        }
        return nil
    }

    static func isAPIVersion(_ text: String) -> Bool {
        let date = text.hasSuffix("-preview") ? String(text.dropLast("-preview".count)) : text
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && zip(parts, [4, 2, 2]).allSatisfy { part, length in
            part.count == length && part.allSatisfy { $0.isASCII && $0.isNumber }
        }
    }

    /// The headers real ARM sends on every answer (§1.1), and the F15 headroom header.
    private func decorate(
        _ response: inout SimulatedResponse, request: SimulatedRequest, route: ARMRoute, requestID: String, fault: FaultSpec?
    ) {
        response.headers["x-ms-request-id"] = requestID
        guard route.isARM || route == .cloudMetadata else { return }
        response.headers["x-ms-correlation-request-id"] = request.header("x-ms-correlation-request-id") ?? UUID().uuidString.lowercased()
        let stamp = OperationRecord.timestamp(Date()).filter { $0.isNumber || $0 == "T" }.prefix(15)
        response.headers["x-ms-routing-request-id"] = "\(scenario.location.uppercased()):\(stamp)Z:\(requestID)"
        if let client = request.header("x-ms-client-request-id") { response.headers["x-ms-client-request-id"] = client }
        if request.method == "GET" {
            reads += 1
            response.headers["x-ms-ratelimit-remaining-subscription-reads"] = String(11_999 - reads % 11_999)
        } else {
            writes += 1
            response.headers["x-ms-ratelimit-remaining-subscription-writes"] = String(1_199 - writes % 1_199)
        }
        if route.isCompute, response.headers["x-ms-ratelimit-remaining-resource"] == nil {
            response.headers["x-ms-ratelimit-remaining-resource"] =
                "Microsoft.Compute/GetOperation3Min;14992,Microsoft.Compute/GetOperation30Min;29970"
        }
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Pragma"] = "no-cache"
        response.headers["Expires"] = "-1"
        if fault?.kind == .ratelimitHeadroom {
            response.headers["x-ms-ratelimit-remaining-subscription-writes"] = "3"
        }
    }

    private func record(_ request: SimulatedRequest, response: SimulatedResponse, requestID: String, fault: FaultSpec?) {
        sequence += 1
        requestLog.append(
            LoggedRequest(
                seq: sequence, method: request.method, path: request.path, query: request.query,
                status: response.dropConnection ? 0 : response.status, ifMatch: request.header("If-Match"),
                clientRequestId: request.header("x-ms-client-request-id"), requestId: requestID, fault: fault?.kind.rawValue))
        if requestLog.count > Self.logLimit { requestLog.removeFirst(requestLog.count - Self.logLimit) }
    }

    /// The world as it stands (health settling by the clock is taken into account).
    public func snapshot() -> SimulatorState {
        advance()
        let sets = scaleSets.indices.map { index -> SimulatorState.ScaleSet in
            let set = scaleSets[index]
            var tags: [String: String] = [:]
            for (key, value) in set.document["tags"]?.objectValue ?? [:] { tags[key] = value.stringValue ?? "" }
            return SimulatorState.ScaleSet(
                resourceGroup: set.spec.resourceGroup, name: set.spec.name, upgradeMode: set.upgradeMode.rawValue,
                modelTag: set.modelTag, etag: set.etag, tags: tags,
                instances: set.instances.indices.map { position in
                    let instance = set.instances[position]
                    return SimulatorState.Instance(
                        id: instance.id, ip: instance.ip, latestModelApplied: instance.modelVersion == set.modelVersion,
                        appliedTag: instance.appliedTag, provisioningState: instance.provisioningState,
                        health: health(scaleSet: index, instance: position, countRead: false))
                })
        }
        let members = poolMembers()
        let gatewayStates = gateways.map { gateway in
            SimulatorState.Gateway(
                resourceGroup: gateway.spec.resourceGroup, name: gateway.spec.name, etag: gateway.etag,
                provisioningState: gateway.provisioningState,
                pools: gateway.poolAddresses.map { pool in
                    SimulatorState.Pool(
                        name: pool.name, addresses: pool.addresses,
                        ipConfigurations: members["\(gateway.id)/backendAddressPools/\(pool.name)".lowercased()] ?? [])
                })
        }
        let operationStates = operationOrder.compactMap { operations[$0] }.map {
            SimulatorState.Operation(id: $0.id, description: $0.description, status: $0.status)
        }
        return SimulatorState(
            scaleSets: sets, gateways: gatewayStates, operations: operationStates, storageAccounts: storageSnapshot())
    }
}

extension ARMRoute {
    /// Compute paths get compute's resource rate-limit header.
    var isCompute: Bool {
        switch self {
        case .scaleSet: return true
        case .operation(_, let provider, _, _, _): return provider == .compute
        default: return false
        }
    }
}
