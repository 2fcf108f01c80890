public import Deployer
import Foundation
import Manifests

/// The one writer of an Application Gateway in this process: every change to its pools goes through
/// here, one at a time, as read → modify → PUT with `If-Match` → read again to verify. A refused or
/// lost write is never re-sent as is: the gateway is read again and the change applied anew.
public actor GatewayPoolEditor {
    public let client: ApplicationGatewayClient
    let events: any EventSink
    let sleep: @Sendable (Duration) async throws -> Void
    /// Attempts per change before giving up (each one reads, writes and verifies).
    let attempts: Int
    let deadline: Duration?

    public init(
        client: ApplicationGatewayClient, events: any EventSink, attempts: Int = 6, deadline: Duration? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.client = client
        self.events = events
        self.attempts = attempts
        self.deadline = deadline
        self.sleep = sleep
    }

    public enum Change: Sendable, Equatable {
        case remove(String)
        case add(String)

        var address: String {
            switch self {
            case .remove(let address), .add(let address): return address
            }
        }

        func satisfied(by addresses: [String]) -> Bool {
            switch self {
            case .remove(let address): return !addresses.contains(address)
            case .add(let address): return addresses.contains(address)
            }
        }

        func applied(to addresses: [String]) -> [String] {
            switch self {
            case .remove(let address): return addresses.filter { $0 != address }
            case .add(let address): return addresses.contains(address) ? addresses : addresses + [address]
            }
        }
    }

    /// Makes `change` true of `pool` and returns the gateway as read back afterwards. Returns whether a
    /// write was needed (false when the pool already was as asked).
    @discardableResult
    public func apply(_ change: Change, to pool: String) async throws -> Bool {
        var lastProblem = ""
        for attempt in 1...attempts {
            let gateway = try await client.get()
            guard gateway.pool(pool) != nil else {
                throw DeployerError("gateway \(client.name) has no backend pool \(pool)")
            }
            let before = gateway.addresses(pool)
            if change.satisfied(by: before) { return attempt > 1 }
            do {
                try await client.put(gateway.withAddresses(change.applied(to: before), in: pool), ifMatch: gateway.etag, deadline: deadline)
            } catch let error as ARMError {
                guard let wait = Self.retryable(error) else { throw error }
                lastProblem = Self.explain(error)
                events.emit(.notice(Notice(.info, "\(client.name)/\(pool): \(lastProblem); reading the gateway again (attempt \(attempt) of \(attempts))")))
                try await sleep(wait)
                continue
            }
            // The PUT reported success; only the gateway itself can say whether the change is there.
            let after = try await client.get()
            if change.satisfied(by: after.addresses(pool)) { return true }
            lastProblem = "the write reported success but a read-back shows \(change.address) "
                + (change == .add(change.address) ? "still missing" : "still present") + " (another writer's update replaced it)"
            events.emit(.notice(Notice(.warning, "\(client.name)/\(pool): \(lastProblem); applying it again")))
        }
        throw DeployerError(
            "could not \(change == .add(change.address) ? "add \(change.address) to" : "remove \(change.address) from") "
                + "\(client.name)/\(pool) after \(attempts) attempts: \(lastProblem)",
            hint: "Another process keeps writing this gateway. Check it in Azure; `deployer status` shows which instances are out.")
    }

    /// How long to wait before reading again after a refused write, or nil when the error is final.
    static func retryable(_ error: ARMError) -> Duration? {
        if error.status == 412 || error.has("PreconditionFailed") || error.has("PreconditionFailedEtagMismatch") { return .zero }
        if error.has("CanceledAndSupersededDueToAnotherOperation") || error.has("Canceled") { return .zero }
        if error.status == 429 || error.has("RetryableErrorDueToAnotherOperation") || error.has("RetryableError")
            || error.has("InternalRetriableError")
        {
            return min(error.retryAfter ?? .seconds(2), .seconds(60))
        }
        if error.status == 409 { return error.retryAfter ?? .seconds(2) }
        if error.status == nil, error.code == nil { return .seconds(1) }  // no answer: the write may or may not have landed
        if let status = error.status, [500, 502, 503, 504].contains(status) { return error.retryAfter ?? .seconds(2) }
        return nil
    }

    static func explain(_ error: ARMError) -> String {
        if error.status == 412 || error.has("PreconditionFailed") { return "the gateway changed since it was read (412 PreconditionFailed)" }
        if error.has("CanceledAndSupersededDueToAnotherOperation") { return "the write was superseded by another operation" }
        if error.status == 429 { return "the gateway is busy with another operation (\(error.code ?? "429"))" }
        return error.description
    }
}
