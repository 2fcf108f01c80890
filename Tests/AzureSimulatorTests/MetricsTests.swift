import AzureSimulator
import Foundation
import JSONDocument
import Synchronization
import Testing

/// The gateway's Azure Monitor metrics, on a traffic clock the test moves by hand.
@Suite struct MetricsTests {
    final class Clock: Sendable {
        let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
        var date: Date { now.withLock { $0 } }
    }

    static let metrics = Harness.gateway + "/providers/Microsoft.Insights/metrics"

    func harness(_ clock: Clock, configure: (inout SimulatorScenario) -> Void = { _ in }) async -> Harness {
        let simulator = ARMSimulator(scenario: Harness.scenario(configure: configure), trafficClock: { clock.date })
        return Harness(simulator: simulator, token: await simulator.token())
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }

    /// Series of one metric as [dimension values joined by "|": first data point's aggregation].
    static func series(_ body: JSONValue?, metric: Int = 0, aggregation: String = "total") -> [String: Double] {
        var result: [String: Double] = [:]
        for series in body?["value"]?.arrayValue?[metric]["timeseries"]?.arrayValue ?? [] {
            let key = (series["metadatavalues"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }.joined(separator: "|")
            let points = series["data"]?.arrayValue ?? []
            result[key] = points.compactMap { point -> Double? in
                if case .double(let value) = point[aggregation] { return value }
                return point[aggregation]?.intValue.map(Double.init)
            }.reduce(0, +)
        }
        return result
    }

    func query(_ sim: Harness, from: Date, to: Date, metric: String = "BackendResponseStatus", extra: String = "") async -> SimulatedResponse {
        let filter = metric == "BackendResponseStatus" ? "BackendServer eq '*' and HttpStatusGroup eq '*'" : "BackendServer eq '*'"
        var components = URLComponents()
        components.queryItems = [
            URLQueryItem(name: "api-version", value: "2023-10-01"),
            URLQueryItem(name: "timespan", value: "\(Self.time(from))/\(Self.time(to))"),
            URLQueryItem(name: "interval", value: "FULL"),
            URLQueryItem(name: "metricnames", value: metric),
            URLQueryItem(name: "$filter", value: filter),
            URLQueryItem(name: "top", value: "100"),
        ]
        let query = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "$", with: "%24") + extra
        return await sim.get(Self.metrics, query: query)
    }

    @Test func responsesPerServerFollowWhatEachInstanceRuns() async throws {
        let clock = Clock()
        let sim = await harness(clock)
        let start = clock.date
        clock.advance(60)
        let first = await query(sim, from: start, to: clock.date)
        #expect(first.status == 200)
        #expect(first.json?["interval"] == "FULL")
        #expect(first.json?[path: ["value"]]?.arrayValue?.first?["unit"] == "Count")
        #expect(
            Self.series(first.json) == [
                "10.0.1.4|2xx": 1200, "10.0.1.5|2xx": 1200, "10.0.1.6|2xx": 1200, "10.0.1.7|2xx": 1200,
            ])

        // Instance 1 gets a faulty version: one request in five answers 5xx from then on.
        #expect(await sim.bumpExtension(tag: "v7-faulty").status < 300)
        let upgrade = await sim.upgrade(["1"])
        if let operation = upgrade.header("Azure-AsyncOperation") { _ = await sim.waitForOperation(operation) }
        let changed = clock.date
        clock.advance(60)
        let second = Self.series(await query(sim, from: changed, to: clock.date).json)
        #expect(second["10.0.1.5|2xx"] == 960)
        #expect(second["10.0.1.5|5xx"] == 240)
        #expect(second["10.0.1.4|2xx"] == 1200)
        #expect(second["10.0.1.4|5xx"] == nil)

        // The whole window adds up both stretches.
        let whole = Self.series(await query(sim, from: start, to: clock.date).json)
        #expect(whole["10.0.1.5|2xx"] == 2160)

        // Out of the pool, a server serves nothing.
        let gateway = try #require(await sim.get(Harness.gateway).json)
        let put = await sim.send("PUT", Harness.gateway, body: Harness.removing("10.0.1.4", from: gateway))
        if let operation = put.header("Azure-AsyncOperation") { _ = await sim.waitForOperation(operation) }
        let removed = clock.date
        clock.advance(30)
        let third = Self.series(await query(sim, from: removed, to: clock.date).json)
        #expect(third["10.0.1.4|2xx"] == nil)
        #expect(third["10.0.1.6|2xx"] == 600)
    }

    @Test func responseTimeAveragesByServerAndSlowVersionsTakeLonger() async throws {
        let clock = Clock()
        let sim = await harness(clock) { $0.gateways[0].traffic.responseMilliseconds = 25 }
        #expect(await sim.bumpExtension(tag: "v7-slow").status < 300)
        let upgrade = await sim.upgrade(["2"])
        if let operation = upgrade.header("Azure-AsyncOperation") { _ = await sim.waitForOperation(operation) }
        let start = clock.date
        clock.advance(120)
        let response = await query(sim, from: start, to: clock.date, metric: "BackendLastByteResponseTime", extra: "&aggregation=Average")
        #expect(response.json?[path: ["value"]]?.arrayValue?.first?["unit"] == "MilliSeconds")
        let averages = Self.series(response.json, aggregation: "average")
        #expect(averages == ["10.0.1.4": 25, "10.0.1.5": 25, "10.0.1.6": 100, "10.0.1.7": 25])
    }

    @Test func minuteGrainGivesOnePointPerMinute() async throws {
        let clock = Clock()
        let sim = await harness(clock)
        let start = clock.date
        clock.advance(180)
        let query = "api-version=2023-10-01&metricnames=BackendResponseStatus&interval=PT1M&aggregation=Total"
            + "&timespan=\(Self.time(start))/\(Self.time(clock.date))"
        let body = try #require(await sim.get(Self.metrics, query: query).json)
        let series = try #require(body["value"]?.arrayValue?.first?["timeseries"]?.arrayValue)
        // No filter: one series for the whole gateway, not split by any dimension.
        #expect(series.count == 1)
        #expect(series[0]["metadatavalues"] == [])
        #expect(series[0]["data"]?.arrayValue?.map { $0["total"]?.intValue } == [4800, 4800, 4800])

        // Servers named in the filter: one series each; `rollupby` adds them up instead.
        let named = "&%24filter=BackendServer%20eq%20%2710.0.1.4%27%20or%20BackendServer%20eq%20%2710.0.1.6%27"
        let split = Self.series(await sim.get(Self.metrics, query: query + named).json)
        #expect(split == ["10.0.1.4": 3600, "10.0.1.6": 3600])
        let rolled = Self.series(await sim.get(Self.metrics, query: query + named + "&rollupby=BackendServer").json)
        #expect(rolled == ["": 7200])
    }

    @Test func badQueriesAnswerAsAzureMonitorDoes() async throws {
        let clock = Clock()
        let sim = await harness(clock)
        let unknown = await sim.get(Self.metrics, query: "api-version=2023-10-01&metricnames=Throughputz")
        #expect(unknown.status == 400)
        #expect(unknown.json?[path: ["error", "message"]]?.stringValue?.contains("Valid metrics: BackendResponseStatus") == true)
        let missing = await sim.get(Self.metrics, query: "api-version=2023-10-01")
        #expect(missing.status == 400)
        let dimension = await query(sim, from: clock.date.addingTimeInterval(-60), to: clock.date, metric: "BackendLastByteResponseTime")
        #expect(dimension.status == 200)
        let wrongDimension = await sim.get(
            Self.metrics, query: "api-version=2023-10-01&metricnames=BackendLastByteResponseTime&%24filter=HttpStatusGroup%20eq%20%27%2A%27")
        #expect(wrongDimension.status == 400)
        #expect(wrongDimension.json?[path: ["error", "message"]]?.stringValue?.contains("does not support requested dimension") == true)
        let otherGateway = await sim.get(
            Harness.group + "/Microsoft.Network/applicationGateways/nope/providers/Microsoft.Insights/metrics",
            query: "api-version=2023-10-01&metricnames=BackendResponseStatus")
        #expect(otherGateway.status == 404)
        let unauthorized = await sim.send("GET", Self.metrics, query: "api-version=2023-10-01&metricnames=BackendResponseStatus", authorized: false)
        #expect(unauthorized.status == 401)
    }
}
