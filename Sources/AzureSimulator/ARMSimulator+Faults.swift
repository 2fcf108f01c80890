import Foundation
import JSONDocument

/// Picking the fault a request meets, and the answers of the faults that replace the normal one.
extension ARMSimulator {
    /// The first armed fault matching the request's method and path that applies to what the
    /// request does, with its count consumed. Faults that only make sense for some operations
    /// (a failed upgrade, a superseded gateway PUT) wait for such a request instead of being
    /// used up by an unrelated GET whose path happens to match.
    func takeFault(request: SimulatedRequest, route: ARMRoute) -> FaultSpec? {
        guard let index = faults.firstIndex(where: {
            $0.matches(method: request.method, path: request.path) && ($0.service == nil || ($0.service == .blob) == route.isBlob)
                && Self.applies($0.kind, to: route, method: request.method)
        }) else { return nil }
        let fault = faults[index]
        if fault.count <= 1 {
            faults.remove(at: index)
        } else {
            faults[index].count -= 1
        }
        return fault
    }

    static func applies(_ kind: FaultSpec.Kind, to route: ARMRoute, method: String) -> Bool {
        if route.isBlob { return blobFaultKinds.contains(kind) }
        let gatewayPut: Bool = {
            if case .gateway = route, method == "PUT" { return true }
            return false
        }()
        let computeLRO: Bool = {
            guard case .scaleSet(_, _, _, let child) = route else { return false }
            switch child {
            case .manualUpgrade: return method == "POST"
            case .extension: return method == "PUT"
            case .model: return method == "PUT" || method == "PATCH"
            default: return false
            }
        }()
        switch kind {
        case .imdsError: return route == .imdsToken
        case .superseded, .etagMismatch, .lostUpdate: return gatewayPut
        case .lroFailed, .preempted: return computeLRO
        case .stuck: return computeLRO || gatewayPut
        case .unhealthy:
            if case .scaleSet(_, _, _, .manualUpgrade) = route { return method == "POST" }
            return false
        case .vanished:
            if case .scaleSet(_, _, _, .manualUpgrade) = route { return method == "POST" }
            return route.instanceID != nil
        default:
            return true
        }
    }

    /// The answer of a fault that replaces the normal one; nil for faults that shape the normal
    /// handling instead (delays, failed operations, vanished instances, …).
    func faultResponse(_ fault: FaultSpec?, request: SimulatedRequest, route: ARMRoute) -> SimulatedResponse? {
        guard let fault else { return nil }
        let retryAfter = String(fault.retryAfter ?? scenario.timing.retryAfter)
        switch fault.kind {
        case .throttle:
            let detail = CloudError.detail(
                "TooManyRequests",
                #"{"operationGroup":"HighCostGet30Min","startTime":"\#(OperationRecord.timestamp(Date()))","endTime":"\#(OperationRecord.timestamp(Date().addingTimeInterval(1800)))","allowedRequestCount":800,"measuredRequestCount":1238}"#,
                target: "HighCostGet30Min")
            let inner = CloudError.body(
                "OperationNotAllowed",
                "The server rejected the request because too many requests have been received for this subscription.",
                details: [detail])
            return .json(
                429, fault.unwrapped == true ? inner : ["error": inner],
                headers: ["Retry-After": retryAfter, "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/HighCostGet30Min;0"])
        case .subscriptionThrottle:
            return CloudError.response(
                429, "SubscriptionRequestsThrottled",
                "Number of requests for subscription '\(scenario.subscription)' and operation '\(request.method) \(route.resourceType)' exceeded the backend storage limit. Please try again after '\(retryAfter)' seconds.",
                headers: ["Retry-After": retryAfter])
        case .busy:
            return CloudError.response(
                429, "RetryableErrorDueToAnotherOperation",
                "Operation PutApplicationGatewayOperation (\(UUID().uuidString.lowercased())) is in progress on resource \(request.path). Retry after some time.",
                headers: ["Retry-After": retryAfter])
        case .conflict:
            return CloudError.response(
                409, "Conflict",
                "The request failed due to conflict with a concurrent request. To resolve it, please refer to https://aka.ms/activitylog to get more details on the conflicting requests.")
        case .reset:
            return SimulatedResponse(status: 0, dropConnection: true)
        case .serverError:
            return CloudError.response(500, "InternalServerError", "Encountered internal server error. Please try again.")
        case .unavailable:
            return CloudError.response(
                503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later.",
                headers: ["Retry-After": retryAfter])
        case .wrongAPIVersion:
            return CloudError.response(
                400, "NoRegisteredProviderFound",
                "No registered resource provider found for location '\(scenario.location)' and API version '\(request.queryValue("api-version") ?? "")' for type '\(route.resourceType)'. The supported api-versions are '2015-05-01-preview, 2015-06-15, 2016-03-30, 2017-03-30, 2017-12-01, 2018-04-01, 2018-06-01, 2018-10-01, 2019-03-01, 2019-07-01, 2020-06-01, 2021-03-01, 2022-03-01, 2023-07-01'. The supported locations are '\(scenario.location)'.")
        case .unauthorized:
            return CloudError.response(
                401, "InvalidAuthenticationToken", "The access token is invalid.",
                headers: ["WWW-Authenticate": wwwAuthenticate(request, error: "invalid_token")])
        case .imdsError:
            let status = fault.status ?? 429
            if status == 429 {
                return .json(
                    429, ["error": "too_many_requests", "error_description": "Too many requests to the identity endpoint; retry later."],
                    headers: ["Retry-After": retryAfter])
            }
            return .json(status, ["error": "unknown_error", "error_description": .string("The identity endpoint failed with status \(status).")])
        case .delay, .ratelimitHeadroom, .superseded, .etagMismatch, .lostUpdate, .lroFailed, .preempted, .unhealthy, .stuck,
            .vanished:
            return nil
        }
    }

    func wwwAuthenticate(_ request: SimulatedRequest, error: String) -> String {
        "Bearer authorization_uri=\"\(request.baseURL)/\(scenario.tenant)\", error=\"\(error)\", error_description=\"The access token is missing or invalid\""
    }
}
