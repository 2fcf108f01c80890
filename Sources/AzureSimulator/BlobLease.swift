import Foundation
import JSONDocument

/// A blob's lease and Azure's state machine for it (Lease Blob, "Outcomes of lease operations
/// on blobs by lease state"). Time is passed in, so expiry and break periods follow whatever
/// clock the caller keeps.
struct BlobLease: Sendable, Equatable {
    /// The five states Azure reports in `x-ms-lease-state`.
    enum State: String, Sendable, Equatable {
        case available, leased, expired, breaking, broken
    }

    /// What the lease is doing as stored; `state(at:)` turns it into the reported state.
    private enum Phase: Sendable, Equatable {
        case none
        /// Held by `id`; until nil means infinite.
        case held(until: Date?)
        case breaking(until: Date)
        case broken
        case released
    }

    private var phase: Phase = .none
    /// The id of the current or last lease (kept after expiry and break, for renew and LeaseLost).
    private(set) var id: String?
    /// -1 for infinite, else 15…60 seconds.
    private(set) var duration: Int = -1
    /// Set when the blob is written while the lease is expired: it can no longer be renewed.
    private var renewable = true

    /// A failed lease operation: HTTP status and Blob error code.
    struct Refusal: Error, Equatable {
        var status: Int
        var code: String
    }

    func state(at now: Date) -> State {
        switch phase {
        case .none, .released: return .available
        case .held(let until): return until.map { now >= $0 } == true ? .expired : .leased
        case .breaking(let until): return now >= until ? .broken : .breaking
        case .broken: return .broken
        }
    }

    /// locked while leased or breaking.
    func isLocked(at now: Date) -> Bool {
        [.leased, .breaking].contains(state(at: now))
    }

    /// `infinite` or `fixed` while leased, nil otherwise (`x-ms-lease-duration`).
    func durationName(at now: Date) -> String? {
        guard state(at: now) == .leased else { return nil }
        return duration < 0 ? "infinite" : "fixed"
    }

    mutating func acquire(proposed: String?, duration seconds: Int, now: Date) throws(Refusal) -> String {
        let state = state(at: now)
        switch state {
        case .leased:
            guard let proposed, proposed == id else { throw Refusal(status: 409, code: "LeaseAlreadyPresent") }
        case .breaking:
            throw Refusal(status: 409, code: proposed != nil && proposed == id ? "LeaseIsBreakingAndCannotBeAcquired" : "LeaseAlreadyPresent")
        case .available, .expired, .broken:
            break
        }
        let newID = proposed ?? UUID().uuidString.lowercased()
        id = newID
        duration = seconds
        renewable = true
        phase = .held(until: seconds < 0 ? nil : now.addingTimeInterval(TimeInterval(seconds)))
        return newID
    }

    mutating func renew(id given: String, now: Date) throws(Refusal) {
        switch state(at: now) {
        case .available: throw Refusal(status: 409, code: "LeaseNotPresentWithLeaseOperation")
        case .breaking, .broken:
            guard given == id else { throw Refusal(status: 409, code: "LeaseIdMismatchWithLeaseOperation") }
            throw Refusal(status: 409, code: "LeaseIsBrokenAndCannotBeRenewed")
        case .expired:
            guard given == id else { throw Refusal(status: 409, code: "LeaseIdMismatchWithLeaseOperation") }
            guard renewable else { throw Refusal(status: 409, code: "LeaseNotPresentWithLeaseOperation") }
        case .leased:
            guard given == id else { throw Refusal(status: 409, code: "LeaseIdMismatchWithLeaseOperation") }
        }
        phase = .held(until: duration < 0 ? nil : now.addingTimeInterval(TimeInterval(duration)))
    }

    mutating func change(id given: String, to proposed: String, now: Date) throws(Refusal) -> String {
        switch state(at: now) {
        case .available, .expired, .broken: throw Refusal(status: 409, code: "LeaseNotPresentWithLeaseOperation")
        case .breaking:
            guard given == id || proposed == id else { throw Refusal(status: 409, code: "LeaseIdMismatchWithLeaseOperation") }
            throw Refusal(status: 409, code: "LeaseIsBreakingAndCannotBeChanged")
        case .leased:
            // Changing B to A when A already holds it succeeds: a retried change is idempotent.
            guard given == id || proposed == id else { throw Refusal(status: 409, code: "LeaseIdMismatchWithLeaseOperation") }
        }
        id = proposed
        return proposed
    }

    mutating func release(id given: String, now: Date) throws(Refusal) {
        guard state(at: now) != .available else { throw Refusal(status: 409, code: "LeaseNotPresentWithLeaseOperation") }
        guard given == id else { throw Refusal(status: 409, code: "LeaseIdMismatchWithLeaseOperation") }
        phase = .released
        id = nil
    }

    /// Breaks the lease; returns the seconds until it is broken (`x-ms-lease-time`). Without a
    /// period a fixed lease breaks when it would have expired, an infinite one at once.
    mutating func breakLease(period: Int?, now: Date) throws(Refusal) -> Int {
        switch (state(at: now), phase) {
        case (.available, _), (.expired, _):
            throw Refusal(status: 409, code: "LeaseNotPresentWithLeaseOperation")
        case (.broken, _):
            phase = .broken
            return 0
        case (.breaking, .breaking(let until)):
            let remaining = max(0, until.timeIntervalSince(now))
            let seconds = period.map { min(TimeInterval($0), remaining) } ?? remaining
            settle(breakingFor: seconds, now: now)
            return Int(seconds.rounded(.up))
        case (_, .held(let until)):
            let remaining = until.map { max(0, $0.timeIntervalSince(now)) } ?? 0
            let seconds = period.map { until == nil ? TimeInterval($0) : min(TimeInterval($0), remaining) } ?? remaining
            settle(breakingFor: seconds, now: now)
            return Int(seconds.rounded(.up))
        default:
            throw Refusal(status: 409, code: "LeaseNotPresentWithLeaseOperation")
        }
    }

    private mutating func settle(breakingFor seconds: TimeInterval, now: Date) {
        phase = seconds <= 0 ? .broken : .breaking(until: now.addingTimeInterval(seconds))
    }

    /// Whether a write (or delete, or metadata change) carrying `given` may go ahead; nil when it may.
    func refusesWrite(leaseID given: String?, now: Date) -> String? {
        let state = state(at: now)
        if isLocked(at: now) {
            guard let given else { return "LeaseIdMissing" }
            return given == id ? nil : "LeaseIdMismatchWithBlobOperation"
        }
        guard let given else { return nil }
        if [.expired, .broken].contains(state), given == id { return "LeaseLost" }
        return "LeaseNotPresentWithBlobOperation"
    }

    /// Whether a read carrying `given` may go ahead (reads without a lease id always may).
    func refusesRead(leaseID given: String?, now: Date) -> String? {
        guard given != nil else { return nil }
        return refusesWrite(leaseID: given, now: now)
    }

    /// A write happened without the lease: an expired lease can no longer be renewed.
    mutating func noteWrite(now: Date) {
        if state(at: now) == .expired { renewable = false }
    }
}
