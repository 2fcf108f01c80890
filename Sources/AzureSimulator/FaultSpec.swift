import Foundation
import JSONDocument

/// One armed fault: requests whose method and path match are answered with the fault's wire
/// shape, `count` times. Same keys in scenario YAML and in `POST /_simulator/faults` JSON.
public struct FaultSpec: Sendable, Equatable, Codable {
    /// The faults the simulator can inject (the fact sheet's F1–F15).
    public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
        /// F1: 429 OperationNotAllowed/TooManyRequests with Retry-After (compute throttle).
        case throttle
        /// F2: 429 SubscriptionRequestsThrottled with Retry-After.
        case subscriptionThrottle = "subscription-throttle"
        /// F3: 429 RetryableErrorDueToAnotherOperation with Retry-After.
        case busy
        /// F4: the gateway PUT is accepted, its operation ends Canceled and the change is not applied.
        case superseded
        /// F5: 409 Conflict.
        case conflict
        /// F6: another writer changes the gateway first, so If-Match fails with 412.
        case etagMismatch = "etag-mismatch"
        /// F6b: the PUT succeeds whatever If-Match says, then another writer's stale PUT reverts it.
        case lostUpdate = "lost-update"
        /// F7: the operation ends Failed (VMExtensionProvisioningError); the instance is unhealthy.
        case lroFailed = "lro-failed"
        /// F8: the operation ends Canceled (OperationPreempted); the instance is not upgraded.
        case preempted
        /// F9: the upgrade succeeds, then the instance reports `health`.
        case unhealthy
        /// F10: the operation stays InProgress for ever.
        case stuck
        /// F11: the connection is closed without an answer.
        case reset
        /// F11: 500 InternalServerError.
        case serverError = "server-error"
        /// F11: 503 ServiceUnavailable with Retry-After.
        case unavailable
        /// F11: the answer comes after `seconds`.
        case delay
        /// F12: 400 NoRegisteredProviderFound.
        case wrongAPIVersion = "wrong-api-version"
        /// F13: the instances the request names are removed first.
        case vanished
        /// F14: 401 InvalidAuthenticationToken.
        case unauthorized
        /// F14: IMDS answers 429 too_many_requests (or `status`, e.g. 500).
        case imdsError = "imds-error"
        /// F15: `x-ms-ratelimit-remaining-subscription-writes: 3` on an otherwise normal answer.
        case ratelimitHeadroom = "ratelimit-headroom"
    }

    /// The health an instance reports after an `unhealthy` fault.
    public enum Health: String, Sendable, Equatable, Codable {
        /// `HealthState/unhealthy`.
        case unhealthy
        /// `HealthState/unknown`.
        case unknown
        /// No `vmHealth` at all.
        case absent
    }

    /// Which part of the simulator a fault may hit.
    public enum Service: String, Sendable, Equatable, Codable {
        /// The Blob service of the scenario's storage accounts (paths `/{account}/…`).
        case blob
        /// Everything else: ARM, the token endpoints, IMDS, cloud metadata.
        case arm
    }

    /// HTTP method to match (any when nil), compared case-insensitively.
    public var method: String?
    /// A case-insensitive substring of the request path.
    public var path: String
    /// What happens.
    public var kind: Kind
    /// How many matching requests the fault applies to before it is used up.
    public var count: Int
    /// Retry-After seconds for the kinds that send one (default: the scenario's timing).
    public var retryAfter: Int?
    /// Seconds for `delay`.
    public var seconds: Double?
    /// Final health for `unhealthy` (default unhealthy).
    public var health: Health?
    /// For `stuck`: InProgress polls before the operation finally succeeds (nil: never).
    public var polls: Int?
    /// For `throttle`: send the error body without its `error` wrapper, as compute sometimes does.
    public var unwrapped: Bool?
    /// For `imds-error`: the status to answer (default 429).
    public var status: Int?
    /// Only requests to this service match (any when nil): `blob` aims a fault at storage alone.
    public var service: Service?

    /// A fault matching `path` (and `method` when given).
    public init(
        method: String? = nil, path: String, kind: Kind, count: Int = 1, retryAfter: Int? = nil,
        seconds: Double? = nil, health: Health? = nil, polls: Int? = nil, unwrapped: Bool? = nil, status: Int? = nil,
        service: Service? = nil
    ) {
        self.method = method
        self.path = path
        self.kind = kind
        self.count = count
        self.retryAfter = retryAfter
        self.seconds = seconds
        self.health = health
        self.polls = polls
        self.unwrapped = unwrapped
        self.status = status
        self.service = service
    }

    enum CodingKeys: String, CodingKey {
        case method, path, kind, count, seconds, health, polls, unwrapped, status, service
        case retryAfter = "retry-after"
    }

    static let keys: Set<String> = Set(
        ["method", "path", "kind", "count", "retry-after", "seconds", "health", "polls", "unwrapped", "status", "service"])

    /// Decodes the YAML/JSON form; absent keys take their documented defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        path = try container.decodeIfPresent(String.self, forKey: .path) ?? ""
        let kindText = try container.decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: kindText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "unknown fault kind '\(kindText)' (one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.kind = kind
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        retryAfter = try container.decodeIfPresent(Int.self, forKey: .retryAfter)
        seconds = try container.decodeIfPresent(Double.self, forKey: .seconds)
        health = try container.decodeIfPresent(Health.self, forKey: .health)
        polls = try container.decodeIfPresent(Int.self, forKey: .polls)
        unwrapped = try container.decodeIfPresent(Bool.self, forKey: .unwrapped)
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        if let text = try container.decodeIfPresent(String.self, forKey: .service) {
            guard let service = Service(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .service, in: container, debugDescription: "unknown service '\(text)' (one of: blob, arm)")
            }
            self.service = service
        }
    }

    /// What is wrong with the fault's numbers, if anything.
    public func problem() -> String? {
        if count < 1 || count > 100_000 { return "count must be 1…100000 (got \(count))" }
        if let retryAfter, retryAfter < 0 || retryAfter > 3600 { return "retry-after must be 0…3600 (got \(retryAfter))" }
        if kind == .delay && (seconds ?? -1) < 0 { return "a delay fault needs seconds (e.g. seconds: 5)" }
        if let seconds, seconds > 3600 { return "seconds must be at most 3600" }
        if let status, !(400...599).contains(status) { return "status must be 400…599 (got \(status))" }
        return nil
    }

    /// Whether the fault applies to a request, before considering what the request is.
    func matches(method requestMethod: String, path requestPath: String) -> Bool {
        if let method, method.uppercased() != requestMethod.uppercased() { return false }
        return path.isEmpty || requestPath.lowercased().contains(path.lowercased())
    }
}
