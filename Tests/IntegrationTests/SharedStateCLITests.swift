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
        let backend = EtcdStateBackend(endpoints: [URL(string: etcd.endpoint)!], prefix: "deployer/killed", transport: PlainHTTPTransport(timeout: .seconds(5)))
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
