import Foundation
public import Deployer
import HAProxy

/// Every HAProxy of an environment seen as one traffic controller: each HAProxy is a pool, a target
/// is out of service only when it is out of every one of them.
///
/// - Every read asks each HAProxy, in one round trip, for `show servers state` (the typed admin and
///   operational state), `show stat` (current sessions) and `show info` (which process answers). A server that the
///   environment maps but its backend lacks makes the read fail, so a deploy never starts on a wrong
///   mapping; an unreachable HAProxy makes it fail too (fail closed).
/// - Every change is read back to be confirmed (`RuntimeAPIClient.setState`).
/// - HAProxy forgets runtime changes when it reloads (unless a server-state file is configured). The
///   controller remembers the states it set that differ from `ready`, watches each HAProxy's process
///   identity while it holds any, and sets them again on a new process.
public actor HAProxyTrafficController: TrafficController {
    public nonisolated let pools: [PoolID]
    private let byID: [PoolID: HAProxyPool]
    private let events: any EventSink
    /// Each HAProxy's process identity when first seen (pid and start time).
    private var generations: [PoolID: String] = [:]
    /// States this controller set and must keep while HAProxy may reload.
    private var held: [PoolID: [TargetID: MemberState]] = [:]
    private var watcher: Task<Void, Never>?
    private let watchInterval: Duration

    public init(_ pools: [HAProxyPool], events: any EventSink = DiscardingEventSink(), watchInterval: Duration = .milliseconds(200)) {
        self.pools = pools.map(\.id)
        self.byID = Dictionary(uniqueKeysWithValues: pools.map { ($0.id, $0) })
        self.events = events
        self.watchInterval = watchInterval
    }

    deinit { watcher?.cancel() }

    // MARK: TrafficController

    public func members() async throws -> [TargetID: [PoolID: PoolMember]] {
        let reads = try await readAll()
        var result: [TargetID: [PoolID: PoolMember]] = [:]
        for (pool, members) in reads {
            for (target, member) in members { result[target, default: [:]][pool] = member }
        }
        return result
    }

    public func setState(_ state: MemberState, of target: TargetID, in pool: PoolID) async throws {
        let haproxy = try self.pool(pool)
        let ref = try haproxy.ref(target)
        let admin: RuntimeCommand.AdminTarget
        switch state {
        case .ready: admin = .ready
        case .drain: admin = .drain
        case .maint: admin = .maint
        case .absent:
            throw HAProxyError(.invalidArgument, "\(pool): deployer does not add or remove HAProxy servers (\(ref))")
        }
        if generations[pool] == nil { generations[pool] = try? await haproxy.client.info().generation }
        do {
            try await haproxy.client.setState(admin, of: ref)
        } catch {
            throw HAProxyError(error.kind, "\(pool): \(error.message)")
        }
        if state == .ready {
            held[pool]?[target] = nil
        } else {
            held[pool, default: [:]][target] = state
            startWatching()
        }
    }

    public func shutdownSessions(of target: TargetID, in pool: PoolID) async throws {
        let haproxy = try self.pool(pool)
        let ref = try haproxy.ref(target)
        do {
            try await haproxy.client.shutdownSessions(of: ref)
            // The streams are killed asynchronously: confirm the count reaches zero, briefly.
            let deadline = ContinuousClock.now + .seconds(5)
            while true {
                let sessions = try await haproxy.client.stat()
                    .first { $0.proxy == ref.backend.rawValue && $0.server == ref.server.rawValue }?.sessions ?? 0
                if sessions == 0 { return }
                guard ContinuousClock.now < deadline else {
                    throw HAProxyError(.notConfirmed, "\(ref) still has \(sessions) session(s) after `shutdown sessions`")
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        } catch let error as HAProxyError {
            throw HAProxyError(error.kind, "\(pool): \(error.message)")
        }
    }

    // MARK: Reading

    func pool(_ id: PoolID) throws(HAProxyError) -> HAProxyPool {
        guard let pool = byID[id] else { throw HAProxyError(.invalidArgument, "no HAProxy named \(id) in this environment") }
        return pool
    }

    /// Reads every HAProxy at once; fails when any cannot be read or lacks a mapped server.
    private func readAll() async throws -> [PoolID: [TargetID: PoolMember]] {
        let reports = await report()
        var problems: [String] = []
        var result: [PoolID: [TargetID: PoolMember]] = [:]
        for report in reports {
            if let error = report.error {
                problems.append(error)
                continue
            }
            if let generation = report.process?.generation { await noticeReload(report.pool, generation: generation) }
            let missing = report.servers.filter { $0.state == nil }
            for server in missing {
                problems.append(
                    "\(report.pool): backend \(report.backend) has no server \(server.server) (target \(server.target)); "
                        + "fix the environment's server names or the HAProxy configuration")
            }
            var members: [TargetID: PoolMember] = [:]
            for server in report.servers {
                guard let state = server.state else { continue }
                members[server.target] = PoolMember(
                    state: MemberState(state.adminState), sessions: server.stat?.sessions, checkUp: state.isUp && (server.stat?.checkFullyUp ?? true))
            }
            result[report.pool] = members
        }
        if !problems.isEmpty {
            throw HAProxyError(.refused, problems.joined(separator: "\n") + "\nNothing was changed.")
        }
        return result
    }

    /// What every HAProxy says about the environment's servers, read at once; a HAProxy that cannot
    /// be read carries its error instead.
    public func report() async -> [HAProxyPoolReport] {
        let pools = self.pools.compactMap { byID[$0] }
        return await withTaskGroup(of: HAProxyPoolReport.self) { group in
            for pool in pools { group.addTask { await Self.read(pool) } }
            var reports: [PoolID: HAProxyPoolReport] = [:]
            for await report in group { reports[report.pool] = report }
            return self.pools.compactMap { reports[$0] }
        }
    }

    private static func read(_ pool: HAProxyPool) async -> HAProxyPoolReport {
        var report = HAProxyPoolReport(
            pool: pool.id, endpoint: pool.client.transport.endpoint, backend: pool.backend.rawValue, process: nil,
            servers: [], error: nil)
        do {
            let (process, servers, rows) = try await pool.client.snapshot(backend: pool.backend)
            report.process = process
            let byName = Dictionary(servers.map { ($0.server, $0) }, uniquingKeysWith: { first, _ in first })
            let statByName = Dictionary(
                rows.filter { $0.proxy == pool.backend.rawValue }.map { ($0.server, $0) }, uniquingKeysWith: { first, _ in first })
            report.servers = pool.servers.sorted { $0.key.rawValue < $1.key.rawValue }.map { target, server in
                HAProxyServerReport(
                    target: target, server: server.rawValue, state: byName[server.rawValue], stat: statByName[server.rawValue])
            }
        } catch {
            report.error = "\(pool.id): \(error.message)"
            if error.kind == .unreachable || error.kind == .timeout {
                report.error! += " (is HAProxy running there, with a `stats socket … level admin` line for this socket in its configuration?)"
            }
        }
        return report
    }

    // MARK: Reloads

    /// Called with each HAProxy's process identity as it is read: a new one has forgotten the
    /// states this controller holds, so they are set again.
    private func noticeReload(_ pool: PoolID, generation: String) async {
        guard let known = generations[pool] else {
            generations[pool] = generation
            return
        }
        guard known != generation else { return }
        generations[pool] = generation
        let states = held[pool] ?? [:]
        guard !states.isEmpty, let haproxy = byID[pool] else {
            events.emit(.notice(Notice(.info, "\(pool) reloaded (process \(known) → \(generation)); nothing to re-apply")))
            return
        }
        var applied: [String] = []
        var failed: [String] = []
        for (target, state) in states.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            guard let ref = try? haproxy.ref(target), let admin = RuntimeCommand.AdminTarget(rawValue: state.rawValue) else { continue }
            do {
                try await haproxy.client.setState(admin, of: ref)
                applied.append("\(state.rawValue) on \(target)")
            } catch {
                failed.append("\(target): \(error)")
            }
        }
        var message = "\(pool) reloaded (process \(known) → \(generation)) and forgot its runtime state; re-applied "
            + applied.joined(separator: ", ")
        if !failed.isEmpty { message += "; could not re-apply: " + failed.joined(separator: "; ") }
        events.emit(.notice(Notice(.warning, message)))
    }

    private func startWatching() {
        guard watcher == nil else { return }
        let interval = watchInterval
        watcher = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, await self.watch() else { return }
            }
        }
    }

    /// One look at the process identity of every HAProxy holding states; false when none does.
    private func watch() async -> Bool {
        let pools = held.filter { !$0.value.isEmpty }.keys.sorted { $0.rawValue < $1.rawValue }
        guard !pools.isEmpty else {
            watcher = nil
            return false
        }
        for pool in pools {
            guard let haproxy = byID[pool], let info = try? await haproxy.client.info() else { continue }
            await noticeReload(pool, generation: info.generation)
        }
        return true
    }
}

extension MemberState {
    init(_ admin: RuntimeCommand.AdminTarget) {
        switch admin {
        case .ready: self = .ready
        case .drain: self = .drain
        case .maint: self = .maint
        }
    }
}
