import Foundation
import Manifests

/// Waits until a target has no sessions left in some pools, bounded by a timeout, reporting what it
/// waits for at every poll. Shared by deploys and by a manual drain; what a timeout means is theirs.
struct DrainWait: Sendable {
    let ctx: DeployContext
    let timeout: Duration

    /// Returns the pools that still had sessions when the timeout passed, with their counts; empty when
    /// the target drained in time.
    func run(_ target: TargetID, pools: [PoolID]) async throws -> [(pool: PoolID, sessions: Int)] {
        let began = ctx.clock.now()
        while true {
            let members = try await ctx.traffic.members(of: target)
            let open = pools.compactMap { pool -> (pool: PoolID, sessions: Int)? in
                guard let sessions = members[pool]?.sessions, sessions > 0 else { return nil }
                return (pool, sessions)
            }
            let elapsed = Duration.seconds(ctx.clock.now().timeIntervalSince(began))
            if open.isEmpty || elapsed >= timeout { return open }
            let detail = open.map { "\($0.sessions) session\($0.sessions == 1 ? "" : "s") on \($0.pool)" }
                .joined(separator: ", ")
            ctx.events.emit(
                .waiting(
                    target: target, step: .waitDrained,
                    waitingFor: "\(target) to drain on \(open.map(\.pool.rawValue).joined(separator: ", "))",
                    elapsed: elapsed, timeout: timeout, detail: detail))
            try await ctx.clock.sleep(for: ctx.pollInterval)
        }
    }

    /// "3 on lb-1, 1 on lb-2".
    static func describe(_ open: [(pool: PoolID, sessions: Int)]) -> String {
        open.map { "\($0.sessions) on \($0.pool)" }.joined(separator: ", ")
    }
}
