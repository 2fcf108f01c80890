import Foundation
import Testing

/// SIGINT, SIGTERM and SIGHUP sent to a real `deployer deploy` process: each means "stop safely"; a
/// second signal, or the end of the grace period, quits at once naming what is left out of service.
@Suite(.serialized) struct StopSignalTests {
    /// 6 targets in batches of 2, each update 0.4 s: a deploy lasts about 1.5 s.
    static let environment = Scratch.simulated(duration: "400ms")

    @Test(arguments: [("SIGINT", SIGINT), ("SIGTERM", SIGTERM), ("SIGHUP", SIGHUP)])
    func aSignalAtARandomTimeStopsSafely(_ name: String, _ number: Int32) throws {
        let seed = UInt64(number) &* 7919 &+ 17
        var random = XorShiftRandom(seed: seed)
        var interrupted = 0
        for run in 1...20 {
            let scratch = try Scratch(yaml: Self.environment)
            defer { scratch.remove() }
            let delay = 0.05 + Double(random.next() % 1_050) / 1_000
            let context = "\(name) run \(run) (seed \(seed)) after \(String(format: "%.3f", delay)) s"
            let running = try DeployerProcess.start(["deploy", "sim", "--yes", "--plain"], in: scratch.path)
            // From the moment the process handles signals (before that, no program can): on a loaded
            // machine its start-up alone can take longer than the shortest delays.
            waitUntilHandled(number, by: running.process.processIdentifier)
            Thread.sleep(forTimeInterval: delay)
            kill(running.process.processIdentifier, number)
            guard let status = running.wait(timeout: 30) else {
                kill(running.process.processIdentifier, SIGKILL)
                Issue.record("\(context): deployer did not stop within 30 s")
                continue
            }
            let output = running.stdout() + running.stderr()
            let report = try StatusReport.read(in: scratch.path)
            if status == 0 {
                // The signal came after the deploy was done.
                #expect(report.targets.allSatisfy { $0.state == "in service" && $0.version == "v2" }, "\(context)\n\(output)")
                continue
            }
            #expect(status == 5, "\(context): exit \(status)\n\(output)")
            if output.contains("Stopped before the deploy began: nothing was changed.") {
                #expect(report.targets.allSatisfy { $0.state == "in service" && $0.version == "v1" }, "\(context)")
                #expect(report.lock == nil && report.unfinishedDeploy == nil, "\(context)")
                continue
            }
            interrupted += 1
            #expect(output.contains("\(name): stopping safely"), "\(context)\n\(output)")
            #expect(output.contains("deployer resume sim"), "the advice names resume: \(context)\n\(output)")
            for row in report.targets where row.state != "in service" {
                #expect(
                    output.contains("\(row.target) is out of service") || output.contains("  \(row.target)  "),
                    "\(row.target) is \(row.state) but not listed: \(context)\n\(output)")
            }
            // Stopping safely: nothing is left out when every update could finish within the grace period.
            #expect(report.targets.allSatisfy { $0.state == "in service" }, "\(report.targets): \(context)\n\(output)")
            let resumed = try DeployerProcess.run(["resume", "sim", "--plain"], in: scratch.path)
            #expect(resumed.status == 0, "\(context): resume: \(resumed.stdout)\(resumed.stderr)")
            let after = try StatusReport.read(in: scratch.path)
            #expect(after.targets.allSatisfy { $0.state == "in service" && $0.version == "v2" }, "\(context): \(after.targets)")
            #expect(after.lock == nil && after.unfinishedDeploy == nil, "\(context)")
        }
        print("\(name): 20 runs, \(interrupted) interrupted mid-deploy, every target in service or listed, all resumed")
        #expect(interrupted >= 10, "most signals land while the deploy runs")
    }

    @Test func anUpdateInProgressIsFinishedVerifiedAndRestored() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(batch: "1", duration: "1500ms"))
        defer { scratch.remove() }
        let running = try DeployerProcess.start(["deploy", "sim", "--yes", "--plain"], in: scratch.path)
        try waitFor("web-1  wait-drained ok", in: running)
        Thread.sleep(forTimeInterval: 0.3)
        kill(running.process.processIdentifier, SIGTERM)
        let status = running.wait(timeout: 30)
        let output = running.stdout() + running.stderr()
        #expect(status == 5, "\(output)")
        let report = try StatusReport.read(in: scratch.path)
        let first = report.targets.first { $0.target == "web-1" }
        #expect(first?.version == "v2" && first?.state == "in service", "web-1 finished its update: \(report.targets)\n\(output)")
        #expect(report.targets.filter { $0.version == "v2" }.count == 1, "nothing else was started: \(report.targets)")
        #expect(report.targets.allSatisfy { $0.state == "in service" }, "\(report.targets)")
        #expect(report.unfinishedDeploy != nil, "the rest is for resume")
    }

    @Test func theGracePeriodEndsWithWhatIsLeftListed() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(batch: "1", duration: "30s"))
        defer { scratch.remove() }
        let running = try DeployerProcess.start(["deploy", "sim", "--yes", "--plain", "--grace", "1s"], in: scratch.path)
        try waitFor("web-1  wait-drained ok", in: running)
        let sent = Date()
        kill(running.process.processIdentifier, SIGINT)
        let status = running.wait(timeout: 20)
        let waited = Date().timeIntervalSince(sent)
        let output = running.stdout() + running.stderr()
        #expect(status == 5, "\(output)")
        #expect(waited < 10, "quit at the end of the 1 s grace period, not after the 30 s update: \(waited) s")
        #expect(output.contains("grace period of 1s is over"), "\(output)")
        #expect(output.contains("Left out of service (1):") && output.contains("  web-1  during update"), "\(output)")
        #expect(output.contains("deployer abort sim"), "\(output)")
        let report = try StatusReport.read(in: scratch.path)
        #expect(report.targets.filter { $0.state != "in service" }.map(\.target) == ["web-1"], "\(report.targets)")
        let audit = try String(contentsOfFile: scratch.path + "/inventories/.deployer/sim/audit.log", encoding: .utf8)
        #expect(audit.contains("\"outcome\":\"started\""), "\(audit)")
        #expect(audit.contains("quit with 1 target(s) out of service"), "\(audit)")
    }

    @Test func aSecondSignalQuitsAtOnceSayingWhatIsLeft() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(batch: "1", duration: "30s"))
        defer { scratch.remove() }
        let running = try DeployerProcess.start(["deploy", "sim", "--yes", "--plain"], in: scratch.path)
        try waitFor("web-1  wait-drained ok", in: running)
        kill(running.process.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        let sent = Date()
        kill(running.process.processIdentifier, SIGINT)
        let status = running.wait(timeout: 20)
        let output = running.stdout() + running.stderr()
        #expect(status == 5, "\(output)")
        #expect(Date().timeIntervalSince(sent) < 3, "quit at once")
        #expect(output.contains("SIGINT again: quitting at once"), "\(output)")
        #expect(output.contains("  web-1  during update"), "\(output)")
        let abort = try DeployerProcess.run(["abort", "sim"], in: scratch.path)
        #expect(abort.status == 0 || abort.status == 1, "\(abort.stdout)\(abort.stderr)")
    }

    /// Waits (at most 10 s) until the process ignores or catches `signal` (its /proc status says so).
    private func waitUntilHandled(_ signal: Int32, by pid: Int32) {
        let bit = UInt64(1) << UInt64(signal - 1)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            for line in status.split(separator: "\n") where line.hasPrefix("SigIgn:") || line.hasPrefix("SigCgt:") {
                if let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16), mask & bit != 0 { return }
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    /// Waits (at most 20 s) until the plain output shows `text`: the step before it is done.
    private func waitFor(_ text: String, in running: DeployerProcess.Running) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if running.stdout().contains(text) { return }
            if !running.process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        Issue.record("deployer never printed \(text): \(running.stdout())\(running.stderr())")
    }
}

/// xorshift64*: a fixed sequence for a seed, so a failing run can be repeated.
struct XorShiftRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x2545_F491_4F6C_DD1D : seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
