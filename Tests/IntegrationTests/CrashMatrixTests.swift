import Foundation
import JSONDocument
import LabSupport
import Providers
import Testing

/// Kills a real `deployer deploy` process with SIGKILL at every journal record of a 6-target deploy,
/// then checks that `resume` completes it and, from the same kill point, that `abort` puts every
/// target back in service. The local and etcd matrices try every record; the SSH and Blob Storage
/// matrices one in three and the canary matrix one in two, from an offset that turns daily (so that
/// three days of runs cover every point; `DEPLOYER_CRASH_FULL=1` tries them all at once).
@Suite(.serialized) struct CrashMatrixTests {
    @Test func resumeAndAbortFinishCorrectlyAfterKillAtEveryStepBoundary() async throws {
        let (points, tried) = try await matrix({ _ in Scratch.simulated() }, records: files("inventories/.deployer/sim/journal"))
        print("crash matrix: \(points) kill points × resume/abort = \(tried) kill -9 runs, all recovered")
    }

    /// The same matrix with the deploy state on a host over SSH (a real sshd on 127.0.0.1) and the
    /// simulated fleet in a file of its own: the resume and the abort are made as another machine, with
    /// a local state directory and a HOME of their own.
    @Test(.tags(.ssh)) func resumeAndAbortFromAnotherMachineWithTheStateOnAnSSHHost() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let (points, tried) = try await matrix(
            { scratch in
                Scratch.simulated().replacingOccurrences(
                    of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
                    + "state:\n  ssh: {address: 127.0.0.1, port: \(server.port), user: \(server.user), key: \(server.userKey), "
                    + "dir: \(scratch)/on-the-host}\n"
            },
            records: files("on-the-host/journal"), environment: ["DEPLOYER_KNOWN_HOSTS": server.knownHosts], finishElsewhere: true,
            every: 3, name: "crash matrix, state over SSH")
        print("crash matrix, state over SSH: \(points) kill points × resume/abort from another machine = \(tried) kill -9 runs, all recovered")
    }

    /// The same matrix with the deploy state in Azure Blob Storage (the simulator's storage account),
    /// each run under a prefix of its own; the resume and the abort are made as another machine.
    @Test func resumeAndAbortFromAnotherMachineWithTheStateInBlobStorage() async throws {
        let lab = try await BlobLab.start()
        defer { lab.stop() }
        let access = lab.access
        let (points, tried) = try await matrix(
            { scratch in
                Scratch.simulated().replacingOccurrences(
                    of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
                    + BlobLab.stateSection(prefix: Self.prefix(scratch))
            },
            records: { scratch in
                let backend = access.backend(prefix: Self.prefix(scratch), sharedKey: true)
                guard let name = try await backend.list("journal").first,
                    let data = try await backend.read("journal/" + name)
                else { return 0 }
                return String(decoding: data, as: UTF8.self).split(separator: "\n").count
            },
            environment: lab.environment, finishElsewhere: true, every: 3, name: "crash matrix, state in Blob Storage")
        print("crash matrix, state in Blob Storage: \(points) kill points × resume/abort from another machine = \(tried) kill -9 runs, all recovered")
    }

    /// The same matrix with the deploy state in a real etcd on 127.0.0.1, each run under a prefix of
    /// its own; the resume and the abort are made as another machine.
    @Test(.enabled(if: LoopbackEtcd.isInstalled, "skipped: etcd is not installed (make deps installs etcd-server)"))
    func resumeAndAbortFromAnotherMachineWithTheStateInEtcd() async throws {
        let etcd = try LoopbackEtcd()
        defer { etcd.stop() }
        let endpoint = etcd.endpoint
        let (points, tried) = try await matrix(
            { scratch in
                Scratch.simulated().replacingOccurrences(
                    of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
                    + "state:\n  etcd: {endpoints: [\(endpoint)], prefix: deployer/\(Self.prefix(scratch))}\n"
            },
            records: { scratch in
                let backend = EtcdStateBackend(
                    endpoints: [URL(string: endpoint)!], prefix: "deployer/\(Self.prefix(scratch))", transport: SocketHTTPTransport(timeout: .seconds(10)))
                guard let name = try await backend.list("journal").first,
                    let data = try await backend.read("journal/" + name)
                else { return 0 }
                return String(decoding: data, as: UTF8.self).split(separator: "\n").count
            },
            finishElsewhere: true)
        print("crash matrix, state in etcd: \(points) kill points × resume/abort from another machine = \(tried) kill -9 runs, all recovered")
    }

    /// The same matrix with a canary stage (a bake of 1 s, sampled every 250 ms): kill points in the
    /// middle of the bake are judged again by `resume`, and `abort` ends the deploy with every target
    /// in service.
    @Test func resumeAndAbortFinishCorrectlyWithACanaryStage() async throws {
        let (points, tried) = try await matrix(
            { _ in
                Scratch.simulated().replacingOccurrences(
                    of: "  health-timeout: 5s\n",
                    with: "  health-timeout: 5s\n  canary: {targets: 1, bake: 1s, interval: 250ms, min-requests: 10}\n")
            }, records: files("inventories/.deployer/sim/journal"), every: 2, name: "crash matrix with a canary stage")
        print("crash matrix with a canary stage: \(points) kill points × resume/abort = \(tried) kill -9 runs, all recovered")
    }

    /// A blob prefix of the scratch directory's own.
    private static func prefix(_ scratch: String) -> String {
        "run-" + String((scratch as NSString).lastPathComponent.filter { $0.isLetter || $0.isNumber || $0 == "-" }.prefix(40))
    }

    /// The records of the one journal file in a directory under the scratch directory.
    private func files(_ journalDir: String) -> @Sendable (String) async throws -> Int {
        { scratch in try Self.journalLines(scratch + "/" + journalDir).count }
    }

    /// Runs a reference deploy of `yaml` (given the scratch directory) to count its journal records
    /// (`records` of the scratch directory), then, for each record, kills a fresh deploy right
    /// after it and finishes it with `resume`, and again with `abort`; with `finishElsewhere`, as another
    /// machine (a local state directory and HOME of its own). Returns the kill points and runs.
    ///
    /// With `every` above 1, a share of the kill points: the first, the last, and every `every`-th from an
    /// offset that turns with the day (`DEPLOYER_CRASH_OFFSET` sets it), so that successive runs cover
    /// them all; `DEPLOYER_CRASH_FULL=1` tries every one. The points tried are printed.
    private func matrix(
        _ yaml: (String) -> String, records: @Sendable (String) async throws -> Int, environment: [String: String] = [:],
        finishElsewhere: Bool = false, every: Int = 1, name: String = "crash matrix"
    ) async throws -> (points: Int, tried: Int) {
        func scratch() throws -> Scratch {
            let scratch = try Scratch(yaml: "")
            try yaml(scratch.path).write(toFile: scratch.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
            return scratch
        }
        let reference = try scratch()
        defer { reference.remove() }
        let full = try DeployerProcess.run(["deploy", "sim", "--yes"], in: reference.path, environment: environment)
        #expect(full.status == 0, "reference deploy failed: \(full.stderr)")
        let total = try await records(reference.path)
        #expect(total > 40, "a 6-target deploy journals every step: \(total) records")

        let points = Self.killPoints(total: total, every: every)
        if points.count < total - 1 { print("\(name): kill points \(points.map(String.init).joined(separator: ",")) of 1–\(total - 1)") }
        var tried = 0
        for killPoint in points {
            for finisher in ["resume", "abort"] {
                let run = try scratch()
                defer { run.remove() }
                try await killDeploy(at: killPoint, in: run.path, records: records, environment: environment)
                var variables = environment
                var other: [String] = []
                if finishElsewhere {
                    variables["HOME"] = run.path + "/home-b"
                    other = ["--state-dir", run.path + "/machine-b"]
                }
                let after = try DeployerProcess.run([finisher, "sim"] + other, in: run.path, environment: variables)
                let status = try StatusReport.read(in: run.path, arguments: other, variables: variables)
                expectRecovered(
                    after, status, by: finisher,
                    "kill at record \(killPoint) of \(total), then \(finisher)" + (finishElsewhere ? " from another machine" : ""))
                tried += 1
            }
        }
        #expect(tried == 2 * points.count)
        return (points.count, tried)
    }

    /// The kill points of a matrix of `total` records, one in `every` (see `matrix`).
    static func killPoints(total: Int, every: Int) -> [Int] {
        let variables = ProcessInfo.processInfo.environment
        guard every > 1, variables["DEPLOYER_CRASH_FULL"] != "1", total > 2 else { return Array(1..<total) }
        let day = Int(Date().timeIntervalSince1970 / 86_400)
        let offset = (variables["DEPLOYER_CRASH_OFFSET"].flatMap(Int.init) ?? day) % every
        return Array(Set(stride(from: 1 + offset, to: total, by: every)).union([1, total - 1])).sorted()
    }

    /// After `resume` or `abort`: it succeeded, the lock is free, nothing is unfinished, every target is
    /// in service (on the new version after a resume).
    private func expectRecovered(_ after: DeployerProcess.Result, _ status: StatusReport, by finisher: String, _ what: String) {
        let context = "\(what): \(after.stdout)\n\(after.stderr)"
        #expect(after.status == 0, "\(context)")
        #expect(status.lock == nil, "lock still held: \(context)")
        #expect(status.unfinishedDeploy == nil, "deploy still unfinished: \(context)")
        #expect(status.targets.allSatisfy { $0.state == "in service" }, "\(status.targets) — \(context)")
        if finisher == "resume" {
            #expect(status.targets.allSatisfy { $0.version == "v2" }, "\(status.targets) — \(context)")
        }
    }

    private func killDeploy(
        at record: Int, in directory: String, records: @Sendable (String) async throws -> Int, environment: [String: String]
    ) async throws {
        let killed = try DeployerProcess.killedDeploy(atRecord: record, in: directory, environment: environment)
        #expect(killed.reached, "deployer did not reach record \(record): \(killed.stderr)")
        #expect(try await records(directory) == record)
    }

    private static func journalLines(_ journalDir: String) throws -> [Substring] {
        let files = try FileManager.default.contentsOfDirectory(atPath: journalDir).filter { $0.hasSuffix(".jsonl") }
        guard let file = files.first else { return [] }
        let text = try String(contentsOfFile: "\(journalDir)/\(file)", encoding: .utf8)
        return text.split(separator: "\n")
    }
}
