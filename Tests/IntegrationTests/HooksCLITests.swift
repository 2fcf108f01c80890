import Foundation
import Testing

/// `hooks:` run where deployer runs, around a deploy and its batches.
@Suite struct HooksCLITests {
    static func environment(hooks: String, failing: Bool = false) throws -> Scratch {
        try Scratch(
            yaml: Scratch.simulated(count: 4, batch: "2", maxUnavailable: 2, minInService: 2, failureRate: failing ? 1 : 0)
                + "hooks:\n" + hooks)
    }

    @Test func everyHookRunsWithWhatHappenedAndNoSecret() throws {
        let scratch = try Self.environment(
            hooks: """
                  pre-deploy: echo "pre $DEPLOYER_VERSION $DEPLOYER_ENVIRONMENT ${AZURE_CLIENT_SECRET:-no-secret}" >> hooks.log
                  pre-batch: echo "batch $DEPLOYER_BATCH of $DEPLOYER_TARGETS" >> hooks.log
                  post-batch: echo "after batch $DEPLOYER_BATCH" >> hooks.log; echo shown on the console
                  post-deploy: echo "post $DEPLOYER_RESULT $DEPLOYER_EXIT_CODE $DEPLOYER_DEPLOY_ID" >> hooks.log
                  on-failure: echo "never" >> hooks.log

                """)
        defer { scratch.remove() }
        let result = try DeployerProcess.run(["deploy", "sim", "--yes"], in: scratch.path, environment: ["AZURE_CLIENT_SECRET": "hunter2"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let log = try String(contentsOfFile: scratch.path + "/inventories/hooks.log", encoding: .utf8)
        let lines = log.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(log)")
        #expect(lines.first == "pre v2 sim no-secret", "the secret deployer reads is never given to a hook")
        #expect(Array(lines[1...4]) == ["batch 1 of web-1 web-2", "after batch 1", "batch 2 of web-3 web-4", "after batch 2"])
        #expect(lines.last?.hasPrefix("post succeeded 0 ") == true)
        #expect(result.stdout.contains("hook post-batch | shown on the console"), "\(result.stdout)")
        #expect(!(result.stdout + result.stderr).contains("hunter2"))
        let journal = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/inventories/.deployer/sim/journal")
        let text = try String(contentsOfFile: scratch.path + "/inventories/.deployer/sim/journal/" + journal[0], encoding: .utf8)
        #expect(text.components(separatedBy: "\"kind\":\"hook-ran\"").count - 1 == 5, "every hook journaled")
    }

    @Test func aFailingPreDeployHookStopsBeforeAnythingIsTouched() throws {
        let scratch = try Self.environment(hooks: "  pre-deploy: echo 'change freeze'; exit 3\n")
        defer { scratch.remove() }
        let result = try DeployerProcess.run(["deploy", "sim", "--yes"], in: scratch.path)
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("the pre-deploy hook failed (exit 3"), "\(result.stderr)")
        #expect(result.stdout.contains("hook pre-deploy | change freeze"))
        let status = try StatusReport.read(in: scratch.path)
        #expect(status.lock == nil && status.targets.allSatisfy { $0.version == "v1" && $0.state == "in service" })
    }

    @Test func onFailureRunsWhenTheDeployStopsAndAHookThatHangsIsStoppedAtItsTimeout() throws {
        let scratch = try Self.environment(
            hooks: "  on-failure: echo \"failed $DEPLOYER_RESULT $DEPLOYER_EXIT_CODE\" >> hooks.log\n  post-batch: sleep 30\n  timeout: 500ms\n",
            failing: true)
        defer { scratch.remove() }
        let result = try DeployerProcess.run(["deploy", "sim", "--yes"], in: scratch.path)
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("post-batch hook: stopped at its timeout of 500ms"), "\(result.stdout)")
        let log = try String(contentsOfFile: scratch.path + "/inventories/hooks.log", encoding: .utf8)
        #expect(log == "failed stopped 1\n")
    }

    /// A deploy whose process died: `resume` runs the hooks of the batches it carries on with and
    /// `post-deploy` when it ends; `abort` runs `on-failure` once the deploy is undone.
    @Test(arguments: ["resume", "abort"]) func resumeAndAbortEndWithTheirHook(_ command: String) throws {
        let scratch = try Self.environment(
            hooks: """
                  pre-batch: echo "batch $DEPLOYER_BATCH" >> hooks.log
                  post-deploy: echo "post $DEPLOYER_RESULT $DEPLOYER_EXIT_CODE $DEPLOYER_DEPLOY_ID" >> hooks.log
                  on-failure: echo "failed $DEPLOYER_RESULT $DEPLOYER_EXIT_CODE $DEPLOYER_DEPLOY_ID" >> hooks.log

                """)
        defer { scratch.remove() }
        #expect(try DeployerProcess.killedDeploy(atRecord: 8, in: scratch.path).reached)
        let journals = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/inventories/.deployer/sim/journal")
        let deployID = try #require(journals.first?.replacingOccurrences(of: ".jsonl", with: ""))
        let logFile = scratch.path + "/inventories/hooks.log"
        #expect(try String(contentsOfFile: logFile, encoding: .utf8) == "batch 1\n", "killed in the first batch")

        let result = try DeployerProcess.run([command, "sim"], in: scratch.path)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = try String(contentsOfFile: logFile, encoding: .utf8).split(separator: "\n").map(String.init)
        if command == "resume" {
            // The resume's own batches (numbered from 1 in that run), then post-deploy.
            #expect(lines.first == "batch 1" && lines.last == "post succeeded 0 \(deployID)", "\(lines)")
            #expect(lines.dropFirst().dropLast().allSatisfy { $0.hasPrefix("batch ") } && lines.count >= 3, "\(lines)")
        } else {
            #expect(lines.count == 2 && lines[1].hasPrefix("failed aborted ") && lines[1].hasSuffix(" \(deployID)"), "\(lines)")
        }
        let text = try String(contentsOfFile: scratch.path + "/inventories/.deployer/sim/journal/\(deployID).jsonl", encoding: .utf8)
        #expect(text.contains("\"kind\":\"hook-ran\""), "the end hook is journaled with the deploy")
    }

    @Test func hooksAreChecked() throws {
        let scratch = try Self.environment(hooks: "  before-deploy: echo hi\n  post-deploy: \"\"\n  timeout: soon\n")
        defer { scratch.remove() }
        let result = try DeployerProcess.run(["validate", "inventories/sim.yml"], in: scratch.path)
        #expect(result.status == 1)
        #expect(result.stdout.contains("unknown key `before-deploy` in `hooks`"), "\(result.stdout)")
        #expect(result.stdout.contains("`hooks.post-deploy` is empty"), "\(result.stdout)")
        #expect(result.stdout.contains("`hooks.timeout` must be a duration"), "\(result.stdout)")
    }
}
