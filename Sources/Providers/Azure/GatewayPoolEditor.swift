public import Deployer
import Foundation
import JSONDocument
import Manifests

/// The one writer of an Application Gateway in this process: every change to its pools goes through
/// here, one write at a time, as read → modify → PUT with `If-Match` → read again to verify. A refused
/// or lost write is never re-sent as is: the gateway is read again and the change applied anew.
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

        /// "remove 10.0.1.4" / "add 10.0.1.4".
        var description: String {
            switch self {
            case .remove(let address): return "remove \(address)"
            case .add(let address): return "add \(address)"
            }
        }

        func applied(to addresses: [String]) -> [String] {
            switch self {
            case .remove(let address): return addresses.filter { $0 != address }
            case .add(let address): return addresses.contains(address) ? addresses : addresses + [address]
            }
        }
    }

    private struct Request {
        var change: Change
        var pool: String
        var continuation: CheckedContinuation<Bool, any Error>
    }

    private var queue: [Request] = []
    private var writing = false

    /// Makes `change` true of `pool`, verified by reading the gateway back. Returns whether a write was
    /// needed (false when the pool already was as asked). Changes asked for while a write is running
    /// are made together in the next one: a batch of ten drains is one gateway PUT, not ten.
    @discardableResult
    public func apply(_ change: Change, to pool: String) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Request(change: change, pool: pool, continuation: continuation))
            if !writing {
                writing = true
                Task { await self.drainQueue() }
            }
        }
    }

    /// Writes what is queued, one read-modify-write at a time, until the queue is empty. Actor methods
    /// interleave at every `await`; this loop is the only writer, so two PUTs never race each other.
    private func drainQueue() async {
        while !queue.isEmpty {
            let batch = queue
            queue = []
            do {
                let wrote = try await write(batch.map { ($0.change, $0.pool) })
                for (request, result) in zip(batch, wrote) { request.continuation.resume(returning: result) }
            } catch {
                for request in batch { request.continuation.resume(throwing: error) }
            }
        }
        writing = false
    }

    /// One read → modify → PUT (If-Match) → read-back cycle for `changes`, again from a fresh read when
    /// the write was refused, superseded or lost. Returns, per change, whether it needed a write.
    private func write(_ changes: [(change: Change, pool: String)]) async throws -> [Bool] {
        var lastProblem = ""
        var needed: [Bool]?
        let pools = Array(Set(changes.map(\.pool))).sorted()
        func satisfied(_ gateway: ApplicationGateway) -> Bool {
            changes.allSatisfy { $0.change.satisfied(by: gateway.addresses($0.pool)) }
        }
        for attempt in 1...attempts {
            let gateway = try await client.get()
            for pool in pools where gateway.pool(pool) == nil {
                throw DeployerError("gateway \(client.name) has no backend pool \(pool)")
            }
            if needed == nil { needed = changes.map { !$0.change.satisfied(by: gateway.addresses($0.pool)) } }
            if satisfied(gateway) { return needed ?? [] }
            var document = gateway
            for pool in pools {
                let addresses = changes.filter { $0.pool == pool }.reduce(gateway.addresses(pool)) { $1.change.applied(to: $0) }
                document = ApplicationGateway(document: document.withAddresses(addresses, in: pool))
            }
            do {
                try await client.put(document.document, ifMatch: gateway.etag, deadline: deadline)
            } catch let error as ARMError {
                guard let wait = Self.retryable(error) else { throw error }
                lastProblem = Self.explain(error)
                events.emit(.notice(Notice(.info, "\(client.name): \(lastProblem); reading the gateway again (attempt \(attempt) of \(attempts))")))
                try await sleep(wait)
                continue
            }
            // The PUT reported success; only the gateway itself can say whether the change is there.
            let after = try await client.get()
            if satisfied(after) { return needed ?? [] }
            let missing = changes.filter { !$0.change.satisfied(by: after.addresses($0.pool)) }.map(\.change.description)
            lastProblem = "the write reported success but a read-back shows \(missing.joined(separator: ", ")) not done "
                + "(another writer's update replaced it)"
            events.emit(.notice(Notice(.warning, "\(client.name): \(lastProblem); applying it again")))
        }
        let what = changes.map(\.change.description).joined(separator: ", ")
        throw DeployerError(
            "could not \(what) on \(client.name) after \(attempts) attempts: \(lastProblem)",
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
