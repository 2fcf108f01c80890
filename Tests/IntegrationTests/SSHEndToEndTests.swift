import Foundation
import LabSupport
import HAProxy
import Testing

/// `production`-shaped, on loopback: web hosts and HAProxy LB hosts reached only over SSH (a real
/// sshd), the admin sockets through the SSH connection, the deploy command run on each web host.
@Suite(.tags(.ssh, .haproxy), .serialized)
struct SSHEndToEndTests {
    /// The deploy command of `production`: restarts the host's app server with the version.
    static func restartCommand(_ lab: HAProxyLab) -> String {
        "run: \(HAProxyLab.labBinary) restart --port {{ port }} --version {{ version }} --pid-file \(lab.dir)/{{ haproxy_host_name }}.pid --log \(lab.dir)/{{ haproxy_host_name }}.log"
    }

    /// Writes `inventories/prod.yml` and its Ansible inventory for `lab` behind `server`, with `deploy`
    /// as the deploy section's lines (default: the restart command).
    static func production(_ lab: HAProxyLab, _ server: SSHServer, deploy: String? = nil, transport: String = "libssh2") throws {
        var hosts = """
            all:
              vars:
                ansible_user: \(server.user)
                ansible_port: \(server.port)
                ansible_ssh_private_key_file: \(server.userKey)
              children:
                backend_web:
                  hosts:

            """
        for index in 1...lab.backends {
            hosts += "        10.0.5.\(index): {ansible_host: 127.0.0.1, port: \(lab.backendPort(index)), haproxy_host_name: web-\(index)}\n"
        }
        hosts += "    backend_lb:\n      hosts:\n"
        for index in 1...lab.lbs {
            hosts += "        lb-\(index): {ansible_host: 127.0.0.1, haproxy_admin_sock_path: \"\(lab.adminSocket(index))\"}\n"
        }
        try hosts.write(toFile: lab.scratch.path + "/inventories/prod-hosts.yml", atomically: true, encoding: .utf8)
        try """
            targets:
              inventory: prod-hosts.yml
              group: backend_web
              name: "{{ haproxy_host_name }}"
            load-balancers:
              - haproxy:
                  hosts: backend_lb
                  socket: "{{ haproxy_admin_sock_path }}"
                  backend: web
                  server: "{{ haproxy_host_name }}"
            deploy:
              \(deploy ?? restartCommand(lab))
            health:
              load-balancer: true
            strategy:
              batch: 1
              min-in-service: 2
              drain-timeout: 10s
              health-timeout: 15s
            ssh:
              transport: \(transport)
            state:
              ssh: {host: lb-1, dir: \(lab.scratch.path)/state-on-lb-1}
            """.write(toFile: lab.scratch.path + "/inventories/prod.yml", atomically: true, encoding: .utf8)
    }

    /// Both transports: libssh2 (built in) and the system ssh client.
    @Test(arguments: ["libssh2", "openssh"])
    func productionShapedDeployOverSSHUnderLoadDropsNoRequest(transport: String) async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let lab = try HAProxyLab(backends: 3, lbs: 2)
        defer { lab.stop() }
        try Self.production(lab, server, transport: transport)
        let environment = ["DEPLOYER_KNOWN_HOSTS": server.knownHosts]
        let load = try await LabLoad.start(lab)
        let deploy = try DeployerProcess.run(
            ["deploy", "prod", "--version", "v2", "--yes"], in: lab.scratch.path, environment: environment, timeout: 120)
        let report = try load.finish()
        print("over SSH (\(transport)): \(report.sent) requests sent, \(report.failed) failed during the deploy")
        print(deploy.stdout)
        #expect(deploy.status == 0, "\(deploy.stdout)\n\(deploy.stderr)")
        #expect(deploy.stdout.contains("web-2 | web-2 on 127.0.0.1"), "the deploy command's output is streamed per host")
        #expect(report.sent > 100)
        #expect(report.failed == 0, "\(report.failures)")
        #expect(await lab.versions() == ["v2", "v2", "v2"])
        let status = try DeployerProcess.run(["status", "prod"], in: lab.scratch.path, environment: environment)
        #expect(status.stdout.contains("on root@127.0.0.1:\(server.port)") || status.stdout.contains("on \(server.user)@127.0.0.1:\(server.port)"), "\(status.stdout)")
    }

    /// A `docker` of the test hosts' own (first on their PATH through sshd's SetEnv): it records its
    /// arguments in the project directory, and `compose … up` restarts the host's app server with the
    /// image tag written in the compose file it was given.
    static func recordingDocker(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let script = """
            #!/bin/sh
            [ "$1" = compose ] || { echo "this test docker only knows compose" >&2; exit 2; }
            [ "$4" = ps ] || echo "$PWD $*" >> "$PWD/docker.log"
            shift
            file=compose.yaml
            while [ "$1" = -f ]; do file=$2; shift 2; done
            case "$1" in
            ps)
              # What `docker compose ps --format '{{.Image}}' SERVICE` prints: the image of the running container.
              [ "$2 $3 $4" = "--format {{.Image}} app" ] || { echo "unexpected: ps $*" >&2; exit 2; }
              [ -f "$PWD/running-image" ] && cat "$PWD/running-image"; exit 0 ;;
            pull) echo "pulled $2"; exit 0 ;;
            up)
              [ "$2 $3" = "-d --no-deps" ] || { echo "unexpected: up $*" >&2; exit 2; }
              tag=$(sed -n 's/^    image: registry.test\\/app:\\(.*\\)$/\\1/p' "$file")
              echo "registry.test/app:$tag" > "$PWD/running-image"
              . "$PWD/app.env"
              exec "$LAB" restart --port "$PORT" --version "$tag" --pid-file "$PIDFILE" --log "$LOG" ;;
            *) echo "unexpected: $*" >&2; exit 2 ;;
            esac

            """
        try script.write(toFile: directory + "/docker", atomically: true, encoding: .utf8)
        chmod(directory + "/docker", 0o755)
    }

    @Test func composeDeployOverSSHUploadsTheFileAndRecreatesOnlyTheService() async throws {
        let lab = try HAProxyLab(backends: 3, lbs: 2)
        defer { lab.stop() }
        let bin = lab.scratch.path + "/bin"
        try Self.recordingDocker(in: bin)
        let server = try SSHServer(config: ["SetEnv PATH=\(bin):/usr/local/bin:/usr/bin:/bin"])
        defer { server.stop() }
        let compose = """
            # the app and a service the deploy must not touch
            services:
              app:
                image: registry.test/app:v1
                restart: always
              sidecar:
                image: registry.test/sidecar:1.0

            """
        try compose.write(toFile: lab.scratch.path + "/inventories/docker-compose.yml", atomically: true, encoding: .utf8)
        for index in 1...lab.backends {
            let project = lab.scratch.path + "/hosts/web-\(index)"
            try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
            try """
                LAB=\(HAProxyLab.labBinary)
                PORT=\(lab.backendPort(index))
                PIDFILE=\(lab.dir)/web-\(index).pid
                LOG=\(lab.dir)/web-\(index).log

                """.write(toFile: project + "/app.env", atomically: true, encoding: .utf8)
        }
        try Self.production(lab, server, deploy: """
            compose:
                file: docker-compose.yml
                service: app
                project-dir: \(lab.scratch.path)/hosts/{{ haproxy_host_name }}
            """)
        let environment = ["DEPLOYER_KNOWN_HOSTS": server.knownHosts]

        let plan = try DeployerProcess.run(["plan", "prod", "--version", "v2"], in: lab.scratch.path, environment: environment)
        #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        let project1 = lab.scratch.path + "/hosts/web-1"
        #expect(plan.stdout.contains("Update of web-1:"), "\(plan.stdout)")
        #expect(plan.stdout.contains("on 127.0.0.1: upload \(project1)/docker-compose.yml with image registry.test/app:v2"), "\(plan.stdout)")
        #expect(plan.stdout.contains("on 127.0.0.1: cd \(project1) && docker compose -f docker-compose.yml pull app"), "\(plan.stdout)")
        #expect(plan.stdout.contains("on 127.0.0.1: cd \(project1) && docker compose -f docker-compose.yml up -d --no-deps app"), "\(plan.stdout)")

        let load = try await LabLoad.start(lab)
        let deploy = try DeployerProcess.run(
            ["deploy", "prod", "--version", "v2", "--yes"], in: lab.scratch.path, environment: environment, timeout: 120)
        let report = try load.finish()
        print("compose over SSH: \(report.sent) requests sent, \(report.failed) failed during the deploy")
        #expect(deploy.status == 0, "\(deploy.stdout)\n\(deploy.stderr)")
        #expect(report.failed == 0, "\(report.failures)")
        #expect(await lab.versions() == ["v2", "v2", "v2"])
        #expect(deploy.stdout.contains("web-2 | pulled app"), "the compose output is streamed per host: \(deploy.stdout)")

        let rendered = compose.replacingOccurrences(of: "registry.test/app:v1", with: "registry.test/app:v2")
        for index in 1...lab.backends {
            let project = lab.scratch.path + "/hosts/web-\(index)"
            #expect(try String(contentsOfFile: project + "/docker-compose.yml", encoding: .utf8) == rendered)
            #expect(try String(contentsOfFile: project + "/docker.log", encoding: .utf8) == """
                \(project) compose -f docker-compose.yml pull app
                \(project) compose -f docker-compose.yml up -d --no-deps app

                """)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: project).filter { $0.hasPrefix(".") }
            #expect(leftovers.isEmpty, "temporary upload files left behind: \(leftovers)")
        }
        // The version of each host is what its container runs, whichever machine asks: here web-3's was
        // changed by hand after the deploy.
        try "registry.test/app:v2-hotfix\n".write(
            toFile: lab.scratch.path + "/hosts/web-3/running-image", atomically: true, encoding: .utf8)
        let elsewhere = try DeployerProcess.run(
            ["status", "prod", "--output", "json", "--state-dir", lab.scratch.path + "/machine-b"], in: lab.scratch.path,
            environment: environment)
        let seen = try JSONDecoder().decode(StatusReport.self, from: Data(elsewhere.stdout.utf8))
        #expect(seen.targets.map(\.version) == ["v2", "v2", "v2-hotfix"], "\(elsewhere.stdout)\(elsewhere.stderr)")
    }

    /// The journal lines of the newest deploy of `prod` in `lab`.
    static func journal(_ lab: HAProxyLab) -> [String] {
        let directory = lab.scratch.path + "/state-on-lb-1/journal"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted()
        guard let file = files.last, let text = try? String(contentsOfFile: directory + "/" + file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }

    /// kill -9 while web-2's deploy command runs over SSH (web-2 drained from both LBs), then
    /// `resume`: the deploy finishes, and no request fails at any time.
    @Test func killedMidDeployOverSSHThenResumedDropsNoRequest() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let lab = try HAProxyLab(backends: 3, lbs: 2)
        defer { lab.stop() }
        // A deploy command slow enough to be killed in the middle of.
        try Self.production(lab, server, deploy: "run: sleep 1 && " + String(Self.restartCommand(lab).dropFirst(5)))
        let environment = ["DEPLOYER_KNOWN_HOSTS": server.knownHosts]
        let load = try await LabLoad.start(lab)
        let deploy = try DeployerProcess.start(
            ["deploy", "prod", "--version", "v2", "--yes"], in: lab.scratch.path, environment: environment)
        let pid = deploy.process.processIdentifier
        let deadline = Date().addingTimeInterval(60)
        func updating(_ line: String) -> Bool {
            line.contains("\"kind\":\"step-started\"") && line.contains("\"step\":\"update\"") && line.contains("\"target\":\"web-2\"")
        }
        while !Self.journal(lab).contains(where: updating), deploy.wait(timeout: 0) == nil, Date() < deadline { usleep(10_000) }
        try await Task.sleep(for: .milliseconds(300))
        kill(pid, SIGKILL)
        _ = deploy.wait(timeout: 10)
        let killedAt = Self.journal(lab)
        #expect(killedAt.contains(where: updating), "the deploy reached web-2's update: \(deploy.stdout())\n\(deploy.stderr())")
        #expect(!killedAt.contains { $0.contains("\"kind\":\"deploy-finished\"") }, "killed before the end")
        // web-2 is out of both LBs, the others serve.
        for index in 1...lab.lbs {
            let states = try await lab.servers(index)
            #expect(states["web-2"]?.adminState != .ready, "\(states)")
            #expect(states["web-3"]?.adminState == .ready, "\(states)")
        }

        // As another machine: its own local state directory and HOME; the deploy state is on lb-1.
        var elsewhere = environment
        elsewhere["HOME"] = lab.scratch.path + "/home-of-machine-b"
        let other = ["--state-dir", lab.scratch.path + "/machine-b"]
        let status = try DeployerProcess.run(["status", "prod"] + other, in: lab.scratch.path, environment: elsewhere)
        #expect(status.stdout.contains("Unfinished deploy"), "status shows the interrupted deploy: \(status.stdout)")
        #expect(status.stdout.contains("Deploy state: ssh://lb-1/"), "\(status.stdout)")
        let resume = try DeployerProcess.run(["resume", "prod"] + other, in: lab.scratch.path, environment: elsewhere, timeout: 120)
        let report = try load.finish()
        print("kill -9 over SSH, then resume: \(report.sent) requests sent, \(report.failed) failed")
        #expect(resume.status == 0, "\(resume.stdout)\n\(resume.stderr)")
        #expect(report.failed == 0, "\(report.failures)")
        #expect(await lab.versions() == ["v2", "v2", "v2"])
        for index in 1...lab.lbs {
            #expect(try await lab.servers(index).values.allSatisfy { $0.adminState == .ready })
        }
    }

    /// An encrypted key: used with `DEPLOYER_SSH_PASSPHRASE`; without it (and no terminal to ask on),
    /// refused with a message naming the variable. The passphrase never appears in the output.
    @Test func encryptedKeyWithItsPassphraseFromTheEnvironment() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let lab = try HAProxyLab(backends: 3, lbs: 1)
        defer { lab.stop() }
        let passphrase = "correct horse battery staple"
        let key = server.dir + "/locked_ed25519"
        let keygen = try DeployerProcess.run(
            ["-q", "-t", "ed25519", "-N", passphrase, "-f", key], in: server.dir, binary: "/usr/bin/ssh-keygen")
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let authorized = try String(contentsOfFile: server.dir + "/authorized_keys", encoding: .utf8)
            + String(contentsOfFile: key + ".pub", encoding: .utf8)
        try authorized.write(toFile: server.dir + "/authorized_keys", atomically: true, encoding: .utf8)
        try Self.production(lab, server)
        let hostsFile = lab.scratch.path + "/inventories/prod-hosts.yml"
        let hosts = try String(contentsOfFile: hostsFile, encoding: .utf8).replacingOccurrences(of: server.userKey, with: key)
        try hosts.write(toFile: hostsFile, atomically: true, encoding: .utf8)

        let refused = try DeployerProcess.run(
            ["status", "prod"], in: lab.scratch.path, environment: ["DEPLOYER_KNOWN_HOSTS": server.knownHosts])
        #expect(refused.stdout.contains("DEPLOYER_SSH_PASSPHRASE") || refused.stderr.contains("DEPLOYER_SSH_PASSPHRASE"),
                "\(refused.stdout)\n\(refused.stderr)")
        let status = try DeployerProcess.run(
            ["status", "prod", "--output", "json"], in: lab.scratch.path,
            environment: ["DEPLOYER_KNOWN_HOSTS": server.knownHosts, "DEPLOYER_SSH_PASSPHRASE": passphrase])
        #expect(status.status == 0, "\(status.stdout)\n\(status.stderr)")
        #expect(status.stdout.contains("\"web-1\""), "\(status.stdout)")
        #expect(!(status.stdout + status.stderr + refused.stdout + refused.stderr).contains(passphrase))
    }
}
