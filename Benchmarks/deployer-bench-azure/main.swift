// A rolling deploy of a large scale set behind an Application Gateway, through the ARM simulator on
// 127.0.0.1 over real HTTP: operations finish at once (zero latency), batches of 10%, the gateway's
// connection-draining timeout at its minimum (1 s, waited once per batch).
// What it measures is deployer's side: HTTP calls made, wall time, time per instance.
//
//   deployer-bench-azure [--instances N] [--batch P%]

import AzureSimulator
import Deployer
import Foundation
import Manifests
import Providers
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

struct Options {
    var instances = 1000
    var batch = "10%"

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--instances":
                guard let value = rest.popFirst().flatMap(Int.init), (1...5000).contains(value) else {
                    throw DeployerError("--instances takes a number from 1 to 5000")
                }
                instances = value
            case "--batch":
                guard let value = rest.popFirst() else { throw DeployerError("--batch takes a count or a percentage") }
                batch = value
            default:
                throw DeployerError("unknown option \(flag)", hint: "usage: deployer-bench-azure [--instances N] [--batch P%]")
            }
        }
    }
}

/// Sends through URLSession and counts what deployer sent, by kind.
final class CountingTransport: HTTPTransport {
    let base = URLSessionTransport()
    private let counts = Mutex<[String: Int]>([:])

    var byKind: [String: Int] { counts.withLock { $0 } }

    func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
        let path = request.url.path.lowercased()
        let kind: String
        if path.hasSuffix("/applicationgateways/agw") { kind = "gateway \(request.method)" }
        else if path.contains("/operations/") { kind = "operation polls" }
        else if path.hasSuffix("/manualupgrade") { kind = "manualupgrade" }
        else if path.contains("/networkinterfaces") { kind = "NIC reads" }
        else if path.contains("/virtualmachines/") || path.hasSuffix("/virtualmachines") { kind = "instance reads" }
        else { kind = "other (model, lock, token)" }
        counts.withLock { $0[kind, default: 0] += 1 }
        return try await base.send(request)
    }
}

/// Counts batches; drops every other event.
final class Batches: EventSink {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func emit(_ event: DeployEvent) {
        if case .batchStarted = event { count.withLock { $0 += 1 } }
    }
}


func run(_ options: Options) async throws {
    let directory = NSTemporaryDirectory() + "deployer-bench-azure-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let scenario = try SimulatorScenario.parse(
        yaml: """
            timing: {mode: real, retry-after: 0, extension-update: 0s, manual-upgrade: 0s, gateway-update: 0s, health-settle: 0s}
            page-size: 100
            credentials: [{client-id: bench, client-secret: bench-secret}]
            scale-sets:
              - resource-group: rg
                name: big
                capacity: \(options.instances)
                subnet: 10.8.0.0/16
                health-extension: true
                extension: {name: CustomScript, type: CustomScript, publisher: Microsoft.Azure.Extensions, version: "2.1", force-update-tag: v1, command: ./deploy.sh}
            gateways:
              - resource-group: rg
                name: agw
                drain-timeout: 1
                pools: [{name: pool, from-scale-set: big}]
            """, file: "benchmark scenario")
    let simulator = ARMSimulator(scenario: scenario)
    let server = try await ARMSimulatorServer.start(simulator, port: 0)
    defer { Task { await server.stop() } }
    let file = directory + "/big.yml"
    try """
        targets:
          vmss: {resource-group: rg, name: big}
        load-balancers:
          - application-gateway: {resource-group: rg, gateway: agw, pool: pool}
        deploy:
          vmss-model-update: {force-update-extension: CustomScript}
        health: {provider: true}
        strategy: {batch: "\(options.batch)", max-unavailable: "\(options.batch)", min-in-service: 50%, drain-timeout: 10s, health-timeout: 30s}

        """.write(toFile: file, atomically: true, encoding: .utf8)
    let environment = try EnvironmentLoader.load(path: file).environment
    guard case .vmss(let spec) = environment.targets else { throw DeployerError("not a scale set") }
    let settings = try AzureSettings.fromEnvironment([
        "DEPLOYER_ARM_ENDPOINT": server.baseURL, "AZURE_AUTHORITY_HOST": server.baseURL, "AZURE_TENANT_ID": scenario.tenant,
        "AZURE_CLIENT_ID": "bench", "AZURE_CLIENT_SECRET": "bench-secret", "AZURE_SUBSCRIPTION_ID": scenario.subscription,
    ])
    let batches = Batches()
    let transport = CountingTransport()
    let context = try AzureProvider.context(
        environment, scaleSet: spec, settings: settings, events: batches, control: DeployControl(), transport: transport,
        pollInterval: .milliseconds(100))
    let strategy = environment.strategy
    let request = DeployRequest(
        environment: "big", version: "v2", strategy: strategy, hasPrepare: false, deployID: "bench",
        holder: LockInfo(user: "bench", host: "bench", pid: getpid(), since: Date(), deployID: "bench", command: "deploy"))
    let began = ContinuousClock.now
    let summary = try await DeployEngine(context).deploy(request, journal: InMemoryJournal())
    let elapsed = (ContinuousClock.now - began).seconds
    let state = await simulator.snapshot()
    let upgraded = state.scaleSet("big")?.instances.filter { $0.latestModelApplied && $0.appliedTag == "v2" }.count ?? 0
    let inPool = state.gateways.first?.pools.first?.addresses.count ?? 0
    guard summary.outcome == .succeeded, upgraded == options.instances, inPool == options.instances else {
        throw DeployerError(
            "the benchmark deploy ended \(summary.outcome.rawValue): \(upgraded) upgraded, \(inPool) in the pool")
    }
    let byKind = transport.byKind
    let calls = byKind.values.reduce(0, +)
    print("deployer-bench-azure: \(options.instances) instances behind an Application Gateway, batch \(options.batch), ARM simulator on 127.0.0.1, zero latency")
    print("  batches:            \(batches.value)")
    print("  HTTP calls:         \(calls) (\(String(format: "%.1f", Double(calls) / Double(options.instances))) per instance)")
    for (kind, count) in byKind.sorted(by: { $0.value > $1.value }) {
        print("    \(kind.padding(toLength: 28, withPad: " ", startingAt: 0)) \(count)")
    }
    print("  wall time:          \(String(format: "%.2f", elapsed)) s")
    print("  of which draining:  about \(batches.value) s (the gateway's 1 s connection draining, once per batch)")
    print("  per instance:       \(String(format: "%.1f", elapsed * 1000 / Double(options.instances))) ms")
}

do {
    try await run(try Options(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("deployer-bench-azure: \(error)\n".utf8))
    exit(1)
}
