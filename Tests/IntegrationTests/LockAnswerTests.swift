import Foundation
import Testing

/// What a command is told when the environment is locked: by a running deploy (exit 4, the holder
/// named, `--lock-wait` waits), by a deploy whose process is gone (resume or abort), by a drain whose
/// process is gone and left no journal (`lock release` frees it), or by an operator.
@Suite(.serialized) struct LockAnswerTests {
    @Test func aDeployWhileAnotherRunsIsToldWhoHoldsTheLockAndCanWaitForIt() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(batch: "1", duration: "500ms"))
        defer { scratch.remove() }
        let first = try DeployerProcess.start(["deploy", "sim", "--yes", "--plain"], in: scratch.path)
        defer { kill(first.process.processIdentifier, SIGKILL) }
        // Two seconds in, the first deploy's journal is well under way.
        Thread.sleep(forTimeInterval: 2)
        let pid = first.process.processIdentifier
        let second = try DeployerProcess.run(["deploy", "sim", "--yes", "--version", "v3"], in: scratch.path)
        #expect(second.status == 4, "\(second.stderr)")
        #expect(second.stderr.contains("deploy in progress by") && second.stderr.contains("(pid \(pid))"), "\(second.stderr)")
        #expect(!second.stderr.contains("did not finish"), "a live deploy is never called unfinished: \(second.stderr)")
        let drain = try DeployerProcess.run(["drain", "sim", "web-6"], in: scratch.path)
        #expect(drain.status == 4 && drain.stderr.contains("(pid \(pid))"), "\(drain.stderr)")

        let waited = try DeployerProcess.run(["deploy", "sim", "--yes", "--version", "v3", "--lock-wait"], in: scratch.path)
        #expect(first.wait(timeout: 1) == 0, "the first deploy finished: \(first.stderr())")
        #expect(waited.status == 0, "\(waited.stdout)\(waited.stderr)")
        #expect(waited.stderr.contains("waiting for the lock"), "\(waited.stderr)")
        let report = try StatusReport.read(in: scratch.path)
        #expect(report.targets.allSatisfy { $0.version == "v3" && $0.state == "in service" }, "\(report.targets)")
    }

    @Test func aDeployWhoseProcessIsGoneGetsResumeOrAbortAdviceAndLeavesAnAuditLine() throws {
        let scratch = try Scratch(yaml: Scratch.simulated())
        defer { scratch.remove() }
        #expect(try DeployerProcess.killedDeploy(atRecord: 8, in: scratch.path).reached)

        let journals = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/inventories/.deployer/sim/journal")
        let deployID = try #require(journals.first?.replacingOccurrences(of: ".jsonl", with: ""))
        #expect(deployID.count == 25, "deploy ids have one length: \(deployID)")
        let audit = try String(contentsOfFile: scratch.path + "/inventories/.deployer/sim/audit.log", encoding: .utf8)
        #expect(audit.contains("\"deploy\":\"\(deployID)\"") && audit.contains("\"outcome\":\"started\""), "\(audit)")

        for arguments in [["deploy", "sim", "--yes"], ["deploy", "sim", "--yes", "--lock-wait"]] {
            let started = Date()
            let again = try DeployerProcess.run(arguments, in: scratch.path)
            #expect(again.status == 5, "\(arguments): \(again.stderr)")
            #expect(again.stderr.contains("its process is gone") && again.stderr.contains("deployer resume sim"), "\(again.stderr)")
            #expect(Date().timeIntervalSince(started) < 10, "a gone holder is never waited for")
        }
        let release = try DeployerProcess.run(["lock", "release", "sim"], in: scratch.path)
        #expect(release.status == 5 && release.stderr.contains("deployer resume sim"), "\(release.stderr)")
        let status = try DeployerProcess.run(["lock", "status", "sim"], in: scratch.path)
        #expect(status.stdout.contains("that process is gone"), "\(status.stdout)")
        let resumed = try DeployerProcess.run(["resume", "sim"], in: scratch.path)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
    }

    @Test func aLockWhoseHolderIsGoneAndLeftNoJournalIsReleasedSayingWhatWasFound() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(sessions: 3))
        defer { scratch.remove() }
        _ = try StatusReport.read(in: scratch.path)
        // A drain waits for sessions that last 2 s: killed while it waits, it leaves its lock and no journal.
        let drain = try DeployerProcess.start(["drain", "sim", "web-3"], in: scratch.path)
        Thread.sleep(forTimeInterval: 0.7)
        kill(drain.process.processIdentifier, SIGKILL)
        _ = drain.wait(timeout: 10)

        let deploy = try DeployerProcess.run(["deploy", "sim", "--yes"], in: scratch.path)
        #expect(deploy.status == 4 && deploy.stderr.contains("that process is gone"), "\(deploy.stderr)")
        #expect(deploy.stderr.contains("deployer lock release sim"), "\(deploy.stderr)")
        let resume = try DeployerProcess.run(["resume", "sim"], in: scratch.path)
        #expect(resume.stderr.contains("deployer lock release sim"), "resume points to the way out: \(resume.stderr)")
        let release = try DeployerProcess.run(["lock", "release", "sim"], in: scratch.path)
        #expect(release.status == 0, "\(release.stderr)")
        #expect(release.stdout.contains("Found: drain web-3") && release.stdout.contains("that process is gone"), "\(release.stdout)")
        let report = try StatusReport.read(in: scratch.path)
        #expect(report.lock == nil)
        #expect(report.targets.first { $0.target == "web-3" }?.state != "in service", "status still shows web-3 out")
    }

    @Test func aManualLockNamesNoProcessAndALiveHolderIsNotReleased() throws {
        let scratch = try Scratch(yaml: Scratch.simulated())
        defer { scratch.remove() }
        let acquire = try DeployerProcess.run(["lock", "acquire", "sim", "-m", "incident 42"], in: scratch.path)
        #expect(acquire.status == 0)
        let status = try DeployerProcess.run(["lock", "status", "sim"], in: scratch.path)
        #expect(status.stdout.contains("incident 42") && !status.stdout.contains("pid"), "\(status.stdout)")
        let deploy = try DeployerProcess.run(["deploy", "sim", "--yes", "--lock-wait"], in: scratch.path)
        #expect(deploy.status == 4 && deploy.stderr.contains("never waited on"), "\(deploy.stderr)")
        #expect(try DeployerProcess.run(["lock", "release", "sim"], in: scratch.path).status == 0)

        let running = try DeployerProcess.start(
            ["deploy", "sim", "--yes"], in: scratch.path, environment: ["DEPLOYER_TEST_STOP_AT_RECORD": "4"])
        let pid = running.process.processIdentifier
        defer {
            kill(pid, SIGKILL)
            _ = running.wait(timeout: 10)
        }
        let deadline = Date().addingTimeInterval(20)
        while !DeployerProcess.isStopped(pid), Date() < deadline { usleep(2_000) }
        let release = try DeployerProcess.run(["lock", "release", "sim"], in: scratch.path)
        #expect(release.status == 4 && release.stderr.contains("running deploy"), "\(release.stderr)")
    }

    /// Two deploys of one environment started at the same instant, 10 times: exactly one runs, the
    /// other exits 4 naming the holder.
    @Test func twoDeploysStartedTogetherOneRunsTheOtherIsToldWhoHoldsTheLock() throws {
        for round in 1...10 {
            let scratch = try Scratch(yaml: Scratch.simulated(count: 2, batch: "1", maxUnavailable: 1, minInService: 1, duration: "500ms"))
            defer { scratch.remove() }
            let first = try DeployerProcess.start(["deploy", "sim", "--yes", "--version", "v2"], in: scratch.path)
            let second = try DeployerProcess.start(["deploy", "sim", "--yes", "--version", "v3"], in: scratch.path)
            let statuses = [first.wait(timeout: 60), second.wait(timeout: 60)]
            let errors = first.stderr() + second.stderr()
            #expect(statuses.sorted { ($0 ?? -1) < ($1 ?? -1) } == [0, 4], "round \(round): \(statuses)\n\(errors)")
            #expect(errors.contains("deploy in progress by"), "round \(round): the holder is named: \(errors)")
        }
    }
}
