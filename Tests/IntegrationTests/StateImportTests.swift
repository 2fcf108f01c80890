import Foundation
import JSONDocument
import LabSupport
import Testing

/// An environment whose `state:` moves from this machine to an SSH host while a deploy is unfinished
/// here: the local journal is never ignored; `deployer state import` moves it, and `resume` finishes it.
@Suite(.tags(.ssh), .serialized) struct StateImportTests {
    @Test func anUnfinishedLocalDeployIsReportedImportedAndResumed() throws {
        let server = try SSHServer()
        defer { server.stop() }
        let local = Scratch.simulated().replacingOccurrences(
            of: "    session-duration: 2s\n", with: "    session-duration: 2s\n    fleet-file: fleet.json\n")
        let scratch = try Scratch(yaml: local)
        defer { scratch.remove() }
        let running = try DeployerProcess.start(
            ["deploy", "sim", "--yes"], in: scratch.path, environment: ["DEPLOYER_TEST_STOP_AT_RECORD": "8"])
        let pid = running.process.processIdentifier
        let deadline = Date().addingTimeInterval(20)
        while !DeployerProcess.isStopped(pid), running.process.isRunning, Date() < deadline { usleep(2_000) }
        kill(pid, SIGKILL)
        _ = running.wait(timeout: 10)

        let shared = local + "state:\n  ssh: {address: 127.0.0.1, port: \(server.port), user: \(server.user), "
            + "key: \(server.userKey), dir: \(scratch.path)/shared}\n"
        try shared.write(toFile: scratch.path + "/inventories/sim.yml", atomically: true, encoding: .utf8)
        let ssh = ["DEPLOYER_KNOWN_HOSTS": server.knownHosts]
        let status = try DeployerProcess.run(["status", "sim"], in: scratch.path, environment: ssh)
        #expect(status.stdout.contains("still holds an unfinished deploy") && status.stdout.contains("deployer state import sim"), "\(status.stdout)")
        let deploy = try DeployerProcess.run(["deploy", "sim", "--yes"], in: scratch.path, environment: ssh)
        #expect(deploy.status == 5 && deploy.stderr.contains("deployer state import sim"), "\(deploy.stderr)")
        let imported = try DeployerProcess.run(["state", "import", "sim"], in: scratch.path, environment: ssh)
        #expect(imported.status == 0 && imported.stdout.contains("Imported into ssh://127.0.0.1/"), "\(imported.stdout)\(imported.stderr)")
        let resumed = try DeployerProcess.run(["resume", "sim"], in: scratch.path, environment: ssh)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        let report = try StatusReport.read(in: scratch.path, variables: ssh)
        #expect(report.targets.allSatisfy { $0.state == "in service" && $0.version == "v2" }, "\(report.targets)")
        #expect(report.lock == nil && report.unfinishedDeploy == nil)
    }

    /// Fail closed: deploy state that cannot be reached stops deploy, drain and restore before anything
    /// changes, naming where the state is and what went wrong.
    @Test func unreachableStateRefusesBeforeAnythingChanges() throws {
        let closed = SSHServer.freePort()
        let yaml = Scratch.simulated() + "state:\n  ssh: {address: 127.0.0.1, port: \(closed), dir: /nonexistent/state}\n"
        let scratch = try Scratch(yaml: yaml)
        defer { scratch.remove() }
        for arguments in [["deploy", "sim", "--yes"], ["drain", "sim", "web-1"], ["restore", "sim", "web-1"]] {
            let result = try DeployerProcess.run(arguments, in: scratch.path)
            #expect(result.status == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("deploy state at ssh://127.0.0.1/nonexistent/state") && result.stderr.contains("refused"), "\(result.stderr)")
        }
        let fleet = try String(contentsOfFile: scratch.path + "/inventories/.deployer/sim/simulated-fleet.json", encoding: .utf8)
        #expect(!fleet.contains("\"v2\"") && !fleet.contains("maint") && !fleet.contains("\"drain\""), "nothing changed: \(fleet)")
    }
}
