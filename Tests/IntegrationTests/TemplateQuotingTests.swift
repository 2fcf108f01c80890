import Foundation
import LabSupport
import Manifests
import Testing

/// Values from files and flags never become shell syntax, and `validate` refuses what `plan` and
/// `deploy` refuse: the real `deployer`, run as a user runs it.
@Suite struct VersionAndValidateCLITests {
    @Test(arguments: ["v6;touch PWNED", "", "v6 x", "$(touch PWNED)", ".v6", "-v6", "v6/x", String(repeating: "v", count: 129)])
    func aVersionThatIsNoImageTagIsRefusedBeforeAnythingChanges(_ version: String) throws {
        let scratch = try Scratch(yaml: Scratch.simulated())
        defer { scratch.remove() }
        let state = scratch.path + "/state"
        // `--version=-v6`: a value starting with `-` would otherwise read as an option.
        let flag = version.hasPrefix("-") ? ["--version=\(version)"] : ["--version", version]
        for command in [["plan", "sim"], ["deploy", "sim", "--yes"]] {
            let result = try DeployerProcess.run(command + flag + ["--state-dir", state], in: scratch.path)
            #expect(result.status == 2, "\(command) \(version.debugDescription): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("--version:"), "\(result.stderr)")
            #expect(result.stderr.contains("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"), "the message states the rule: \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: state), "nothing was written")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/PWNED"))
        // A valid one is accepted by the same commands.
        #expect(try DeployerProcess.run(["plan", "sim", "--version", "v6.21_18-rc.1", "--state-dir", state], in: scratch.path).status == 0)
    }

    @Test func aVersionInTheFileIsCheckedWhereItIsWritten() throws {
        let yaml = Scratch.simulated().replacingOccurrences(of: "version: v2", with: "version: \"v2;touch PWNED\"")
        let scratch = try Scratch(yaml: yaml)
        defer { scratch.remove() }
        let validate = try DeployerProcess.run(["validate", "inventories/sim.yml"], in: scratch.path)
        #expect(validate.status == 1)
        #expect(validate.stdout.contains("inventories/sim.yml:25:10: error[invalid-version]"), "\(validate.stdout)")
        let plan = try DeployerProcess.run(["plan", "sim", "--state-dir", scratch.path + "/state"], in: scratch.path)
        #expect(plan.status == 2)
        #expect(plan.stderr.contains("sim.yml:25:10: error[invalid-version]"), "\(plan.stderr)")
    }

    static func inventory(health: String?) throws -> Scratch {
        let scratch = try Scratch(
            environment: "web",
            yaml: """
                targets:
                  inventory: hosts.yml
                  group: web
                deploy:
                  run: /opt/app/deploy.sh {{ version }}

                """ + (health.map { "health:\n  \($0)\n" } ?? ""))
        try "web:\n  hosts:\n    10.0.5.10:\n    10.0.5.11:\n".write(
            toFile: scratch.path + "/inventories/hosts.yml", atomically: true, encoding: .utf8)
        return scratch
    }

    @Test func validateRefusesAnInventoryEnvironmentWithoutHealthAsPlanAndDeployDo() throws {
        for health: String? in [nil, "provider: true"] {
            let scratch = try Self.inventory(health: health)
            defer { scratch.remove() }
            let place = health == nil ? "web.yml:1:1" : "web.yml:7:3"
            let validate = try DeployerProcess.run(["validate", "inventories/web.yml"], in: scratch.path)
            #expect(validate.status == 1, "\(validate.stdout)\(validate.stderr)")
            #expect(validate.stdout.contains("inventories/\(place): error[incompatible-health]"), "\(validate.stdout)")
            for command in [["plan", "web"], ["deploy", "web", "--yes"]] {
                let result = try DeployerProcess.run(
                    command + ["--version", "v2", "--state-dir", scratch.path + "/state"], in: scratch.path)
                #expect(result.status == 2, "\(command): \(result.stdout)\(result.stderr)")
                #expect(result.stderr.contains("\(place): error[incompatible-health]"), "\(result.stderr)")
            }
        }
        let fixed = try Self.inventory(health: "http: \"http://{{ address }}:8000/health\"")
        defer { fixed.remove() }
        let validate = try DeployerProcess.run(["validate", "inventories/web.yml"], in: fixed.path)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
    }
}

/// A host variable full of shell syntax, substituted into `deploy.run` and run over a real sshd: the
/// command receives it literally, in every quoting context, and none of it runs.
@Suite(.tags(.ssh, .haproxy), .serialized)
struct TemplateQuotingOverSSHTests {
    @Test func hostileHostVarsReachTheCommandLiterally() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let lab = try HAProxyLab(backends: 3, lbs: 1)
        defer { lab.stop() }
        let out = lab.scratch.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let payload =
            "$(touch \(out)/pwned1);touch \(out)/pwned2 `touch \(out)/pwned3` it's \"q\" \\ $HOME\n"
            + "touch \(out)/pwned4 #'\"; touch \(out)/pwned5"
        let command =
            "printf '%s' {{ payload }} > \(out)/{{ haproxy_host_name }}.unquoted && "
            + "printf '%s' '{{ payload }}' > \(out)/{{ haproxy_host_name }}.single && "
            + "printf '%s' \"{{ payload }}\" > \(out)/{{ haproxy_host_name }}.double && "
            + "printf '%s' {{ version }} > \(out)/{{ haproxy_host_name }}.version"
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        // A JSON string is a YAML double-quoted scalar.
        let yamlCommand = String(decoding: try encoder.encode(command), as: UTF8.self)
        try SSHEndToEndTests.production(lab, server, deploy: "run: \(yamlCommand)")
        let hostsFile = lab.scratch.path + "/inventories/prod-hosts.yml"
        let hosts = try String(contentsOfFile: hostsFile, encoding: .utf8).replacingOccurrences(
            of: "  vars:\n", with: "  vars:\n    payload: \(String(decoding: try encoder.encode(payload), as: UTF8.self))\n")
        try hosts.write(toFile: hostsFile, atomically: true, encoding: .utf8)
        let environment = ["DEPLOYER_KNOWN_HOSTS": server.knownHosts]

        let validate = try DeployerProcess.run(["validate", "inventories/prod.yml"], in: lab.scratch.path)
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")

        // The plan shows the command exactly as it runs, quotes included.
        let plan = try DeployerProcess.run(["plan", "prod", "--version", "v2"], in: lab.scratch.path, environment: environment)
        #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        let rendered = ShellTemplate(command).render([
            "payload": payload, "haproxy_host_name": "web-1", "version": "v2",
        ])
        #expect(plan.stdout.contains("on 127.0.0.1: \(rendered)"), "\(plan.stdout)")

        let deploy = try DeployerProcess.run(
            ["deploy", "prod", "--version", "v2", "--yes"], in: lab.scratch.path, environment: environment, timeout: 120)
        #expect(deploy.status == 0, "\(deploy.stdout)\n\(deploy.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(written.filter { $0.hasPrefix("pwned") }.isEmpty, "the value ran as commands: \(written)")
        for host in ["web-1", "web-2", "web-3"] {
            for context in ["unquoted", "single", "double"] {
                let data = try #require(FileManager.default.contents(atPath: "\(out)/\(host).\(context)"), "\(host).\(context)")
                #expect(data == Data(payload.utf8), "\(host).\(context): \(String(decoding: data, as: UTF8.self).debugDescription)")
            }
            #expect(FileManager.default.contents(atPath: "\(out)/\(host).version") == Data("v2".utf8))
        }
    }
}
