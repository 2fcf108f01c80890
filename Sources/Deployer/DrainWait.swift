import Foundation
import Manifests

/// Waits until a target has no sessions left in some pools, bounded by a timeout, reporting what it
/// waits for at every poll. Shared by deploys and by a manual drain; what a timeout means is theirs.
struct DrainWait: Sendable {
    let ctx: DeployContext
    let timeout: Duration

    /// Returns the pools that still had sessions when the timeout passed, with their counts; empty when
    /// the target drained in time.
    /// `sessions` is nil for a pool that cannot count them but still holds connections (connection
    /// draining with a fixed timeout).
    /// `stopWhen` is asked at every poll; when it answers true the wait ends by throwing `Stopped`.
    func run(
        _ target: TargetID, pools: [PoolID], stopWhen: @Sendable () -> Bool = { false }
    ) async throws -> [(pool: PoolID, sessions: Int?)] {
        let began = ctx.clock.now()
        while true {
            if stopWhen() { throw Stopped() }
            let members = try await ctx.traffic.members(of: target)
            let now = ctx.clock.now()
            let open = pools.compactMap { pool -> (pool: PoolID, sessions: Int?)? in
                if let sessions = members[pool]?.sessions, sessions > 0 { return (pool, sessions) }
                if let ends = members[pool]?.drainEnds, ends > now { return (pool, nil) }
                return nil
            }
            let elapsed = Duration.seconds(ctx.clock.now().timeIntervalSince(began))
            if open.isEmpty || elapsed >= timeout { return open }
            let detail = open.map { entry in
                guard let sessions = entry.sessions else {
                    let left = members[entry.pool]?.drainEnds.map { max(0, Int($0.timeIntervalSince(now).rounded(.up))) } ?? 0
                    return "connection draining on \(entry.pool), \(left) s left"
                }
                return "\(sessions) session\(sessions == 1 ? "" : "s") on \(entry.pool)"
            }
            .joined(separator: ", ")
            ctx.events.emit(
                .waiting(
                    target: target, step: .waitDrained,
                    waitingFor: "\(target) to drain on \(open.map(\.pool.rawValue).joined(separator: ", "))",
                    elapsed: elapsed, timeout: timeout, detail: detail))
            // A pool that cannot count sessions only says when its draining ends: sleep until then
            // (within the timeout) instead of asking again and again.
            var pause = ctx.pollInterval
            if open.allSatisfy({ $0.sessions == nil }),
                let ends = open.compactMap({ members[$0.pool]?.drainEnds }).min()
            {
                let untilEnd = Duration.seconds(max(0, ends.timeIntervalSince(now)))
                pause = max(pause, min(untilEnd, timeout - elapsed))
            }
            try await ctx.clock.sleep(for: pause)
        }
    }

    /// The wait was stopped by its `stopWhen` (an interrupt or an abort) before the target drained.
    struct Stopped: Error {}

    /// "3 session(s) on lb-1, connections still draining on appgw/pool".
    static func describe(_ open: [(pool: PoolID, sessions: Int?)]) -> String {
        open.map { entry in
            entry.sessions.map { "\($0) session(s) on \(entry.pool)" } ?? "connections still draining on \(entry.pool)"
        }
        .joined(separator: ", ")
    }
}
