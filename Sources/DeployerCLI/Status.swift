import ArgumentParser
import Deployer
import Foundation
import Manifests
import Providers

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show where every target stands, and any deploy in progress.",
        discussion: """
            For every target: in service / drained / out / unhealthy / updating, its version, and its \
            state and open sessions in every load balancer. Then who holds the lock and since when (and \
            whether its process is alive), any deploy that did not finish, and where the deploy state \
            lives. For HAProxy load balancers, what each one says about \
            each server, read live from its admin socket: admin state, health, last check, sessions, \
            weight, status. Changes nothing.
            """)

    @OptionGroup var target: EnvironmentOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        // Everything status shows of the deploy state, read in one request where the backend can.
        let workspace = try await Workspace.load(target).readingStateAtOnce()
        let context = try workspace.context(events: DiscardingEventSink())
        // HAProxy's own view, read live from every admin socket; shown even when a socket fails.
        let haproxy = await (context.traffic as? HAProxyTrafficController)?.report()
        let state: FleetState
        do {
            state = try await context.readState()
        } catch {
            if let haproxy, output.format != .json {
                Console.out(HAProxyStatus.text(haproxy))
                throw CommandFailure("error: cannot read every load balancer of \(workspace.environment.name) (above)", code: .failed)
            }
            throw CommandFailure("error: cannot read \(workspace.environment.name): \(error)", code: .failed)
        }
        let lock = try await context.lock.current()
        let unfinished = try await workspace.unfinishedJournal()
        let holderGone: Bool? = if let lock { await Identity.isGone(lock, in: workspace.store) } else { nil }
        let lockText: String? = if let lock { await Self.describe(lock, workspace) } else { nil }
        let rows = state.targets.map { Row(target: $0, state: state, inFlight: unfinished?.replay.inFlight[$0.id]) }
        switch output.format {
        case .json:
            Console.out(JSONText.pretty(Report(
                environment: workspace.environment.name, targets: rows, lock: lock,
                lockHolderGone: holderGone, lockDescription: lockText, state: workspace.store.backend.location,
                stateShared: workspace.store.backend.isShared, unfinishedDeploy: unfinished.map { UnfinishedDeploy($0.replay) },
                haproxy: haproxy?.map(HAProxyStatus.LoadBalancer.init))))
        case .text, .azurePipelines, .github:
            Console.out(text(workspace, rows: rows, pools: state.pools, lock: lockText, unfinished: unfinished?.replay))
            if let leftover = try await workspace.localLeftover() { Console.out(leftover.message(target.environment)) }
            if let haproxy { Console.out("\n" + HAProxyStatus.text(haproxy)) }
        }
    }

    struct Report: Encodable {
        var environment: String
        var targets: [Row]
        var lock: LockInfo?
        /// The holder's process no longer runs (this machine), or has not been heard from (another).
        var lockHolderGone: Bool?
        /// The lock as `status` prints it: holder, since, whether it is alive, its last journal record.
        var lockDescription: String?
        /// Where the deploy state lives, and whether other machines see it.
        var state: String
        var stateShared: Bool
        var unfinishedDeploy: UnfinishedDeploy?
        var haproxy: [HAProxyStatus.LoadBalancer]?
    }

    struct UnfinishedDeploy: Encodable {
        var id: String
        var version: String
        var finished: Int
        var inFlight: [String]
        var notStarted: Int
        init(_ replay: JournalReplay) {
            id = replay.deployID
            version = replay.version
            finished = replay.finished.count
            inFlight = replay.inFlight.keys.map(\.rawValue).sorted()
            notStarted = replay.notStarted.count
        }
    }

    struct Row: Encodable {
        var target: String
        var state: String
        var version: String?
        /// Scale sets: whether the instance runs the scale set's latest model.
        var modelApplied: Bool?
        var health: String
        var pools: [String: PoolMember]
        var deploying: Bool

        init(target: TargetSnapshot, state fleet: FleetState, inFlight: JournalReplay.InFlightTarget?) {
            self.target = target.id.rawValue
            version = target.version
            modelApplied = target.modelApplied
            health = target.health.rawValue
            let members = fleet.members[target.id] ?? [:]
            pools = Dictionary(uniqueKeysWithValues: members.map { ($0.key.rawValue, $0.value) })
            deploying = inFlight != nil
            if target.updating {
                self.state = "updating"
            } else if target.health == .unhealthy {
                self.state = "unhealthy"
            } else if fleet.isInService(target) {
                self.state = "in service"
            } else if members.values.contains(where: { $0.state == .drain }) {
                self.state = "draining"
            } else {
                self.state = "out of service"
            }
        }
    }

    /// The lock holder, whether its process is alive, and how long ago its deploy last wrote its journal.
    static func describe(_ holder: LockInfo, _ workspace: Workspace) async -> String {
        var text = LockHeld(holder: holder).description
        if await Identity.isGone(holder, in: workspace.store) {
            text += " — that process is gone" + (await Identity.goneSinceText(holder, in: workspace.store))
        } else if let heard = await Identity.lastHeard(holder, in: workspace.store) {
            text += " (\(heard))"
        }
        if let deployID = holder.deployID, let last = (try? await workspace.store.lastRecordDate(deployID)) ?? nil {
            text += "; its last journal record \(max(0, Int(Date().timeIntervalSince(last).rounded()))) s ago"
        }
        return text
    }

    private func text(_ workspace: Workspace, rows: [Row], pools: [PoolID], lock: String?, unfinished: JournalReplay?) -> String {
        var lines: [String] = ["\(workspace.environment.name): \(rows.count) target(s)"]
        let models = rows.contains { $0.modelApplied != nil }
        var table = [["target", "state", "version"] + (models ? ["model"] : []) + ["health"] + pools.map(\.rawValue)]
        let now = Date()
        for row in rows {
            var cells = [row.target, row.state + (row.deploying ? "*" : ""), row.version ?? "?"]
            if models { cells.append(row.modelApplied.map { $0 ? "latest" : "older" } ?? "?") }
            cells.append(row.health)
            for pool in pools {
                let member = row.pools[pool.rawValue]
                var cell = member?.state.rawValue ?? "absent"
                if let sessions = member?.sessions, sessions > 0 { cell += " (\(sessions) sess)" }
                if let ends = member?.drainEnds, ends > now { cell += " (connections held \(Int(ends.timeIntervalSince(now).rounded(.up))) s more)" }
                cells.append(cell)
            }
            table.append(cells)
        }
        lines += Format.table(table)
        let inService = rows.filter { $0.state == "in service" }.count
        lines.append("In service: \(inService) of \(rows.count).")
        if let lock {
            lines.append("Lock: \(lock)")
        } else {
            lines.append("Lock: free")
        }
        let state = workspace.stateDescription
        lines.append("Deploy state: \(state.location)" + (state.warning == nil ? "" : " (this machine only)"))
        if let unfinished {
            lines.append(
                "Unfinished deploy \(unfinished.deployID) of \(unfinished.version): \(unfinished.finished.count) target(s) done, "
                    + "\(unfinished.inFlight.count) in flight (*), \(unfinished.notStarted.count) not started. "
                    + "Run `deployer resume \(target.environment)` or `deployer abort \(target.environment)`.")
        }
        return lines.joined(separator: "\n")
    }
}
