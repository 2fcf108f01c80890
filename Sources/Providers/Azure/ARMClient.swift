public import Deployer
public import Foundation
public import JSONDocument
import Manifests

/// How a call may be retried when ARM answers 429/5xx or the connection fails.
public enum RetryRule: Sendable, Equatable {
    /// Safe to send again as is (GETs, and PUT/POSTs whose effect is the same however often they land).
    case idempotent
    /// Never re-sent blindly: the caller decides (an Application Gateway PUT carries the whole gateway,
    /// so a resend could revert another writer's change).
    case never
}

/// Limits of the client: retries, waits and the deadline of a long-running operation.
public struct ARMPolicy: Sendable {
    /// Retries of one idempotent call on 408/429/5xx or a lost connection.
    public var maxRetries = 5
    /// A `Retry-After` longer than this fails the call instead of sleeping through it.
    public var longestRetryAfter: Duration = .seconds(120)
    /// Poll interval when ARM sends no `Retry-After`.
    public var defaultPollInterval: Duration = .seconds(5)
    /// How long one long-running operation may run before deployer stops waiting and reports its id.
    public var operationDeadline: Duration = .seconds(30 * 60)

    public init() {}
}

/// One line per ARM request, for the request log (no tokens, no bodies).
public struct ARMTraceEntry: Sendable {
    public var method: String
    public var path: String
    public var status: Int?
    public var clientRequestID: String
    public var requestID: String?
    public var correlationID: String?
    public var milliseconds: Int
    public var note: String?

    public var line: String {
        var text = "\(method) \(path) → \(status.map(String.init) ?? "no answer") in \(milliseconds) ms"
        text += " client-request-id=\(clientRequestID)"
        if let requestID { text += " x-ms-request-id=\(requestID)" }
        if let correlationID { text += " x-ms-correlation-request-id=\(correlationID)" }
        if let note { text += " (\(note))" }
        return text
    }
}

/// A response ARM gave: status, headers (lower-cased names) and the parsed body.
public struct ARMResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: JSONValue?
}

/// Azure Resource Manager over HTTPS: bearer auth, retries with `Retry-After` for idempotent calls,
/// long-running operations with a deadline, paging, and typed errors with ARM's code and request ids.
public struct ARMClient: Sendable {
    public let endpoint: URL
    public let tokens: TokenCache
    public let transport: any HTTPTransport
    public let policy: ARMPolicy
    let trace: @Sendable (ARMTraceEntry) -> Void
    /// Waits between polls and retries, and the deadlines of long-running operations.
    let clock: any DeployClock

    public init(
        endpoint: URL, tokens: TokenCache, transport: any HTTPTransport, policy: ARMPolicy = ARMPolicy(),
        trace: @escaping @Sendable (ARMTraceEntry) -> Void = { _ in }, clock: any DeployClock = SystemClock()
    ) {
        self.endpoint = endpoint
        self.tokens = tokens
        self.transport = transport
        self.policy = policy
        self.trace = trace
        self.clock = clock
    }

    func sleep(_ duration: Duration) async throws { try await clock.sleep(for: duration) }

    // MARK: One call

    /// Sends one call, retrying per `retry`; throws `ARMError` for any status ≥ 400 left at the end.
    public func call(
        _ method: String, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil, ifMatch: String? = nil,
        apiVersion: String, retry: RetryRule
    ) async throws -> ARMResponse {
        let url = try resourceURL(path, query: query + [("api-version", apiVersion)])
        return try await send(method, url: url, display: path, body: body, ifMatch: ifMatch, retry: retry)
    }

    /// Sends to an absolute URL (a poll, a `nextLink`), which must be on the configured endpoint: the
    /// bearer token goes wherever we send.
    func send(
        _ method: String, url: URL, display: String, body: JSONValue? = nil, ifMatch: String? = nil, retry: RetryRule
    ) async throws -> ARMResponse {
        guard Self.sameOrigin(url, endpoint) else {
            throw ARMError(
                operation: "\(method) \(display)", status: nil, code: nil,
                message: "ARM pointed at \(url.scheme ?? "?")://\(url.host ?? "?"), not \(endpoint.absoluteString); refusing to send the token there")
        }
        var attempt = 0
        var refreshed = false
        let operation = "\(method) \(Self.shortPath(display))"
        while true {
            attempt += 1
            let token = try await tokens.token()
            let clientID = UUID().uuidString.lowercased()
            var headers = [
                "Authorization": "Bearer \(token.value)", "Accept": "application/json", "x-ms-client-request-id": clientID,
                "User-Agent": "deployer/0.1",
            ]
            if body != nil { headers["Content-Type"] = "application/json" }
            if let ifMatch { headers["If-Match"] = ifMatch }
            let request = HTTPExchangeRequest(method: method, url: url, headers: headers, body: body?.data)
            let started = ContinuousClock.now
            let response: HTTPExchangeResponse
            do {
                response = try await transport.send(request)
            } catch {
                trace(ARMTraceEntry(method: method, path: display, status: nil, clientRequestID: clientID, milliseconds: Self.ms(since: started), note: "\(error)"))
                guard retry == .idempotent || method == "GET", attempt <= policy.maxRetries else {
                    throw ARMError(operation: operation, status: nil, code: nil, message: "no answer: \(error)")
                }
                try await sleep(Self.backoff(attempt))
                continue
            }
            trace(
                ARMTraceEntry(
                    method: method, path: display, status: response.status, clientRequestID: clientID,
                    requestID: response.header("x-ms-request-id"), correlationID: response.header("x-ms-correlation-request-id"),
                    milliseconds: Self.ms(since: started), note: nil))
            if response.status < 400 {
                return ARMResponse(status: response.status, headers: response.headers, body: JSONValue.parse(response.body))
            }
            let error = ARMError.fromResponse(response, operation: operation)
            if response.status == 401, !refreshed {
                // The token may have been revoked or expired early: fetch a new one once.
                refreshed = true
                await tokens.invalidate(token)
                continue
            }
            let transient = [408, 429, 500, 502, 503, 504].contains(response.status)
            guard transient, retry == .idempotent || method == "GET", attempt <= policy.maxRetries else { throw error }
            let wait = Self.retryAfter(response) ?? Self.backoff(attempt)
            if wait > policy.longestRetryAfter {
                throw ARMError(
                    operation: error.operation, status: error.status, code: error.code,
                    message: error.message + " — ARM asks to wait \(Int(wait.seconds)) s, longer than deployer waits "
                        + "(\(Int(policy.longestRetryAfter.seconds)) s); try again later",
                    detailCodes: error.detailCodes, requestID: error.requestID, correlationID: error.correlationID)
            }
            try await sleep(wait)
        }
    }

    // MARK: Long-running operations

    /// Sends a call that may run long and waits for its end (ARM's algorithm: `Azure-AsyncOperation`,
    /// else `Location`, else the resource's `provisioningState`), within the policy's deadline.
    /// Returns the final resource (PUT/PATCH: a GET of it; POST: what the `Location` returned).
    public func longRunning(
        _ method: String, _ path: String, body: JSONValue? = nil, ifMatch: String? = nil, apiVersion: String,
        retry: RetryRule, deadline: Duration? = nil
    ) async throws -> JSONValue? {
        let initial = try await call(method, path, body: body, ifMatch: ifMatch, apiVersion: apiVersion, retry: retry)
        let allowed = deadline ?? policy.operationDeadline
        let limit = clock.now().addingTimeInterval(allowed.seconds)
        let operation = "\(method) \(Self.shortPath(path))"
        var last = initial
        if let async = initial.headers["azure-asyncoperation"], let url = URL(string: async) {
            last = try await pollStatus(url, first: initial, until: limit, allowed: allowed, operation: operation)
        } else if let location = initial.headers["location"], let url = URL(string: location), initial.status == 202 {
            return try await pollLocation(url, first: initial, until: limit, allowed: allowed, operation: operation)
        } else if ["PUT", "PATCH"].contains(method), let state = initial.body?.at("properties.provisioningState").string,
            !Self.isTerminal(state)
        {
            return try await pollResource(path, apiVersion: apiVersion, first: initial, until: limit, allowed: allowed, operation: operation)
        } else {
            return initial.body
        }
        if ["PUT", "PATCH"].contains(method) {
            return try await call("GET", path, apiVersion: apiVersion, retry: .idempotent).body
        }
        if let location = initial.headers["location"], let url = URL(string: location) {
            return try await send("GET", url: url, display: Self.displayPath(url), retry: .idempotent).body
        }
        return last.body
    }

    private func pollStatus(_ url: URL, first: ARMResponse, until limit: Date, allowed: Duration, operation: String) async throws -> ARMResponse {
        var previous = first
        while true {
            try await waitBeforePoll(previous, until: limit, allowed: allowed, operation: operation, url: url)
            let response = try await send("GET", url: url, display: Self.displayPath(url), retry: .idempotent)
            let status = response.body?.member("status").string ?? "InProgress"
            if status.caseInsensitiveCompare("Succeeded") == .orderedSame { return response }
            if Self.isTerminal(status) {
                let error = response.body?.member("error") ?? .null
                throw ARMError(
                    operation: operation, status: response.status, code: error.member("code").string ?? status,
                    message: error.member("message").string ?? "the operation ended \(status)",
                    detailCodes: error.member("details").array.compactMap { $0.member("code").string },
                    requestID: first.headers["x-ms-request-id"], correlationID: first.headers["x-ms-correlation-request-id"],
                    operationID: response.body?.member("name").string ?? url.lastPathComponent)
            }
            previous = response
        }
    }

    private func pollLocation(_ url: URL, first: ARMResponse, until limit: Date, allowed: Duration, operation: String) async throws -> JSONValue? {
        var previous = first
        while true {
            try await waitBeforePoll(previous, until: limit, allowed: allowed, operation: operation, url: url)
            let response = try await send("GET", url: url, display: Self.displayPath(url), retry: .idempotent)
            if response.status != 202 { return response.body }
            previous = response
        }
    }

    private func pollResource(
        _ path: String, apiVersion: String, first: ARMResponse, until limit: Date, allowed: Duration, operation: String
    ) async throws -> JSONValue? {
        var previous = first
        while true {
            try await waitBeforePoll(previous, until: limit, allowed: allowed, operation: operation, url: nil)
            let response = try await call("GET", path, apiVersion: apiVersion, retry: .idempotent)
            let state = response.body?.at("properties.provisioningState").string ?? "Succeeded"
            if state.caseInsensitiveCompare("Succeeded") == .orderedSame { return response.body }
            if Self.isTerminal(state) {
                throw ARMError(operation: operation, status: response.status, code: state, message: "provisioningState is \(state)")
            }
            previous = response
        }
    }

    private func waitBeforePoll(_ previous: ARMResponse, until limit: Date, allowed: Duration, operation: String, url: URL?) async throws {
        let wanted = Self.retryAfter(previous.headers) ?? policy.defaultPollInterval
        let remaining = limit.timeIntervalSince(clock.now())
        // The last poll comes at the deadline, not after it: never wait past it, never give up before it.
        let wait = min(wanted, .milliseconds(Int64(max(0, remaining) * 1000)))
        if remaining <= 0 {
            throw ARMError(
                operation: operation, status: nil, code: "OperationTimedOut",
                message: "still running when deployer's deadline (\(Int(allowed.seconds)) s) passed; "
                    + "check the operation in Azure before running it again",
                operationID: url?.lastPathComponent)
        }
        // A zero Retry-After still gets a short pause, so a server that always says 0 cannot spin us.
        try await sleep(max(wait, .milliseconds(20)))
    }

    // MARK: Paging

    /// Every item of a list, following `nextLink` (absolute, on the same endpoint).
    public func list(_ path: String, query: [(String, String)] = [], apiVersion: String) async throws -> [JSONValue] {
        var items: [JSONValue] = []
        var response = try await call("GET", path, query: query, apiVersion: apiVersion, retry: .idempotent)
        var pages = 1
        while true {
            items += response.body?.member("value").array ?? []
            guard let next = response.body?.member("nextLink").string, !next.isEmpty, let url = URL(string: next) else { return items }
            pages += 1
            // A server that pages forever must not hold a deploy: 10,000 pages is far past any scale set.
            guard pages <= 10_000 else { throw ARMError(operation: "GET \(path)", status: nil, code: nil, message: "more than 10,000 pages") }
            response = try await send("GET", url: url, display: path, retry: .idempotent)
        }
    }

    // MARK: Helpers

    func resourceURL(_ path: String, query: [(String, String)]) throws -> URL {
        var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false)
        let base = components?.path ?? ""
        components?.percentEncodedPath = (base.hasSuffix("/") ? String(base.dropLast()) : base) + Self.encodePath(path)
        components?.percentEncodedQuery = query.map { "\(Self.encodeQuery($0.0))=\(Self.encodeQuery($0.1))" }.joined(separator: "&")
        guard let url = components?.url else {
            throw ARMError(operation: path, status: nil, code: nil, message: "cannot build a URL on \(endpoint)")
        }
        return url
    }

    static func encodePath(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    static func encodeQuery(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        // `$filter` keeps its `$` and `/`, as the Azure SDK sends it.
        allowed.insert(charactersIn: "-._~$/'")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func sameOrigin(_ url: URL, _ endpoint: URL) -> Bool {
        url.scheme?.lowercased() == endpoint.scheme?.lowercased() && url.host?.lowercased() == endpoint.host?.lowercased()
            && (url.port ?? defaultPort(url)) == (endpoint.port ?? defaultPort(endpoint))
    }

    private static func defaultPort(_ url: URL) -> Int { url.scheme?.lowercased() == "http" ? 80 : 443 }

    static func isTerminal(_ state: String) -> Bool {
        ["succeeded", "failed", "canceled", "cancelled"].contains(state.lowercased())
    }

    static func retryAfter(_ response: HTTPExchangeResponse) -> Duration? { retryAfter(response.headers) }

    static func retryAfter(_ headers: [String: String]) -> Duration? {
        if let ms = headers["retry-after-ms"] ?? headers["x-ms-retry-after-ms"], let value = Int(ms) { return .milliseconds(value) }
        if let text = headers["retry-after"], let value = Int(text.trimmingCharacters(in: .whitespaces)) { return .seconds(value) }
        return nil
    }

    static func backoff(_ attempt: Int) -> Duration { .milliseconds(min(30_000, 500 * (1 << min(attempt, 6)))) }

    static func ms(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    /// `…/virtualMachineScaleSets/web/virtualMachines/3` → `virtualMachineScaleSets/web/virtualMachines/3`.
    static func shortPath(_ path: String) -> String {
        guard let range = path.range(of: "/providers/", options: .caseInsensitive) else { return path }
        let rest = path[range.upperBound...]
        let parts = rest.split(separator: "/", omittingEmptySubsequences: true)
        return parts.dropFirst().joined(separator: "/")
    }

    static func displayPath(_ url: URL) -> String { url.path }
}

/// A client of one ARM resource: where it is (subscription, group, name) and how its path is made.
public struct ARMResource: Sendable {
    public let arm: ARMClient
    public let subscription: String
    public let resourceGroup: String
    /// `Microsoft.Compute/virtualMachineScaleSets`, `Microsoft.Network/applicationGateways`, …
    public let type: String
    public let name: String

    public init(arm: ARMClient, subscription: String, resourceGroup: String, type: String, name: String) {
        self.arm = arm
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.type = type
        self.name = name
    }

    public var path: String { "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(type)/\(name)" }

    /// The resource's document (GET, retried as reads are); an empty answer is an error.
    public func document(apiVersion: String) async throws -> JSONValue {
        guard let body = try await arm.call("GET", path, apiVersion: apiVersion, retry: .idempotent).body else {
            throw ARMError(operation: "GET \(type.split(separator: "/").last ?? "")/\(name)", status: 200, code: nil, message: "empty answer")
        }
        return body
    }
}

/// A client of one ARM resource, through its `ARMResource`.
public protocol ARMResourceClient: Sendable {
    var resource: ARMResource { get }
}

extension ARMResourceClient {
    public var arm: ARMClient { resource.arm }
    public var name: String { resource.name }
    public var path: String { resource.path }
}
