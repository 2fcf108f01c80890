import Deployer
import Manifests
import Foundation
import HAProxy
import Providers
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// deployer against real HAProxy 2.6 processes and real backends on 127.0.0.1.
@Suite(.tags(.haproxy), .serialized)
struct HAProxyIntegrationTests {
    @Test func clientChangesStateAndReadsItBack() async throws {
        let lab = try HAProxyLab(backends: 2, lbs: 2)
        defer { lab.stop() }
        for index in 1...2 {
            let client = RuntimeAPIClient(
                transport: SocketTransport(try RuntimeEndpoint(parsing: lab.adminSocket(index))), timeout: .seconds(2))
            let web1 = try ServerRef(backend: "web", server: "web-1")
            #expect(try await client.setState(.drain, of: web1).adminState == .drain)
            #expect(try await client.setState(.maint, of: web1).adminState == .maint)
            #expect(try await client.setState(.ready, of: web1).adminState == .ready)
            #expect(try await client.setWeight(0, of: web1).weight == 0)
            #expect(try await client.setWeight(1, of: web1).weight == 1)
            // HAProxy's refusals are failures, with its words.
            await #expect {
                try await client.setState(.drain, of: ServerRef(backend: "web", server: "web-9"))
            } throws: { error in
                (error as? HAProxyError)?.kind == .refused && "\(error)".contains("No such server.")
            }
            await #expect(throws: HAProxyError.self) {
                try await client.setState(.drain, of: ServerRef(backend: "nope", server: "web-1"))
            }
            let info = try await client.info()
            #expect(info.version?.hasPrefix("2.") == true || info.version?.hasPrefix("3.") == true)
        }
    }

    @Test func hostileNamesNeverReachARealSocket() async throws {
        let lab = try HAProxyLab(backends: 2, lbs: 1)
        defer { lab.stop() }
        let client = RuntimeAPIClient(transport: SocketTransport(try RuntimeEndpoint(parsing: lab.adminSocket(1))))
        for name in ["web-1;shutdown sessions server web/web-2", "web-1\nset server web/web-2 state maint",
                     "web-1 ; set server web/web-2 state maint"] {
            await #expect(throws: HAProxyError.self) {
                try await client.setState(.drain, of: ServerRef(backend: "web", server: name))
            }
        }
        let servers = try await lab.servers(1)
        #expect(servers["web-1"]?.adminState == .ready)
        #expect(servers["web-2"]?.adminState == .ready)
    }

    @Test func drainEndsRightAfterTheLastRequestInFlight() async throws {
        let lab = try HAProxyLab(backends: 2, lbs: 1, strategy: "batch: 1\n  min-in-service: 1\n  drain-timeout: 20s")
        defer { lab.stop() }
        let requested = Date()
        let slow = Task { await HAProxyLab.get(lab.frontend(1) + "slow?ms=1500") }
        let busy = try await waitForBusyServer(lab)
        let drain = try lab.deployer(["drain", "lab", busy])
        let drained = Date()
        let answer = await slow.value
        #expect(drain.status == 0, "\(drain.stdout)\n\(drain.stderr)")
        #expect(answer != nil, "the request in flight must complete")
        // It waited for the request, which the server holds for 1.5 s, however late the drain began;
        // and it did not sit out its 20 s drain-timeout.
        let sinceRequest = drained.timeIntervalSince(requested)
        #expect(sinceRequest >= 1.5 && sinceRequest < 15, "drain returned \(sinceRequest) s after the request was sent")
        #expect(try await lab.servers(1)[busy]?.adminState == .maint)
        let restore = try lab.deployer(["restore", "lab", busy])
        #expect(restore.status == 0, "\(restore.stdout)\n\(restore.stderr)")
        #expect(try await lab.servers(1)[busy]?.adminState == .ready)
    }

    /// `shutdown-sessions` asks HAProxy to cut what is left, and succeeds only once HAProxy shows no
    /// session. HAProxy 2.6.12 accepts `shutdown sessions server` but does not end a stream that is
    /// waiting for its server's answer; deployer then reports it and never claims the drain.
    @Test func drainTimeoutCutsSessionsOnlyWhenHAProxyConfirms() async throws {
        let lab = try HAProxyLab(
            backends: 2, lbs: 1,
            strategy: "batch: 1\n  min-in-service: 1\n  drain-timeout: 1s\n  on-drain-timeout: shutdown-sessions")
        defer { lab.stop() }
        let slow = Task { await HAProxyLab.get(lab.frontend(1) + "slow?ms=8000", timeout: 30) }
        let busy = try await waitForBusyServer(lab)
        let started = Date()
        let drain = try lab.deployer(["drain", "lab", busy])
        let elapsed = Date().timeIntervalSince(started)
        let output = drain.stdout + drain.stderr
        let sessions = try StatRow.parse(try await lab.admin(1, "show stat"))
            .first { $0.proxy == "web" && $0.server == busy }?.sessions
        if drain.status == 0 {
            #expect(output.contains("cut"), "\(output)")
            #expect(sessions == 0)
            #expect(try await lab.servers(1)[busy]?.adminState == .maint)
            #expect(await slow.value == nil, "a cut request cannot have completed")
        } else {
            #expect(output.contains("after `shutdown sessions`"), "\(output)")
            #expect(await slow.value != nil)
        }
        #expect(elapsed < 7.5, "the timeout acted at about 1 s plus a bounded confirmation, took \(elapsed) s")
        _ = try lab.deployer(["restore", "lab", busy, "--force"])
    }

    @Test func deployWhoseDrainTimesOutPutsTheServerBackUntouched() async throws {
        let lab = try HAProxyLab(
            backends: 2, lbs: 1, strategy: "batch: 1\n  min-in-service: 1\n  drain-timeout: 1s\n  on-drain-timeout: fail")
        defer { lab.stop() }
        // Send the slow request to web-1, the first one the deploy drains.
        _ = try await lab.admin(1, "set server web/web-2 state drain")
        let slow = Task { await HAProxyLab.get(lab.frontend(1) + "slow?ms=4000") }
        #expect(try await waitForBusyServer(lab) == "web-1")
        _ = try await lab.admin(1, "set server web/web-2 state ready")
        let deploy = try lab.deployer(["deploy", "lab", "--version", "v2", "--yes"])
        #expect(deploy.status != 0)
        #expect(deploy.stdout.contains("put back untouched"), "\(deploy.stdout)")
        #expect(try await lab.servers(1)["web-1"]?.adminState == .ready)
        #expect(await lab.versions() == ["v1", "v1"])
        #expect(await slow.value != nil, "the request was left to finish")
    }

    /// The proof: a rolling deploy of 4 backends behind 2 HAProxy while requests flow through both.
    @Test func rollingDeployUnderLoadDropsNoRequest() async throws {
        let lab = try HAProxyLab(backends: 4, lbs: 2, strategy: "batch: 1\n  min-in-service: 3\n  drain-timeout: 10s\n  health-timeout: 15s")
        defer { lab.stop() }
        let load = try await LabLoad.start(lab)
        let deploy = try lab.deployer(["deploy", "lab", "--version", "v2", "--yes"])
        try await Task.sleep(for: .milliseconds(500))
        let report = try load.finish()
        print("zero-downtime proof: \(report.sent) requests sent, \(report.failed) failed during the deploy")
        #expect(deploy.status == 0, "\(deploy.stdout)\n\(deploy.stderr)")
        #expect(report.sent > 200, "the load ran: \(report)")
        #expect(report.failed == 0, "failed requests: \(report.failures)")
        #expect(await lab.versions() == ["v2", "v2", "v2", "v2"])
        for index in 1...2 {
            #expect(try await lab.servers(index).values.allSatisfy { $0.adminState == .ready })
        }
    }

    /// A canary judged by HAProxy's own counters, under load: a good version passes and rolls on;
    /// then a `-faulty` one (every fifth request a 500, its health check fine) fails at the first
    /// sample with enough requests and is rolled back to the good one, the rest untouched, and the
    /// only failed requests are the 500s the canary answered, none from draining.
    @Test func aGoodCanaryPassesAndAFaultyOneIsRolledBackUnderLoad() async throws {
        let strategy = "batch: 1\n  min-in-service: 3\n  drain-timeout: 10s\n  health-timeout: 15s\n"
            + "  canary: {targets: 1, bake: 4s, interval: 500ms, min-requests: 60, max-error-rate: 2%}"
        let lab = try HAProxyLab(backends: 4, lbs: 2, strategy: strategy)
        defer { lab.stop() }
        let load = try await LabLoad.start(lab)
        let good = try lab.deployer(["deploy", "lab", "--version", "v2", "--yes"])
        try await Task.sleep(for: .milliseconds(500))
        let report = try load.finish()
        #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
        #expect(good.stdout.contains("canary passed"), "\(good.stdout)")
        #expect(report.failed == 0, "failed requests: \(report.failures)")
        #expect(await lab.versions() == ["v2", "v2", "v2", "v2"])

        let load2 = try await LabLoad.start(lab)
        let faulty = try lab.deployer(["deploy", "lab", "--version", "v3-faulty", "--yes", "--output", "json"])
        try await Task.sleep(for: .milliseconds(500))
        let report2 = try load2.finish()
        #expect(faulty.status == 7, "the canary failed: \(faulty.stdout.suffix(3000))\n\(faulty.stderr)")
        let verdict = faulty.stdout.split(separator: "\n").first { $0.contains("\"event\":\"canary-finished\"") } ?? ""
        #expect(verdict.contains("\"passed\":false") && verdict.contains("error rate"), "\(verdict)")
        #expect(await lab.versions() == ["v2", "v2", "v2", "v2"], "the canary is back on v2, the rest untouched")
        for index in 1...2 {
            #expect(try await lab.servers(index).values.allSatisfy { $0.adminState == .ready })
        }
        #expect(report2.failed > 0, "the faulty canary did answer 500s: \(report2)")
        #expect(Set(report2.failures.keys) == ["HTTP 500"], "only the canary's 500s failed, none from draining: \(report2.failures)")
    }

    @Test func unreachableLoadBalancerStopsTheDeployBeforeAnythingChanges() async throws {
        let lab = try HAProxyLab(backends: 2, lbs: 2)
        defer { lab.stop() }
        let pid = try #require(Int32(try String(contentsOfFile: lab.dir + "/lb-2.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        let deploy = try lab.deployer(["deploy", "lab", "--version", "v2", "--yes"])
        #expect(deploy.status != 0)
        #expect(deploy.stderr.contains("lb-2"), "\(deploy.stderr)")
        #expect(try await lab.servers(1).values.allSatisfy { $0.adminState == .ready })
        #expect(await lab.versions() == ["v1", "v1"])
    }

    @Test func missingServerIsReportedBeforeAnythingChanges() async throws {
        let lab = try HAProxyLab(backends: 2, lbs: 1)
        defer { lab.stop() }
        let hosts = lab.scratch.path + "/inventories/lab-hosts.yml"
        let text = try String(contentsOfFile: hosts, encoding: .utf8)
        try (text + "        web-3: {ansible_host: 127.0.0.1, port: \(lab.backendPort(3))}\n")
            .write(toFile: hosts, atomically: true, encoding: .utf8)
        let plan = try lab.deployer(["plan", "lab", "--version", "v2"])
        #expect(plan.status != 0)
        #expect(plan.stderr.contains("no server web-3"), "\(plan.stderr)")
        let status = try lab.deployer(["status", "lab"])
        #expect(status.stdout.contains("MISSING"), "\(status.stdout)")
    }

    @Test func reloadedHAProxyGetsBackTheStatesDeployerHolds() async throws {
        let lab = try HAProxyLab(backends: 2, lbs: 1)
        defer { lab.stop() }
        let events = CollectingSink()
        let pool = try HAProxyPool(
            id: "lb-1",
            client: RuntimeAPIClient(transport: SocketTransport(try RuntimeEndpoint(parsing: lab.adminSocket(1)))),
            backend: RuntimeName("web"), servers: ["web-1": RuntimeName("web-1"), "web-2": RuntimeName("web-2")])
        let traffic = HAProxyTrafficController([pool], events: events, watchInterval: .milliseconds(100))
        try await traffic.setState(.maint, of: "web-1", in: "lb-1")
        // Reload: a new process from the same configuration, which knows nothing of runtime changes.
        let old = try String(contentsOfFile: lab.dir + "/lb-1.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let reload = try DeployerProcess.run(
            ["-f", lab.dir + "/lb-1.cfg", "-D", "-p", lab.dir + "/lb-1.pid", "-sf", old], in: lab.scratch.path,
            binary: "/usr/sbin/haproxy", timeout: 10)
        #expect(reload.status == 0, "\(reload.stderr)")
        let deadline = Date().addingTimeInterval(10)
        var state = try? await lab.servers(1)["web-1"]?.adminState
        while Date() < deadline, !(events.notices.contains { $0.contains("reloaded") } && state == .maint) {
            try await Task.sleep(for: .milliseconds(50))
            state = try? await lab.servers(1)["web-1"]?.adminState
        }
        #expect(events.notices.contains { $0.contains("lb-1 reloaded") && $0.contains("maint on web-1") }, "\(events.notices)")
        #expect(state == .maint)
        try await traffic.setState(.ready, of: "web-1", in: "lb-1")
    }

    // MARK: Helpers

    /// Waits until one server of lb-1 has a session open, and returns its name.
    private func waitForBusyServer(_ lab: HAProxyLab) async throws -> String {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let rows = try StatRow.parse(try await lab.admin(1, "show stat"))
            if let busy = rows.first(where: { $0.proxy == "web" && $0.isServer && ($0.sessions ?? 0) > 0 }) {
                return busy.server
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HAProxyLab.LabFailure(description: "no request reached a backend within 10 s")
    }

    struct LoadReport: Decodable, CustomStringConvertible {
        var sent: Int
        var ok: Int
        var failed: Int
        var seconds: Double
        var failures: [String: Int]
        var description: String { "\(sent) sent, \(ok) ok, \(failed) failed in \(seconds) s \(failures)" }
    }
}

final class CollectingSink: EventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    func emit(_ event: DeployEvent) {
        guard case .notice(let notice) = event else { return }
        lock.withLock { collected.append(notice.message) }
    }
    var notices: [String] { lock.withLock { collected } }
}

/// A real socket to one HAProxy that can be made to fail on demand, as an LB that dies mid-deploy.
final class FailingTransport: RuntimeTransport, @unchecked Sendable {
    let real: SocketTransport
    private let lock = NSLock()
    private var broken = false
    /// Called with every command sent through it, before it is sent.
    var onSend: @Sendable (String) -> Void = { _ in }

    init(_ real: SocketTransport) { self.real = real }

    var endpoint: String { real.endpoint }
    func breakIt() { lock.withLock { broken = true } }

    func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        onSend(String(decoding: request, as: UTF8.self))
        if lock.withLock({ broken }) { throw HAProxyError(.unreachable, "\(endpoint): Connection refused") }
        return try await real.exchange(request, timeout: timeout)
    }
}

extension HAProxyIntegrationTests {
    /// lb-2 stops answering right after web-1 was drained on lb-1: web-1 must go back into lb-1,
    /// be reported with each LB's state, never be updated, and the deploy must stop.
    @Test func loadBalancerLostMidTargetIsReportedAndTheOthersPutBack() async throws {
        let lab = try HAProxyLab(backends: 2, lbs: 2)
        defer { lab.stop() }
        let environment = try EnvironmentLoader.load(path: lab.scratch.path + "/inventories/lab.yml").environment
        guard case .hosts(let hosts) = environment.targets else { throw HAProxyLab.LabFailure(description: "not hosts") }
        var transports: [String: FailingTransport] = [:]
        for case .haproxy(let spec) in environment.loadBalancers {
            transports[spec.name] = FailingTransport(SocketTransport(try RuntimeEndpoint(parsing: spec.socket)))
        }
        let lb2 = try #require(transports["lb-2"])
        transports["lb-1"]?.onSend = { command in
            if command.hasPrefix("set server web/web-1 state drain") { lb2.breakIt() }
        }
        let ctx = try InventoryHostsProvider.context(
            environment, hosts: hosts, lock: InMemoryDeployLock(), events: CollectingSink(), control: DeployControl(),
            versions: StateStore(LocalStateBackend(directory: lab.scratch.path + "/state")), version: "v2",
            ssh: SSHSettings.fromEnvironment([:], user: "root"), connect: { transports[$0.name]! })
        let holder = LockInfo(user: "test", host: "localhost", pid: getpid(), since: Date(), deployID: "t", command: "test")
        let summary = try await DeployEngine(ctx).deploy(
            DeployRequest(environment: "lab", version: "v2", strategy: environment.strategy, hasPrepare: false, deployID: "t", holder: holder),
            journal: InMemoryJournal())
        #expect(summary.outcome != .succeeded)
        let web1 = try #require(summary.targets.first { $0.target == "web-1" })
        #expect(web1.outcome == .failed)
        #expect(!web1.restored)
        #expect(web1.message?.contains("put back in service on lb-1") == true, "\(web1.message ?? "")")
        #expect(web1.message?.contains("lb-2") == true)
        #expect(!summary.targets.contains { $0.target == "web-2" }, "the deploy stopped")
        #expect(try await lab.servers(1)["web-1"]?.adminState == .ready)
        #expect(await lab.versions() == ["v1", "v1"], "nothing was updated")
    }
}
