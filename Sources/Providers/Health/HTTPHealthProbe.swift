import Foundation
public import Deployer
public import Manifests

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Healthy when an HTTP GET of the target's URL answers the expected status (any 2xx by default).
/// Checked while the target is still out of the pools, so a broken update never takes traffic.
public struct HTTPHealthProbe: HealthProbe {
    public let urls: [TargetID: String]
    public let expectStatus: Int?
    public let requestTimeout: Duration
    private let session: URLSession

    public var timing: HealthTiming { .beforeRestore }

    /// - Parameter urls: each target's URL, already rendered for it.
    public init(urls: [TargetID: String], expectStatus: Int?, requestTimeout: Duration = .seconds(5)) {
        self.urls = urls
        self.expectStatus = expectStatus
        self.requestTimeout = requestTimeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = requestTimeout.seconds
        configuration.timeoutIntervalForResource = requestTimeout.seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
    }

    /// The probe of an environment's inventory hosts.
    public init(template: String, expectStatus: Int?, hosts: [HostTarget], version: String) {
        var urls: [TargetID: String] = [:]
        for host in hosts { urls[TargetID(host.name)] = host.render(template, version: version) }
        self.init(urls: urls, expectStatus: expectStatus)
    }

    public func check(_ target: TargetID) async throws -> HealthObservation {
        guard let text = urls[target], let url = URL(string: text) else {
            throw DeployerError("no health URL for \(target)")
        }
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        do {
            let (_, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return HealthObservation(healthy: false, detail: "not HTTP") }
            let ok = expectStatus.map { http.statusCode == $0 } ?? (200..<300).contains(http.statusCode)
            return HealthObservation(healthy: ok, detail: "HTTP \(http.statusCode) from \(text)")
        } catch let error as URLError {
            return HealthObservation(healthy: false, detail: "\(text): \(Self.describe(error))")
        }
    }

    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .timedOut: return "no answer in time"
        case .cannotConnectToHost: return "connection refused"
        case .networkConnectionLost: return "connection lost"
        case .cannotFindHost: return "unknown host"
        default: return error.localizedDescription
        }
    }
}

/// Healthy when every load balancer's own check reports the target fully up in every pool where it
/// is checked (ready or drained). The engine drains the target from maintenance before asking, so the
/// checks run again without it taking new traffic.
public struct LoadBalancerHealthProbe: HealthProbe {
    public let traffic: any TrafficController

    public init(traffic: any TrafficController) { self.traffic = traffic }

    public var timing: HealthTiming { .inDrain }

    public func check(_ target: TargetID) async throws -> HealthObservation {
        let members = try await traffic.members(of: target)
        let checked = traffic.pools.filter { [.ready, .drain].contains(members[$0]?.state) }
        if checked.isEmpty { return HealthObservation(healthy: false, detail: "in maintenance or absent in every pool: not checked") }
        let down = checked.filter { members[$0]?.checkUp != true }
        if down.isEmpty { return HealthObservation(healthy: true, detail: "check up on " + checked.map(\.rawValue).joined(separator: ", ")) }
        return HealthObservation(healthy: false, detail: "check not up yet on " + down.map(\.rawValue).joined(separator: ", "))
    }
}
