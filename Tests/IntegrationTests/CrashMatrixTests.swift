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
        let total = try journalLines(reference.path).count
        #expect(total > 40, "a 6-target deploy journals every step: \(total) records")

        var tried = 0
        for killPoint in 1..<total {
            for finisher in ["resume", "abort"] {
                let scratch = try Scratch(yaml: Scratch.simulated())
                defer { scratch.remove() }
                try killDeploy(at: killPoint, in: scratch.path)
                let after = try DeployerProcess.run([finisher, "sim"], in: scratch.path)
                let status = try StatusReport.read(in: scratch.path)
                let context = "kill at record \(killPoint) of \(total), then \(finisher): \(after.stdout)\n\(after.stderr)"
                #expect(after.status == 0, "\(context)")
                #expect(status.lock == nil, "lock still held: \(context)")
                #expect(status.unfinishedDeploy == nil, "deploy still unfinished: \(context)")
                #expect(status.targets.allSatisfy { $0.state == "in service" }, "\(status.targets) — \(context)")
                if finisher == "resume" {
                    #expect(status.targets.allSatisfy { $0.version == "v2" }, "\(status.targets) — \(context)")
                }
                tried += 1
            }
        }
        #expect(tried == 2 * (total - 1))
        print("crash matrix: \(total - 1) kill points × resume/abort = \(tried) kill -9 runs, all recovered")
    }

    private func killDeploy(at record: Int, in directory: String) throws {
        let running = try DeployerProcess.start(
            ["deploy", "sim", "--yes"], in: directory, environment: ["DEPLOYER_TEST_STOP_AT_RECORD": "\(record)"])
        let pid = running.process.processIdentifier
        let deadline = Date().addingTimeInterval(20)
        while running.process.isRunning, !DeployerProcess.isStopped(pid), Date() < deadline { usleep(2_000) }
        #expect(DeployerProcess.isStopped(pid), "deployer did not reach record \(record): \(running.stderr())")
        kill(pid, SIGKILL)
        running.process.waitUntilExit()
        #expect(try journalLines(directory).count == record)
    }

    private func journalLines(_ directory: String) throws -> [Substring] {
        let journalDir = "\(directory)/inventories/.deployer/sim/journal"
        let files = try FileManager.default.contentsOfDirectory(atPath: journalDir).filter { $0.hasSuffix(".jsonl") }
        guard let file = files.first else { return [] }
        let text = try String(contentsOfFile: "\(journalDir)/\(file)", encoding: .utf8)
        return text.split(separator: "\n")
    }
}
