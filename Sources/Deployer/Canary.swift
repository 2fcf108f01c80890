import Foundation
public import Manifests

/// Response counters of one target, added up over every load balancer that sends it traffic, as
/// they stand now: totals since some start (they only grow, but may restart from 0 when a load
/// balancer reloads), and a recent response time.
public struct TrafficCounters: Sendable, Equatable, Codable {
    /// Responses sent (every class).
    public var responses: Int
    /// Responses of class 5xx.
    public var serverErrors: Int
    /// Requests that failed without a response: the connection or the response was cut.
    public var failures: Int
    /// Mean response time of recent requests, in milliseconds (nil when unknown).
    public var responseMilliseconds: Double?

    public init(responses: Int = 0, serverErrors: Int = 0, failures: Int = 0, responseMilliseconds: Double? = nil) {
        self.responses = responses
        self.serverErrors = serverErrors
        self.failures = failures
        self.responseMilliseconds = responseMilliseconds
    }
}

/// Where the engine reads what each target's traffic looks like: the load balancers' own statistics
/// (HAProxy `show stat`, Application Gateway metrics), or the simulator's.
public protocol TrafficMetrics: Sendable {
    /// The counters of each of `targets` now. Throws when the statistics cannot be read.
    func counters(_ targets: [TargetID]) async throws -> [TargetID: TrafficCounters]
}

/// What a group of targets served between two samples.
public struct TrafficWindow: Sendable, Equatable, Codable {
    public var requests: Int
    public var errors: Int
    /// Mean response time over the group, weighted by requests (nil when unknown).
    public var responseMilliseconds: Double?

    public init(requests: Int = 0, errors: Int = 0, responseMilliseconds: Double? = nil) {
        self.requests = requests
        self.errors = errors
        self.responseMilliseconds = responseMilliseconds
    }

    /// Errors per request (0 without requests).
    public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }

    /// What `targets` served from `start` to `now`. A counter that went down (a load balancer that
    /// reloaded) counts from 0.
    static func between(
        _ start: [TargetID: TrafficCounters], _ now: [TargetID: TrafficCounters], targets: [TargetID]
    ) -> TrafficWindow {
        var window = TrafficWindow()
        var weighted = 0.0
        var timed = 0
        for target in targets {
            guard let current = now[target] else { continue }
            let before = start[target] ?? TrafficCounters()
            func delta(_ a: Int, _ b: Int) -> Int { b >= a ? b - a : b }
            let requests = delta(before.responses, current.responses) + delta(before.failures, current.failures)
            window.requests += requests
            window.errors += delta(before.serverErrors, current.serverErrors) + delta(before.failures, current.failures)
            if let milliseconds = current.responseMilliseconds, requests > 0 {
                weighted += milliseconds * Double(requests)
                timed += requests
            }
        }
        window.responseMilliseconds = timed > 0 ? weighted / Double(timed) : nil
        return window
    }
}

/// One sample of a canary's bake: the canary and the baseline over the same window (from the start
/// of the bake to now), and what the figures say.
public struct CanarySample: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Equatable, Codable {
        /// Too few canary requests yet.
        case notEnoughRequests = "not-enough-requests"
        /// Within every threshold so far.
        case healthy
        /// Above a threshold: the canary fails.
        case failing
    }

    public var elapsed: Double
    public var canary: TrafficWindow
    public var baseline: TrafficWindow
    public var verdict: Verdict
    /// Why, with the figures: "error rate 19.8% (41 of 207) > 1% and > 2 × the baseline's 0.0%".
    public var reason: String

    public init(elapsed: Double, canary: TrafficWindow, baseline: TrafficWindow, verdict: Verdict, reason: String) {
        self.elapsed = elapsed
        self.canary = canary
        self.baseline = baseline
        self.verdict = verdict
        self.reason = reason
    }
}

/// How a canary's bake ended.
public struct CanaryVerdict: Sendable, Equatable, Codable {
    public var passed: Bool
    /// The sample that decided, and in words why.
    public var sample: CanarySample?
    public var reason: String

    public init(passed: Bool, sample: CanarySample?, reason: String) {
        self.passed = passed
        self.sample = sample
        self.reason = reason
    }
}

/// Judges a canary against its baseline by the thresholds of `strategy.canary`.
public enum CanaryJudge {
    /// The verdict of one window. The canary fails on errors only when its rate is above
    /// `maxErrorRate` and more than `maxErrorRatio` times the baseline's (a baseline without requests
    /// counts as 0): a fleet-wide problem is not the canary's fault. Its response time fails it when
    /// more than `maxLatencyRatio` times the baseline's.
    public static func judge(canary: TrafficWindow, baseline: TrafficWindow, spec: CanarySpec, elapsed: Double) -> CanarySample {
        func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }
        guard canary.requests >= spec.minRequests else {
            return CanarySample(
                elapsed: elapsed, canary: canary, baseline: baseline, verdict: .notEnoughRequests,
                reason: "\(canary.requests) of the \(spec.minRequests) canary requests needed for a verdict")
        }
        let rate = canary.errorRate
        let baseRate = baseline.errorRate
        if rate > spec.maxErrorRate, rate > baseRate * spec.maxErrorRatio {
            return CanarySample(
                elapsed: elapsed, canary: canary, baseline: baseline, verdict: .failing,
                reason: "error rate \(percent(rate)) (\(canary.errors) of \(canary.requests)) is above \(percent(spec.maxErrorRate)) "
                    + "and more than \(format(spec.maxErrorRatio)) × the baseline's \(percent(baseRate)) "
                    + "(\(baseline.errors) of \(baseline.requests))")
        }
        if let ratio = spec.maxLatencyRatio, let mine = canary.responseMilliseconds, let theirs = baseline.responseMilliseconds,
            theirs > 0, mine > theirs * ratio
        {
            return CanarySample(
                elapsed: elapsed, canary: canary, baseline: baseline, verdict: .failing,
                reason: "response time \(format(mine)) ms is more than \(format(ratio)) × the baseline's \(format(theirs)) ms")
        }
        var reason = "error rate \(percent(rate)) (\(canary.errors) of \(canary.requests)), baseline \(percent(baseRate))"
        if let mine = canary.responseMilliseconds, let theirs = baseline.responseMilliseconds {
            reason += "; response time \(format(mine)) ms, baseline \(format(theirs)) ms"
        }
        return CanarySample(elapsed: elapsed, canary: canary, baseline: baseline, verdict: .healthy, reason: reason)
    }

    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.1f", value)
    }
}
