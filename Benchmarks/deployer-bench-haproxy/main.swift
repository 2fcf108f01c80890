// deployer's cost on a real HAProxy setup: 4 lab backends behind 2 HAProxy (one TCP, one Unix admin
// socket) on 127.0.0.1, started with deployer-lab.
//
// 1. Orchestration overhead per host: a rolling deploy (batch 1) runs in this process exactly as
//    `deployer deploy` wires it (HAProxy traffic controller, local deploy command, HAProxy's own
//    check, fsync'd journal). Per host: its wall time minus the time in the deploy command, the
//    drain wait and the health wait. What is left is deployer: socket commands, read-backs,
//    journal writes, scheduling.
// 2. The same over SSH, shaped like `production`: a real sshd on 127.0.0.1 (throwaway keys), the
//    deploy command run on each host over SSH, both HAProxy reached only through the SSH connection
//    (lb-1's TCP socket by direct-tcpip forwarding, lb-2's Unix socket through socat on the host).
// 3. Drain detection: a request of 300 ms is in flight on web-1 when it is drained; the time from
//    the client receiving its answer (the last session ending) to the drain returning.
// 4. The journal's cost per host for each state backend (a local directory, an SSH host, etcd, Blob
//    Storage on the ARM simulator): the 16 records one host's deploy writes,
//    each durable before the step goes on.
//
// 5. A faulty canary under load: from its first faulty answers to the verdict, and to it being out of
//    service again.
// 6. `deployer status` across 20 environments in one etcd: requests and time per environment.
//
//   deployer-bench-haproxy [--rounds 3] [--drains 20]     (the SSH part needs root, for sshd)

import AzureSimulator
import Deployer
import Foundation
import HAProxy
import LabSupport
import Manifests
import Providers

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return Int(arguments[index + 1]) ?? fallback
}
let rounds = option("--rounds", 3)
let drains = option("--drains", 20)

let executableDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
let labBinary = executableDir + "/deployer-lab"
let work = NSTemporaryDirectory() + "deployer-bench-haproxy-\(getpid())"
let labDir = work + "/lab"
let basePort = 23_000

func run(_ path: String, _ args: [String]) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = args
    let log = work + "/run-\(UUID().uuidString).log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    process.standardOutput = FileHandle(forWritingAtPath: log)
    process.standardError = FileHandle(forWritingAtPath: log)
    do { try process.run() } catch { return (127, "\(error)") }
    // Reap it ourselves: the lab's daemons keep inherited descriptors that Foundation may wait on.
    var raw: Int32 = 0
    while waitpid(process.processIdentifier, &raw, 0) < 0, errno == EINTR {}
    let status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
}

func fail(_ message: String) -> Never {
    _ = run(labBinary, ["down", "--dir", labDir])
    FileHandle.standardError.write(Data("deployer-bench-haproxy: \(message)\n".utf8))
    exit(1)
}

try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
let up = run(labBinary, [
    "up", "--dir", labDir, "--backends", "4", "--lbs", "2", "--base-port", "\(basePort)", "--version", "v0",
    "--unix-sockets",
])
guard up.status == 0 else { fail("deployer-lab up failed:\n\(up.output)") }

/// The environment, as a user would write it; `ssh` puts every host and both LBs behind sshd.
func writeEnvironment(_ name: String, ssh: (port: Int, key: String)?) throws -> (Environment, HostTargets) {
    var hosts = "all:\n"
    if let ssh { hosts += "  vars: {ansible_port: \(ssh.port), ansible_ssh_private_key_file: \(ssh.key)}\n" }
    hosts += "  children:\n    lab_web:\n      hosts:\n"
    for index in 1...4 { hosts += "        web-\(index): {ansible_host: 127.0.0.1, port: \(basePort + index)}\n" }
    hosts += "    lab_lb:\n      hosts:\n"
    hosts += "        lb-1: {ansible_host: 127.0.0.1, admin: \"ipv4@127.0.0.1:\(basePort + 1001)\"}\n"
    hosts += "        lb-2: {ansible_host: 127.0.0.1, admin: \"\(labDir)/lb-2.sock\"}\n"
    try hosts.write(toFile: work + "/\(name)-hosts.yml", atomically: true, encoding: .utf8)
    let balancers = ssh == nil
        ? """
              - haproxy:
                  name: lb-1
                  socket: ipv4@127.0.0.1:\(basePort + 1001)
                  backend: web
              - haproxy:
                  name: lb-2
                  socket: \(labDir)/lb-2.sock
                  backend: web
            """
        : """
              - haproxy:
                  hosts: lab_lb
                  socket: "{{ admin }}"
                  backend: web
            """
    let file = work + "/\(name).yml"
    try """
        targets:
          inventory: \(name)-hosts.yml
          group: lab_web
        load-balancers:
        \(balancers)
        deploy:
          run: \(labBinary) restart --port {{ port }} --version {{ version }} --pid-file \(labDir)/{{ inventory_hostname }}.pid --log \(labDir)/{{ inventory_hostname }}.log
          connection: \(ssh == nil ? "local" : "ssh")
        health:
          load-balancer: true
        strategy:
          batch: 1
          min-in-service: 3
          drain-timeout: 10s
          health-timeout: 15s
        """.write(toFile: file, atomically: true, encoding: .utf8)
    let environment = try EnvironmentLoader.load(path: file).environment
    guard case .hosts(let targets) = environment.targets else { fail("bad environment") }
    return (environment, targets)
}

/// Step and target timings, as the engine reports them.
final class Timings: EventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var steps: [String: [Step: Double]] = [:]
    private var totals: [String: Double] = [:]
    func emit(_ event: DeployEvent) {
        lock.withLock {
            switch event {
            case .stepFinished(let target, let step, _, _, let elapsed, _):
                steps[target.rawValue, default: [:]][step, default: 0] += elapsed.seconds
            case .targetFinished(let result):
                totals[result.target.rawValue] = result.seconds
            default: break
            }
        }
    }
    /// Per host: wall time minus deploy command, drain wait and health wait.
    func overheads() -> [Double] {
        lock.withLock {
            totals.map { target, total in
                let waits = [Step.update, .waitDrained, .verify].reduce(0) { $0 + (steps[target]?[$1] ?? 0) }
                return total - waits
            }
        }
    }
}

func context(
    _ environment: Environment, _ targets: HostTargets, events: any EventSink, version: String, knownHosts: String? = nil
) throws -> DeployContext {
    var variables = ProcessInfo.processInfo.environment
    if let knownHosts { variables["DEPLOYER_KNOWN_HOSTS"] = knownHosts }
    return try InventoryHostsProvider.context(
        environment, hosts: targets, lock: InMemoryDeployLock(), events: events, control: DeployControl(),
        versions: StateStore(LocalStateBackend(directory: work + "/state-\(environment.name)")), version: version,
        ssh: SSHSettings.fromEnvironment(variables, user: NSUserName()))
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}
func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }

/// Per-host overheads and whole-deploy times of `rounds` rolling deploys of `environment`.
func overheadRounds(
    _ environment: Environment, _ targets: HostTargets, knownHosts: String? = nil
) async throws -> (overheads: [Double], deploys: [Double]) {
    var overheads: [Double] = []
    var deploySeconds: [Double] = []
    for round in 1...rounds {
        let timings = Timings()
        let version = "\(environment.name)-\(round)"
        let ctx = try context(environment, targets, events: timings, version: version, knownHosts: knownHosts)
        let id = "bench-\(environment.name)-\(round)"
        let holder = LockInfo(user: "bench", host: "localhost", pid: getpid(), since: Date(), deployID: id, command: "bench")
        let request = DeployRequest(
            environment: environment.name, version: version, strategy: environment.strategy, hasPrepare: false, deployID: id,
            holder: holder)
        let began = Date()
        let summary = try await DeployEngine(ctx).deploy(
            request, journal: try await StateStore(LocalStateBackend(directory: work + "/state-\(environment.name)")).journal(id))
        deploySeconds.append(Date().timeIntervalSince(began))
        guard summary.failed.isEmpty, summary.targets.count == 4 else {
            fail("deploy round \(round) of \(environment.name) did not update every host: \(summary.failed)")
        }
        overheads += timings.overheads()
    }
    return (overheads, deploySeconds)
}

/// What the journal costs one host, on `backend`: the 16 records a host's deploy writes (each durable
/// before the step goes on), for `hosts` hosts; seconds per host.
func journalCostPerHost(_ backend: any StateBackend, hosts: Int = 30) async throws -> [Double] {
    let store = StateStore(backend)
    let journal = try await store.journal("bench-journal-\(UUID().uuidString.prefix(8))")
    var perHost: [Double] = []
    for index in 1...hosts {
        let target = TargetID("web-\(index)")
        let began = Date()
        try await journal.append(JournalRecord(at: Date(), kind: .targetStarted, deployID: "bench", version: "v2", target: target, fromVersion: "v1", baseline: ["lb-1": .ready, "lb-2": .ready]))
        for (step, pool) in [(Step.drain, "lb-1"), (.drain, "lb-2"), (.waitDrained, nil), (.update, nil), (.verify, nil), (.restore, nil), (.confirm, nil)] {
            let poolID = pool.map { PoolID($0) }
            try await journal.append(JournalRecord(at: Date(), kind: .stepStarted, deployID: "bench", target: target, step: step, pool: poolID))
            try await journal.append(JournalRecord(at: Date(), kind: .stepFinished, deployID: "bench", target: target, step: step, pool: poolID, ok: true))
        }
        try await journal.append(JournalRecord(at: Date(), kind: .targetFinished, deployID: "bench", version: "v2", target: target, ok: true, fromVersion: "v1", outcome: "updated"))
        perHost.append(Date().timeIntervalSince(began))
    }
    return perHost
}

// 1. Overhead per host, deploy commands run here.
let (localEnvironment, localTargets) = try writeEnvironment("local", ssh: nil)
let local = try await overheadRounds(localEnvironment, localTargets)

// 5. A faulty canary under load: the same environment with a canary stage (sampled every 500 ms),
//    deployed with a `-faulty` version while 4 clients send requests through both HAProxy. From the
//    canary back in its pools (its first faulty answers) to the verdict, and to the canary out of
//    every pool again (the rollback's drain).
final class CanaryTimings: EventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var restored: Date?
    private var verdict: Date?
    private var drained: Date?
    private var drainsAfterVerdict = 0
    let pools: Int
    init(pools: Int) { self.pools = pools }
    func emit(_ event: DeployEvent) {
        lock.withLock {
            switch event {
            case .stepFinished(_, .restore, _, true, _, _) where verdict == nil: restored = Date()
            case .canaryFinished: verdict = Date()
            case .stepFinished(_, .drain, _, true, _, _) where verdict != nil:
                drainsAfterVerdict += 1
                if drainsAfterVerdict == pools { drained = Date() }
            default: break
            }
        }
    }
    var result: (verdict: Double, outOfService: Double)? {
        lock.withLock {
            guard let restored, let verdict, let drained else { return nil }
            return (verdict.timeIntervalSince(restored), drained.timeIntervalSince(restored))
        }
    }
}
let canaryInterval = 0.5
var canaryVerdicts: [Double] = []
var canaryOut: [Double] = []
do {
    let (environment, targets) = try writeEnvironment("local", ssh: nil)
    var strategy = environment.strategy
    strategy.canary = CanarySpec(
        targets: .count(1), bake: .seconds(10), interval: .milliseconds(Int(canaryInterval * 1000)), minRequests: 50,
        maxErrorRate: 0.02)
    let loadStop = work + "/stop-canary-load"
    let loader = Process()
    loader.executableURL = URL(fileURLWithPath: labBinary)
    loader.arguments = [
        "load", "--url", "http://127.0.0.1:\(basePort - 99)/", "--url", "http://127.0.0.1:\(basePort - 98)/", "--concurrency", "4",
        "--duration", "300s", "--stop-file", loadStop,
    ]
    loader.standardOutput = FileHandle.nullDevice
    loader.standardError = FileHandle.nullDevice
    try loader.run()
    try await Task.sleep(for: .milliseconds(300))
    for round in 1...5 {
        let timings = CanaryTimings(pools: 2)
        let ctx = try context(environment, targets, events: timings, version: "canary-\(round)-faulty")
        let id = "bench-canary-\(round)"
        let request = DeployRequest(
            environment: environment.name, version: "canary-\(round)-faulty", strategy: strategy, hasPrepare: false, deployID: id,
            holder: LockInfo(user: "bench", host: "localhost", pid: getpid(), since: Date(), deployID: id, command: "bench"))
        let summary = try await DeployEngine(ctx).deploy(
            request, journal: try await StateStore(LocalStateBackend(directory: work + "/state-local")).journal(id))
        guard summary.outcome == .canaryFailed, summary.targets.first?.outcome == .rolledBack, let result = timings.result else {
            fail("the faulty canary of round \(round) was not stopped and rolled back: \(summary.outcome) \(summary.targets)")
        }
        canaryVerdicts.append(result.verdict)
        canaryOut.append(result.outOfService)
    }
    _ = FileManager.default.createFile(atPath: loadStop, contents: nil)
    var raw: Int32 = 0
    while waitpid(loader.processIdentifier, &raw, 0) < 0, errno == EINTR {}
}

// 2. The same over SSH.
var overSSH: (overheads: [Double], deploys: [Double])?
var journalOverSSH: [Double]?
let journalLocal = try await journalCostPerHost(LocalStateBackend(directory: work + "/state-journal-bench"))
if getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd"), let sshd = try? LoopbackSSHServer() {
    let (sshEnvironment, sshTargets) = try writeEnvironment("ssh", ssh: (sshd.port, sshd.userKey))
    do {
        overSSH = try await overheadRounds(sshEnvironment, sshTargets, knownHosts: sshd.knownHosts)
        let settings = SSHSettings(knownHosts: sshd.knownHosts, acceptNewHostKeys: false, defaultUser: NSUserName())
        let host = RemoteHost(address: "127.0.0.1", vars: ["ansible_port": String(sshd.port), "ansible_ssh_private_key_file": sshd.userKey])
        journalOverSSH = try await journalCostPerHost(
            SSHStateBackend(
                shell: LibSSH2Shell(connections: SSHConnections(), settings: settings), host: host, hostName: "lb-1",
                directory: work + "/state-on-lb-1"))
    } catch {
        sshd.stop()
        fail("over SSH: \(error)")
    }
    sshd.stop()
}

// The journal in etcd: a real one-member etcd on 127.0.0.1 with a data directory of its own.
var journalInEtcd: [Double]?

// 6. `deployer status` across many environments in one etcd: each environment mid-deploy (its lock
//    held by a machine that beats, the versions of its hosts, an unfinished journal 6 hosts in, an
//    older finished one). What status reads of each — the lock, the heartbeat and its lease, the
//    versions, the unfinished journal and its last record — read one by one, and as status reads it
//    (`StateStore.snapshot`): requests and time per environment.
struct StatusCost { var environments: Int; var oneByOne: (requests: Double, seconds: [Double]); var atOnce: (requests: Double, seconds: [Double]) }
var statusInEtcd: StatusCost?
func statusAcrossEnvironments(_ endpoint: String, environments: Int = 20, hosts: Int = 6) async throws -> StatusCost {
    let transport = CountingTransport(SocketHTTPTransport(timeout: .seconds(10)))
    func store(_ index: Int) -> StateStore {
        StateStore(EtcdStateBackend(endpoints: [URL(string: endpoint)!], prefix: "deployer/estate/env-\(index)", transport: transport))
    }
    for index in 0..<environments {
        let state = store(index)
        let holder = LockInfo(user: "ci", host: "agent-\(index)", pid: 100 + Int32(index), since: Date(), deployID: "20261204T10\(String(format: "%04d", index))Z-0000000b", command: "deploy")
        let old = try await state.journal("20261201T000000Z-0000000a")
        _ = try await old.append(JournalRecord(at: Date(), kind: .deployStarted, deployID: "20261201T000000Z-0000000a", environment: "env-\(index)", version: "v1", targets: [TargetID("web-1")]))
        _ = try await old.append(JournalRecord(at: Date(), kind: .deployFinished, deployID: "20261201T000000Z-0000000a", outcome: "succeeded"))
        guard try await state.lock.acquire(holder) == nil else { fail("the lock of env-\(index) was taken") }
        try await state.beat(holder, at: Date())
        let journal = try await state.journal(holder.deployID!)
        let targets = (1...hosts).map { TargetID("web-\($0)") }
        _ = try await journal.append(JournalRecord(at: Date(), kind: .deployStarted, deployID: holder.deployID!, environment: "env-\(index)", version: "v2", targets: targets))
        for target in targets {
            try await state.recordVersion("v1", for: target.rawValue)
            for kind in [JournalRecord.Kind.targetStarted, .targetFinished] {
                _ = try await journal.append(JournalRecord(at: Date(), kind: kind, deployID: holder.deployID!, version: "v2", target: target, ok: true))
            }
        }
    }
    func look(_ state: StateStore) async throws {
        guard let lock = try await state.lock.current(), let deployID = lock.deployID, try await state.unfinished()?.deployID == deployID else {
            fail("status read no unfinished deploy")
        }
        _ = try await state.versions()
        _ = try await state.lastBeat(of: lock)
        _ = try await state.heartbeatExpiry(of: lock)
        _ = try await state.lastRecordDate(deployID)
    }
    var oneByOne: [Double] = [], atOnce: [Double] = []
    var requestsOneByOne = 0, requestsAtOnce = 0
    for _ in 0..<3 {
        for index in 0..<environments {
            transport.reset()
            var began = Date()
            try await look(store(index))
            oneByOne.append(Date().timeIntervalSince(began))
            requestsOneByOne += transport.total
            transport.reset()
            began = Date()
            try await look(try await store(index).snapshot())
            atOnce.append(Date().timeIntervalSince(began))
            requestsAtOnce += transport.total
        }
    }
    return StatusCost(
        environments: environments, oneByOne: (Double(requestsOneByOne) / Double(oneByOne.count), oneByOne),
        atOnce: (Double(requestsAtOnce) / Double(atOnce.count), atOnce))
}
if LoopbackEtcd.isInstalled, let etcd = try? LoopbackEtcd() {
    journalInEtcd = try? await journalCostPerHost(
        EtcdStateBackend(endpoints: [URL(string: etcd.endpoint)!], prefix: "deployer/bench", transport: SocketHTTPTransport(timeout: .seconds(10))))
    do { statusInEtcd = try await statusAcrossEnvironments(etcd.endpoint) } catch { fail("status across environments in etcd: \(error)") }
    etcd.stop()
}

// The journal in Azure Blob Storage: the simulator's storage account on 127.0.0.1 over HTTP (the
// endpoint found through Resource Manager, a storage token), each record one Append Block.
let blobScenario = try SimulatorScenario.parse(
    yaml: """
        credentials: [{client-id: bench, client-secret: bench-secret}]
        storage-accounts: [{resource-group: rg-state, name: stbench}]
        """, file: "benchmark scenario")
let blobSimulator = try await ARMSimulatorServer.start(ARMSimulator(scenario: blobScenario), port: 0)
let blobTransport = URLSessionTransport(timeout: BlobStateBackend.requestTimeout)
let blobARM = ARMClient(
    endpoint: URL(string: blobSimulator.baseURL)!,
    tokens: TokenCache(
        ClientSecretCredential(
            tenant: blobScenario.tenant, clientID: "bench", secret: "bench-secret", authority: URL(string: blobSimulator.baseURL)!,
            scope: AzureSettings.resourceManager + "/.default", transport: blobTransport)),
    transport: blobTransport)
let blobTokens = TokenCache(
    ClientSecretCredential(
        tenant: blobScenario.tenant, clientID: "bench", secret: "bench-secret", authority: URL(string: blobSimulator.baseURL)!,
        scope: AzureSettings.storage + "/.default", transport: blobTransport))
let journalInBlob = try await journalCostPerHost(
    BlobStateBackend(
        account: "stbench", container: "deployer-state", prefix: "bench",
        endpoint: .resourceManager(
            blobARM,
            accountPath: "/subscriptions/\(blobScenario.subscription)/resourceGroups/rg-state/providers/Microsoft.Storage/storageAccounts/stbench"),
        transport: blobTransport
    ) { .bearer(blobTokens) })
await blobSimulator.stop()

// 3. Drain detection latency.
let frontend = URL(string: "http://127.0.0.1:\(basePort - 99)/slow?ms=300")!
let ctx = try context(localEnvironment, localTargets, events: DiscardingEventSink(), version: "local-\(rounds)")
let manual = ManualOperations(ctx, strategy: localEnvironment.strategy)
let admin = RuntimeAPIClient(transport: SocketTransport(.tcp(host: "127.0.0.1", port: UInt16(basePort + 1001))))
// Only web-1 takes new requests on lb-1, so the slow request lands there.
for name in ["web-2", "web-3", "web-4"] { try await admin.setState(.drain, of: ServerRef(backend: "web", server: name)) }
var latencies: [Double] = []
let session = URLSession(configuration: .ephemeral)
for _ in 1...drains {
    let answered = Task { () -> Date? in
        guard let (_, response) = try? await session.data(from: frontend), (response as? HTTPURLResponse)?.statusCode == 200
        else { return nil }
        return Date()
    }
    let deadline = Date().addingTimeInterval(5)
    var busy = false
    while !busy, Date() < deadline {
        busy = (try await admin.stat()).contains { $0.proxy == "web" && $0.server == "web-1" && ($0.sessions ?? 0) > 0 }
        if !busy { try await Task.sleep(for: .milliseconds(5)) }
    }
    guard busy else { fail("the slow request never reached web-1") }
    _ = try await manual.drain(TargetID("web-1"), force: true)
    let drained = Date()
    guard let end = await answered.value else { fail("the request in flight failed") }
    latencies.append(drained.timeIntervalSince(end))
    _ = try await manual.restore(TargetID("web-1"), force: false)
}
for name in ["web-2", "web-3", "web-4"] { try await admin.setState(.ready, of: ServerRef(backend: "web", server: name)) }
let info = try await admin.info()
_ = run(labBinary, ["down", "--dir", labDir])
try? FileManager.default.removeItem(atPath: work)

print("HAProxy \(info.version ?? "?"): 4 lab backends behind 2 HAProxy (TCP and Unix admin sockets) on 127.0.0.1")
func report(_ title: String, _ result: (overheads: [Double], deploys: [Double]), target: Double) {
    let overheads = result.overheads
    print(
        "\(title): median \(ms(percentile(overheads, 0.5))), p95 \(ms(percentile(overheads, 0.95))), "
            + "max \(ms(overheads.max() ?? 0)) over \(overheads.count) hosts (target < \(Int(target * 1000)) ms) — "
            + (percentile(overheads, 0.95) < target ? "met" : "NOT met"))
    print(String(format: "  (a 4-host deploy took %.2f s median, almost all of it the deploy command and HAProxy's checks)", percentile(result.deploys, 0.5)))
}
report("orchestration overhead per host", local, target: 0.050)
if let overSSH {
    report("over SSH (commands and both admin sockets through sshd), overhead per host", overSSH, target: 0.100)
} else {
    print("over SSH: not measured (needs root and /usr/sbin/sshd)")
}
func journalReport(_ title: String, _ perHost: [Double]) {
    print("journal per host, \(title): 16 durable records, median \(ms(percentile(perHost, 0.5))), p95 \(ms(percentile(perHost, 0.95))) over \(perHost.count) hosts")
}
journalReport("local directory (fsync)", journalLocal)
if let journalOverSSH {
    journalReport("directory on an SSH host (appended and fsync'd there by one long-lived process, over one connection)", journalOverSSH)
} else {
    print("journal per host over SSH: not measured (needs root and /usr/sbin/sshd)")
}
journalReport("Azure Blob Storage (the simulator's storage account on 127.0.0.1, one Append Block per record)", journalInBlob)
if let journalInEtcd {
    journalReport("etcd (a real etcd 3.4 on 127.0.0.1, one transaction per record through the JSON gateway)", journalInEtcd)
} else {
    print("journal per host in etcd: not measured (needs /usr/bin/etcd: apt-get install etcd-server)")
}
if let statusInEtcd {
    let (slow, fast) = (statusInEtcd.oneByOne, statusInEtcd.atOnce)
    print(
        "status across \(statusInEtcd.environments) environments in etcd, per environment: \(String(format: "%.0f", fast.requests)) request, "
            + "median \(ms(percentile(fast.seconds, 0.5))) (p95 \(ms(percentile(fast.seconds, 0.95)))); read one by one "
            + "\(String(format: "%.0f", slow.requests)) requests, median \(ms(percentile(slow.seconds, 0.5))) — "
            + String(format: "%.1f", percentile(slow.seconds, 0.5) / percentile(fast.seconds, 0.5)) + "× faster")
}
print(
    "faulty canary under load (sampled every \(Int(canaryInterval * 1000)) ms, verdict after 50 requests): verdict "
        + "\(ms(percentile(canaryVerdicts, 0.5))) median (p95 \(ms(percentile(canaryVerdicts, 0.95))), "
        + String(format: "%.1f", percentile(canaryVerdicts, 0.5) / canaryInterval)
        + " sample periods) after its first faulty answers; out of every pool again "
        + "\(ms(percentile(canaryOut, 0.5))) median (p95 \(ms(percentile(canaryOut, 0.95)))), over \(canaryVerdicts.count) deploys "
        + "(target: the verdict within 2 sample periods) — " + (percentile(canaryVerdicts, 0.95) <= 2 * canaryInterval + 0.1 ? "met" : "NOT met"))
print(
    "drain detected after the last session ended: median \(ms(percentile(latencies, 0.5))), p95 \(ms(percentile(latencies, 0.95))), "
        + "max \(ms(latencies.max() ?? 0)) over \(latencies.count) drains (target < 100 ms) — "
        + (percentile(latencies, 0.95) < 0.100 ? "met" : "NOT met"))
