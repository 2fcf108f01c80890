import Deployer
import Foundation
import JSONDocument
import LabSupport
import Providers
import Testing

/// `deployer` processes as separate machines (a local state directory and a HOME of their own each)
/// sharing the deploy state over SSH, in Blob Storage or in etcd.
@Suite(.serialized) struct SharedStateCLITests {
    /// Two deploys of one environment started at the same instant from two machines, 10 times:
    /// exactly one runs, the other exits 4 naming the holder and when it was last heard from.
    @Test(arguments: ["ssh", "azure-blob", "etcd"])
    func twoMachinesDeployingAtOnceOneRunsTheOtherIsToldWhoHolds(_ backend: String) async throws {
        let server = backend == "ssh" ? try SSHServer() : nil
        defer { server?.stop() }
        let lab = backend == "azure-blob" ? try await BlobLab.start() : nil
        defer { lab?.stop() }
        let etcd = backend == "etcd" ? try LoopbackEtcd() : nil
        defer { etcd?.stop() }
        for round in 1...10 {
            let scratch = try Scratch(yaml: "")
            defer { scratch.remove() }
            let state =
                if let server {
                    "state:\n  ssh: {address: 127.0.0.1, port: \(server.port), user: \(server.user), key: \(server.userKey), "
                        + "dir: \(scratch.path)/on-the-host}\n"
                } else if let etcd {
                    "state:\n  etcd: {endpoints: [\(etcd.endpoint)], prefix: deployer/race-\(round)-\(UUID().uuidString.prefix(8).lowercased())}\n"
                } else {
                    BlobLab.stateSection(prefix: "race-\(round)-\(UUID().uuidString.prefix(8).lowercased())")
                }
            let yaml =
                Scratch.simulated(count: 2, batch: "1", maxUnavailable: 1, minInService: 1, duration: "500ms")
                .replacingOccurrences(of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
                + state
            try yaml.write(toFile: scratch.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
            var common = lab?.environment ?? [:]
            if let server { common["DEPLOYER_KNOWN_HOSTS"] = server.knownHosts }
            func machine(_ name: String) -> [String: String] {
                common.merging(["HOME": scratch.path + "/home-\(name)", "DEPLOYER_USER": "user-\(name)"]) { _, new in new }
            }
            let first = try DeployerProcess.start(
                ["deploy", "sim", "--yes", "--version", "v2", "--state-dir", scratch.path + "/machine-a"], in: scratch.path,
                environment: machine("a"))
            let second = try DeployerProcess.start(
                ["deploy", "sim", "--yes", "--version", "v3", "--state-dir", scratch.path + "/machine-b"], in: scratch.path,
                environment: machine("b"))
            let statuses = [first.wait(timeout: 60), second.wait(timeout: 60)]
            let errors = first.stderr() + second.stderr()
            #expect(statuses.sorted { ($0 ?? -1) < ($1 ?? -1) } == [0, 4], "\(backend), round \(round): \(statuses)\n\(errors)")
            #expect(errors.contains("deploy in progress by user-"), "\(backend), round \(round): the holder is named: \(errors)")
        }
    }

    /// Someone breaks the lock's lease in Blob Storage while a deploy runs (`az storage blob lease
    /// break`): the deploy notices, stops at the next step boundary, and a resume from another
    /// machine finishes it.
    @Test func aDeployWhoseLeaseIsBrokenStopsAndIsResumedElsewhere() async throws {
        let lab = try await BlobLab.start()
        defer { lab.stop() }
        let scratch = try Scratch(yaml: "")
        defer { scratch.remove() }
        let prefix = "lease-\(UUID().uuidString.prefix(8).lowercased())"
        let yaml =
            Scratch.simulated(count: 6, batch: "1", maxUnavailable: 1, minInService: 1, duration: "1s")
            .replacingOccurrences(of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
            + BlobLab.stateSection(prefix: prefix)
        try yaml.write(toFile: scratch.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
        let here = lab.environment.merging(["HOME": scratch.path + "/home-a"]) { _, new in new }
        let running = try DeployerProcess.start(
            ["deploy", "sim", "--yes", "--state-dir", scratch.path + "/machine-a"], in: scratch.path, environment: here)
        // Wait until the lock is taken, then break its lease as an operator would.
        let backend = lab.backend(prefix: prefix, sharedKey: true)
        var leased = false
        for _ in 0..<100 where !leased {
            let locked = (try? await backend.read("lock.json")) != nil
            leased = locked ? (try? await backend.isProtected("lock.json")) == true : false
            if !leased { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(leased, "the deploy took the lock under a lease")
        try await lab.simulator.breakLease(account: BlobLab.account, container: "deployer-state", blob: prefix + "/lock.json")
        let status = running.wait(timeout: 60)
        #expect(status == 5, "interrupted, resumable: \(String(describing: status)) \(running.stderr())")
        #expect(running.stderr().contains("no longer this deploy's"), "\(running.stderr())")

        let elsewhere = lab.environment.merging(["HOME": scratch.path + "/home-b"]) { _, new in new }
        let resumed = try DeployerProcess.run(
            ["resume", "sim", "--state-dir", scratch.path + "/machine-b"], in: scratch.path, environment: elsewhere)
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        let report = try StatusReport.read(in: scratch.path, arguments: ["--state-dir", scratch.path + "/machine-b"], variables: elsewhere)
        #expect(report.lock == nil && report.unfinishedDeploy == nil)
        #expect(report.targets.allSatisfy { $0.state == "in service" && $0.version == "v2" }, "\(report.targets)")
    }

    /// etcd killed in the middle of a deploy: the deploy stops at the step whose record cannot be
    /// written, naming the state it cannot reach, and leaves nothing out of service unsaid; once etcd
    /// is back (same data), a resume from another machine finishes it.
    @Test func etcdKilledMidDeployStopsSafelyAndTheDeployResumesOnceItIsBack() async throws {
        let etcd = try LoopbackEtcd()
        defer { etcd.stop() }
        let scratch = try Scratch(yaml: "")
        defer { scratch.remove() }
        let yaml =
            Scratch.simulated(count: 6, batch: "1", maxUnavailable: 1, minInService: 1, duration: "1s")
            .replacingOccurrences(of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
            + "state:\n  etcd: {endpoints: [\(etcd.endpoint)], prefix: deployer/killed}\n"
        try yaml.write(toFile: scratch.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
        let running = try DeployerProcess.start(
            ["deploy", "sim", "--yes", "--state-dir", scratch.path + "/machine-a"], in: scratch.path,
            environment: ["HOME": scratch.path + "/home-a"])
        // Wait until two targets are done, then kill etcd as a crash or a partition would.
        let backend = EtcdStateBackend(endpoints: [URL(string: etcd.endpoint)!], prefix: "deployer/killed", transport: SocketHTTPTransport(timeout: .seconds(5)))
        for _ in 0..<200 {
            let journal = try? await backend.list("journal").first
            let text = await journal.asyncFlatMap { try? await backend.read("journal/" + $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
            if text.components(separatedBy: "\"kind\":\"target-finished\"").count > 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        etcd.kill()
        let status = running.wait(timeout: 90)
        let output = running.stdout() + running.stderr()
        #expect(status != nil && status != 0, "the deploy did not carry on without its state: \(String(describing: status)) \(output)")
        #expect(output.contains("etcd://127.0.0.1:\(etcd.clientPort)/deployer/killed"), "the state it cannot reach is named: \(output)")

        try etcd.restart()
        let resumed = try DeployerProcess.run(
            ["resume", "sim", "--state-dir", scratch.path + "/machine-b"], in: scratch.path, environment: ["HOME": scratch.path + "/home-b"])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        let report = try StatusReport.read(
            in: scratch.path, arguments: ["--state-dir", scratch.path + "/machine-b"], variables: ["HOME": scratch.path + "/home-b"])
        #expect(report.lock == nil && report.unfinishedDeploy == nil, "\(resumed.stdout)")
        #expect(report.targets.allSatisfy { $0.state == "in service" && $0.version == "v2" }, "\(report.targets)")
    }

    /// A holder on another machine whose etcd lease ran out: `status` says it is gone and since when,
    /// and a deploy refuses, pointing at resume/abort or lock release; until then it is alive.
    @Test func aHolderWhoseEtcdLeaseRanOutIsShownGoneSinceThen() async throws {
        let etcd = try LoopbackEtcd()
        defer { etcd.stop() }
        let scratch = try Scratch(yaml: Scratch.simulated(count: 2, batch: "1", maxUnavailable: 1, minInService: 1)
            + "state:\n  etcd: {endpoints: [\(etcd.endpoint)], prefix: deployer/gone}\n")
        defer { scratch.remove() }
        let store = StateStore(
            EtcdStateBackend(
                endpoints: [URL(string: etcd.endpoint)!], prefix: "deployer/gone", transport: SocketHTTPTransport(timeout: .seconds(5)), heartbeatTTL: 3))
        let holder = LockInfo(user: "ci", host: "build-agent-7.invalid", pid: 4242, since: Date(), deployID: nil, command: "drain")
        #expect(try await store.lock.acquire(holder) == nil)
        try await store.beat(holder, at: Date())
        let alive = try DeployerProcess.run(["status", "sim"], in: scratch.path)
        #expect(alive.stdout.contains("last heard from") && !alive.stdout.contains("is gone"), "\(alive.stdout)\(alive.stderr)")
        var expired = false
        for _ in 0..<40 where !expired {
            try await Task.sleep(for: .milliseconds(250))
            expired = try await store.heartbeatExpiry(of: holder) != nil
        }
        try #require(expired, "the lease never ran out")
        let gone = try DeployerProcess.run(["status", "sim"], in: scratch.path)
        #expect(gone.stdout.contains("that process is gone since") && gone.stdout.contains("its heartbeat's lease ran out"), "\(gone.stdout)\(gone.stderr)")
        let refused = try DeployerProcess.run(["deploy", "sim", "--yes"], in: scratch.path)
        #expect(refused.status == 4, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("is gone since") && refused.stderr.contains("lock release"), "\(refused.stderr)")
        #expect(try await store.lock.current() == holder, "nothing took the lock")
    }

    /// State in an etcd that serves TLS only and asks for a client certificate, named in the
    /// environment file by paths next to it: deploy and status work from two machines; a CA file that
    /// cannot be read is refused before anything changes (exit 2, naming it), and a CA that did not sign
    /// the cluster's certificate fails closed, naming the state.
    @Test func etcdOverTLSWithAClientCertificate() async throws {
        let etcd = try LoopbackEtcd(tls: true)
        defer { etcd.stop() }
        let scratch = try Scratch(yaml: "")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch.path + "/inventories/certs", withIntermediateDirectories: true)
        for (source, name) in [(etcd.caFile, "ca.pem"), (etcd.otherCAFile, "other-ca.pem"), (etcd.clientCertificate, "deployer.pem"), (etcd.clientKey, "deployer.key")] {
            try FileManager.default.copyItem(atPath: source, toPath: scratch.path + "/inventories/certs/" + name)
        }
        func environment(ca: String) throws {
            let yaml =
                Scratch.simulated(count: 4, batch: "1", maxUnavailable: 1, minInService: 1)
                .replacingOccurrences(of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
                + "state:\n  etcd:\n    endpoints: [\(etcd.endpoint)]\n    prefix: deployer/tls\n"
                + "    ca: \(ca)\n    cert: certs/deployer.pem\n    key: certs/deployer.key\n"
            try yaml.write(toFile: scratch.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
        }
        try environment(ca: "certs/ca.pem")
        let deployed = try DeployerProcess.run(
            ["deploy", "sim", "--yes", "--state-dir", scratch.path + "/machine-a"], in: scratch.path, environment: ["HOME": scratch.path + "/home-a"])
        #expect(deployed.status == 0, "\(deployed.stdout)\n\(deployed.stderr)")
        let status = try DeployerProcess.run(
            ["status", "sim", "--state-dir", scratch.path + "/machine-b"], in: scratch.path, environment: ["HOME": scratch.path + "/home-b"])
        #expect(status.status == 0 && status.stdout.contains("etcd://127.0.0.1:\(etcd.clientPort)/deployer/tls"), "\(status.stdout)\n\(status.stderr)")
        let history = try DeployerProcess.run(["history", "sim", "--output", "json"], in: scratch.path, environment: ["HOME": scratch.path + "/home-b"])
        #expect(history.status == 0 && history.stdout.contains("\"v2\""), "the audit log is read back over TLS: \(history.stdout)\(history.stderr)")

        try environment(ca: "certs/missing-ca.pem")
        let missing = try DeployerProcess.run(["deploy", "sim", "--yes", "--version", "v3"], in: scratch.path, environment: ["HOME": scratch.path + "/home-a"])
        #expect(missing.status == 2, "\(missing.stdout)\n\(missing.stderr)")
        #expect(missing.stderr.contains("cannot read the CA certificate") && missing.stderr.contains("certs/missing-ca.pem"), "\(missing.stderr)")

        try environment(ca: "certs/other-ca.pem")
        let untrusted = try DeployerProcess.run(["deploy", "sim", "--yes", "--version", "v3"], in: scratch.path, environment: ["HOME": scratch.path + "/home-a"])
        #expect(untrusted.status != 0 && untrusted.stderr.contains("not trusted"), "\(untrusted.stdout)\n\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("etcd://127.0.0.1:\(etcd.clientPort)/deployer/tls"), "\(untrusted.stderr)")
        try environment(ca: "certs/ca.pem")
        let after = try StatusReport.read(in: scratch.path, variables: ["HOME": scratch.path + "/home-b"])
        #expect(after.targets.allSatisfy { $0.version == "v2" && $0.state == "in service" }, "nothing changed: \(after.targets)")
    }

    /// Fail closed, in Blob Storage: an account Resource Manager does not know, a key the service
    /// refuses, a service that does not answer — deploy, drain and restore refuse before anything
    /// changes, naming where the state is and what went wrong.
    @Test func blobStateThatCannotBeReachedRefusesBeforeAnythingChanges() async throws {
        let lab = try await BlobLab.start()
        defer { lab.stop() }
        let wrongKey = Data((0..<64).map { UInt8($0) }).base64EncodedString()
        let cases: [(state: String, variables: [String: String], expected: [String])] = [
            (
                "state:\n  azure-blob: {account: stnosuchaccount, resource-group: \(BlobLab.resourceGroup)}\n", [:],
                ["deploy state at azure-blob://stnosuchaccount/deployer-state/sim", "finding the storage account", "ResourceNotFound"]
            ),
            (
                BlobLab.stateSection(prefix: "sim", keyVariable: "STATE_KEY"), ["STATE_KEY": wrongKey],
                ["deploy state at azure-blob://\(BlobLab.account)/deployer-state/sim", "403", "AuthenticationFailed"]
            ),
            (
                BlobLab.stateSection(prefix: "sim", keyVariable: "STATE_KEY"), [:],
                ["deploy state at azure-blob://\(BlobLab.account)/deployer-state/sim", "STATE_KEY is not set"]
            ),
        ]
        for (state, extra, expected) in cases {
            let scratch = try Scratch(yaml: Scratch.simulated() + state)
            defer { scratch.remove() }
            let variables = lab.environment.merging(extra) { _, new in new }
            for arguments in [["deploy", "sim", "--yes"], ["drain", "sim", "web-1"], ["restore", "sim", "web-1"]] {
                let result = try DeployerProcess.run(arguments, in: scratch.path, environment: variables)
                #expect(result.status == 1, "\(arguments): \(result.stderr)")
                for text in expected { #expect(result.stderr.contains(text), "\(arguments): \(text) in \(result.stderr)") }
                #expect(!result.stderr.contains(wrongKey) && !result.stderr.contains(lab.secret), "no secret is printed")
            }
            let fleet = (try? String(contentsOfFile: scratch.path + "/inventories/.deployer/sim/simulated-fleet.json", encoding: .utf8)) ?? ""
            #expect(!fleet.contains("\"v2\"") && !fleet.contains("maint") && !fleet.contains("\"drain\""), "nothing changed: \(fleet)")
        }
    }
}

extension Optional {
    /// `flatMap` with an async transform.
    func asyncFlatMap<T>(_ transform: (Wrapped) async -> T?) async -> T? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}
