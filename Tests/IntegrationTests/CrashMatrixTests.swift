import Foundation
import Testing

/// Kills a real `deployer deploy` process with SIGKILL at every journal record of a 6-target deploy,
/// then checks that `resume` completes it and, from the same kill point, that `abort` puts every
/// target back in service.
@Suite(.serialized) struct CrashMatrixTests {
    @Test func resumeAndAbortFinishCorrectlyAfterKillAtEveryStepBoundary() throws {
        let reference = try Scratch(yaml: Scratch.simulated())
        defer { reference.remove() }
        let full = try DeployerProcess.run(["deploy", "sim", "--yes"], in: reference.path)
        #expect(full.status == 0, "reference deploy failed: \(full.stderr)")
        let total = try journalLines(reference.path + "/inventories/.deployer/sim/journal").count
        #expect(total > 40, "a 6-target deploy journals every step: \(total) records")

        var tried = 0
        for killPoint in 1..<total {
            for finisher in ["resume", "abort"] {
                let scratch = try Scratch(yaml: Scratch.simulated())
                defer { scratch.remove() }
                try killDeploy(at: killPoint, in: scratch.path)
                let after = try DeployerProcess.run([finisher, "sim"], in: scratch.path)
                let status = try StatusReport.read(in: scratch.path)
                expectRecovered(after, status, by: finisher, "kill at record \(killPoint) of \(total), then \(finisher)")
                tried += 1
            }
        }
        #expect(tried == 2 * (total - 1))
        print("crash matrix: \(total - 1) kill points × resume/abort = \(tried) kill -9 runs, all recovered")
    }

    /// The same matrix with the deploy state on a host over SSH (a real sshd on 127.0.0.1) and the
    /// simulated fleet in a file of its own: the resume and the abort are made as another machine, with
    /// a local state directory and a HOME of their own.
    @Test(.tags(.ssh)) func resumeAndAbortFromAnotherMachineWithTheStateOnAnSSHHost() throws {
        let server = try SSHServer()
        defer { server.stop() }
        func environment(_ scratch: String) -> String {
            Scratch.simulated().replacingOccurrences(
                of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
                + "state:\n  ssh: {address: 127.0.0.1, port: \(server.port), user: \(server.user), key: \(server.userKey), "
                + "dir: \(scratch)/on-the-host}\n"
        }
        let ssh = ["DEPLOYER_KNOWN_HOSTS": server.knownHosts]
        let reference = try Scratch(yaml: "")
        defer { reference.remove() }
        try environment(reference.path).write(toFile: reference.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
        let full = try DeployerProcess.run(["deploy", "sim", "--yes"], in: reference.path, environment: ssh)
        #expect(full.status == 0, "reference deploy failed: \(full.stderr)")
        let total = try journalLines(reference.path + "/on-the-host/journal").count
        #expect(total > 40, "a 6-target deploy journals every step: \(total) records")

        var tried = 0
        for killPoint in 1..<total {
            for finisher in ["resume", "abort"] {
                let scratch = try Scratch(yaml: "")
                defer { scratch.remove() }
                try environment(scratch.path).write(toFile: scratch.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
                try killDeploy(at: killPoint, in: scratch.path, journal: scratch.path + "/on-the-host/journal", environment: ssh)
                var elsewhere = ssh
                elsewhere["HOME"] = scratch.path + "/home-b"
                let other = ["--state-dir", scratch.path + "/machine-b"]
                let after = try DeployerProcess.run([finisher, "sim"] + other, in: scratch.path, environment: elsewhere)
                let status = try StatusReport.read(in: scratch.path, arguments: other, variables: elsewhere)
                expectRecovered(
                    after, status, by: finisher, "kill at record \(killPoint) of \(total), then \(finisher) from another machine")
                tried += 1
            }
        }
        #expect(tried == 2 * (total - 1))
        print("crash matrix, state over SSH: \(total - 1) kill points × resume/abort from another machine = \(tried) kill -9 runs, all recovered")
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
        at record: Int, in directory: String, journal: String? = nil, environment: [String: String] = [:]
    ) throws {
        var variables = environment
        variables["DEPLOYER_TEST_STOP_AT_RECORD"] = "\(record)"
        let running = try DeployerProcess.start(["deploy", "sim", "--yes"], in: directory, environment: variables)
        let pid = running.process.processIdentifier
        let deadline = Date().addingTimeInterval(20)
        while running.process.isRunning, !DeployerProcess.isStopped(pid), Date() < deadline { usleep(2_000) }
        #expect(DeployerProcess.isStopped(pid), "deployer did not reach record \(record): \(running.stderr())")
        kill(pid, SIGKILL)
        _ = running.wait(timeout: 10)
        #expect(try journalLines(journal ?? "\(directory)/inventories/.deployer/sim/journal").count == record)
    }

    private func journalLines(_ journalDir: String) throws -> [Substring] {
        let files = try FileManager.default.contentsOfDirectory(atPath: journalDir).filter { $0.hasSuffix(".jsonl") }
        guard let file = files.first else { return [] }
        let text = try String(contentsOfFile: "\(journalDir)/\(file)", encoding: .utf8)
        return text.split(separator: "\n")
    }
}
