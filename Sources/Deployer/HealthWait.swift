import Foundation
import Manifests

/// Polls a target's health until it is healthy or a timeout passes, reporting what it waits for at
/// every poll. Shared by a deploy's verify step, undoing a target and a manual restore; what an
/// unhealthy end means is theirs.
struct HealthWait: Sendable {
    let ctx: DeployContext
    let timeout: Duration
    /// Emit `waiting` events while polling.
    var reports = true

    /// The first healthy observation, or the last one seen when the timeout passed. A check that
    /// could not be made counts as unhealthy, with its error as the detail.
    func run(_ target: TargetID, waitingFor: String) async throws -> HealthObservation {
        let began = ctx.clock.now()
        while true {
            let observation: HealthObservation
            do {
                observation = try await ctx.health.check(target)
            } catch {
                observation = HealthObservation(healthy: false, detail: "\(error)")
            }
            let elapsed = Duration.seconds(ctx.clock.now().timeIntervalSince(began))
            if observation.healthy || elapsed >= timeout { return observation }
            if reports {
                ctx.events.emit(
                    .waiting(
                        target: target, step: .verify, waitingFor: waitingFor, elapsed: elapsed, timeout: timeout,
                        detail: observation.detail))
            }
            try await ctx.clock.sleep(for: ctx.pollInterval)
        }
    }
}
