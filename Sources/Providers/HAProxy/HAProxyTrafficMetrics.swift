public import Deployer
import HAProxy

/// Each target's traffic as the environment's HAProxy count it (`show stat`), added up over every
/// HAProxy: responses by class (sessions, for a TCP-mode backend), 5xx, failed responses and
/// connections (`eresp`, `econ`), and the mean response time of recent requests (`rtime`).
extension HAProxyTrafficController: TrafficMetrics {
    public func counters(_ targets: [TargetID]) async throws -> [TargetID: TrafficCounters] {
        var totals: [TargetID: TrafficCounters] = [:]
        var times: [TargetID: [Double]] = [:]
        for id in pools {
            let haproxy = try pool(id)
            let rows: [StatRow]
            do {
                rows = try await haproxy.client.stat()
            } catch {
                throw HAProxyError(error.kind, "\(id): reading its statistics: \(error.message)")
            }
            for target in targets {
                guard let ref = try? haproxy.ref(target),
                    let row = rows.first(where: { $0.proxy == ref.backend.rawValue && $0.server == ref.server.rawValue })
                else { continue }
                var counters = totals[target] ?? TrafficCounters()
                counters.responses += row.responses ?? row.totalSessions ?? 0
                counters.serverErrors += row.serverErrors ?? 0
                counters.failures += (row.responseErrors ?? 0) + (row.connectionErrors ?? 0)
                totals[target] = counters
                if let milliseconds = row.responseMilliseconds, milliseconds > 0 { times[target, default: []].append(Double(milliseconds)) }
            }
        }
        for (target, values) in times where !values.isEmpty {
            totals[target]?.responseMilliseconds = values.reduce(0, +) / Double(values.count)
        }
        return totals
    }
}
