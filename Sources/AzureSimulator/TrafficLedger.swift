import Foundation
import JSONDocument

/// What each gateway's backend servers have served, as a history of steady stretches: a server keeps
/// one behaviour (rate, error share, response time) until it leaves a pool, its instance starts or
/// ends an upgrade, or the version it runs changes. Totals over any window are exact integrals of
/// that history, so a metrics query at any grain gives the same sums a real gateway would count.
struct TrafficLedger: Sendable {
    /// How a server answers while nothing changes.
    struct Behaviour: Sendable, Equatable {
        /// Requests per second.
        var rate: Double
        /// The share answered with a 5xx.
        var errorShare: Double
        /// Mean response time, in milliseconds.
        var milliseconds: Double
    }

    struct Stretch: Sendable {
        var start: Date
        var end: Date?
        var behaviour: Behaviour
        /// The backend pool the server was in.
        var pool: String
    }

    /// What one server served over a window.
    struct Totals: Sendable, Equatable {
        var requests = 0.0
        var errors = 0.0
        /// Sum of response times × requests, for a weighted mean.
        var weightedMilliseconds = 0.0
        var minimumMilliseconds: Double?
        var maximumMilliseconds: Double?

        var meanMilliseconds: Double? { requests > 0 ? weightedMilliseconds / requests : nil }
    }

    /// Stretches by gateway id (lower-cased), then server address.
    private(set) var servers: [String: [String: [Stretch]]] = [:]
    static let stretchLimit = 10_000

    /// Records that, from `now`, `gateway`'s serving servers are `serving` (address → pool and
    /// behaviour); servers missing from it serve nothing.
    mutating func observe(_ now: Date, gateway: String, serving: [String: (pool: String, behaviour: Behaviour)]) {
        var known = servers[gateway] ?? [:]
        for (address, var stretches) in known {
            guard let last = stretches.last, last.end == nil else { continue }
            let current = serving[address]
            if current?.behaviour != last.behaviour || current?.pool != last.pool {
                stretches[stretches.count - 1].end = now
                known[address] = stretches
            }
        }
        for (address, entry) in serving {
            var stretches = known[address] ?? []
            if let last = stretches.last, last.end == nil { continue }
            stretches.append(Stretch(start: now, end: nil, behaviour: entry.behaviour, pool: entry.pool))
            if stretches.count > Self.stretchLimit { stretches.removeFirst(stretches.count - Self.stretchLimit) }
            known[address] = stretches
        }
        servers[gateway] = known
    }

    /// What `address` of `gateway` served from `start` to `end` (the ledger's open stretches run to `now`).
    func totals(gateway: String, address: String, from start: Date, to end: Date, now: Date) -> [String: Totals] {
        var byPool: [String: Totals] = [:]
        for stretch in servers[gateway]?[address] ?? [] {
            let from = max(start, stretch.start)
            let to = min(end, stretch.end ?? now, now)
            guard to > from else { continue }
            let requests = stretch.behaviour.rate * to.timeIntervalSince(from)
            guard requests > 0 else { continue }
            var totals = byPool[stretch.pool] ?? Totals()
            totals.requests += requests
            totals.errors += requests * stretch.behaviour.errorShare
            totals.weightedMilliseconds += requests * stretch.behaviour.milliseconds
            totals.minimumMilliseconds = min(totals.minimumMilliseconds ?? .infinity, stretch.behaviour.milliseconds)
            totals.maximumMilliseconds = max(totals.maximumMilliseconds ?? 0, stretch.behaviour.milliseconds)
            byPool[stretch.pool] = totals
        }
        return byPool
    }

    /// Every server address a gateway has ever had.
    func addresses(gateway: String) -> [String] {
        (servers[gateway] ?? [:]).keys.sorted()
    }
}
