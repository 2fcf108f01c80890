public import Deployer
public import Foundation
import JSONDocument

/// Each scale-set instance's traffic as its Application Gateways count it, read through the Azure
/// Monitor metrics REST API (`GET {gateway}/providers/Microsoft.Insights/metrics`): responses by
/// backend server and status class (`BackendResponseStatus`, 5xx being the errors) and the mean
/// time to the last byte of the response (`BackendLastByteResponseTime`), added up over every gateway.
/// An instance is its private IP there.
///
/// Counters are totals from the first sample on (each sample asks for the whole span, in one data
/// point), so the engine's deltas between samples are exact. Azure publishes these metrics about a
/// minute late, so a bake sees the last minute or so of its traffic only at a later sample.
/// The gateway does not count failed connections per server: `failures` stays 0.
public actor ApplicationGatewayTrafficMetrics: TrafficMetrics {
    /// The Microsoft.Insights metrics api-version.
    public static let monitorVersion = "2023-10-01"
    /// Servers per query: the `$filter` names each one, and a URL stays well under ARM's limits.
    static let serversPerQuery = 40

    let gateways: [ApplicationGatewayClient]
    let directory: ScaleSetDirectory
    private let now: @Sendable () -> Date
    private var since: Date?

    public init(gateways: [ApplicationGatewayClient], directory: ScaleSetDirectory, now: @escaping @Sendable () -> Date = { Date() }) {
        var seen = Set<String>()
        self.gateways = gateways.filter { seen.insert("\($0.arm.endpoint.absoluteString)|\($0.path.lowercased())").inserted }
        self.directory = directory
        self.now = now
    }

    public func counters(_ targets: [TargetID]) async throws -> [TargetID: TrafficCounters] {
        let end = now()
        // The first sample starts the span a minute back: the API wants a span, and a minute of history
        // only moves the baseline every later delta is taken from.
        let start = since ?? end.addingTimeInterval(-60)
        since = start
        let addresses = try await directory.addresses(of: targets)
        var targetsByAddress: [String: TargetID] = [:]
        for (target, address) in addresses { targetsByAddress[address] = target }
        var totals: [TargetID: TrafficCounters] = [:]
        for target in targets where addresses[target] != nil { totals[target] = TrafficCounters() }
        var times: [TargetID: [Double]] = [:]
        let servers = targetsByAddress.keys.sorted()
        for gateway in gateways {
            for chunk in stride(from: 0, to: servers.count, by: Self.serversPerQuery) {
                let names = Array(servers[chunk..<min(servers.count, chunk + Self.serversPerQuery)])
                let serverFilter = names.map { "BackendServer eq '\($0)'" }.joined(separator: " or ")
                let statuses = try await series(
                    gateway, metric: "BackendResponseStatus", aggregation: "Total",
                    filter: "\(serverFilter) and HttpStatusGroup eq '*'", top: names.count * 5, from: start, to: end)
                for item in statuses {
                    guard let target = item.dimensions["backendserver"].flatMap({ targetsByAddress[$0] }), let value = item.value else { continue }
                    let count = Int(value.rounded())
                    totals[target, default: TrafficCounters()].responses += count
                    if item.dimensions["httpstatusgroup"]?.lowercased() == "5xx" { totals[target, default: TrafficCounters()].serverErrors += count }
                }
                let latencies = try await series(
                    gateway, metric: "BackendLastByteResponseTime", aggregation: "Average", filter: serverFilter, top: names.count,
                    from: start, to: end)
                for item in latencies {
                    guard let target = item.dimensions["backendserver"].flatMap({ targetsByAddress[$0] }), let value = item.value else { continue }
                    times[target, default: []].append(value)
                }
            }
        }
        for (target, values) in times where !values.isEmpty {
            totals[target]?.responseMilliseconds = values.reduce(0, +) / Double(values.count)
        }
        return totals
    }

    struct Series {
        var dimensions: [String: String]
        /// The aggregation's value over the span (nil when the span had no data).
        var value: Double?
    }

    private func series(
        _ gateway: ApplicationGatewayClient, metric: String, aggregation: String, filter: String, top: Int, from start: Date, to end: Date
    ) async throws -> [Series] {
        let response: ARMResponse
        do {
            response = try await gateway.arm.call(
                "GET", gateway.path + "/providers/Microsoft.Insights/metrics",
                query: [
                    ("timespan", "\(Self.time(start))/\(Self.time(end))"), ("interval", "FULL"), ("metricnames", metric),
                    ("aggregation", aggregation), ("$filter", filter), ("top", String(max(10, top))),
                    ("metricnamespace", "Microsoft.Network/applicationGateways"),
                ],
                apiVersion: Self.monitorVersion, retry: .idempotent)
        } catch let error as ARMError {
            throw DeployerError(
                "\(gateway.name): reading its \(metric) metric from Azure Monitor: \(error.message)",
                hint: error.status == 403
                    ? "The identity needs Microsoft.Insights/metrics/read on the gateway (the Monitoring Reader role)." : nil)
        }
        let key = aggregation.lowercased()
        var result: [Series] = []
        for item in response.body?.member("value").array ?? [] where (item.at("name.value").string ?? "").caseInsensitiveCompare(metric) == .orderedSame {
            for series in item.member("timeseries").array {
                var dimensions: [String: String] = [:]
                for entry in series.member("metadatavalues").array {
                    guard let name = entry.at("name.value").string, let value = entry.member("value").string else { continue }
                    dimensions[name.lowercased()] = value
                }
                let values = series.member("data").array.compactMap { $0.member(key).number }
                let value: Double? =
                    values.isEmpty ? nil : key == "average" ? values.reduce(0, +) / Double(values.count) : values.reduce(0, +)
                result.append(Series(dimensions: dimensions, value: value))
            }
        }
        return result
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
