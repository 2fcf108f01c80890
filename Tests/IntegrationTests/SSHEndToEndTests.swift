import Foundation
import HAProxy
import Testing

/// `production`-shaped, on loopback: web hosts and HAProxy LB hosts reached only over SSH (a real
/// sshd), the admin sockets through the SSH connection, the deploy command run on each web host.
@Suite(.tags(.ssh, .haproxy), .serialized)
struct SSHEndToEndTests {
    /// Writes `inventories/prod.yml` and its Ansible inventory for `lab` behind `server`.
    static func production(_ lab: HAProxyLab, _ server: SSHServer) throws {
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
              run: \(HAProxyLab.labBinary) restart --port {{ port }} --version {{ version }} --pid-file \(lab.dir)/{{ haproxy_host_name }}.pid --log \(lab.dir)/{{ haproxy_host_name }}.log
            health:
              load-balancer: true
            strategy:
              batch: 1
              min-in-service: 2
              drain-timeout: 10s
              health-timeout: 15s
            """.write(toFile: lab.scratch.path + "/inventories/prod.yml", atomically: true, encoding: .utf8)
    }

    @Test func productionShapedDeployOverSSHUnderLoadDropsNoRequest() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let lab = try HAProxyLab(backends: 3, lbs: 2)
        defer { lab.stop() }
        try Self.production(lab, server)
        let environment = ["DEPLOYER_KNOWN_HOSTS": server.knownHosts]
        let stopFile = lab.scratch.path + "/stop-load"
        let load = try DeployerProcess.start(
            ["load", "--url", lab.frontend(1), "--url", lab.frontend(2), "--concurrency", "4", "--duration", "90s",
             "--stop-file", stopFile, "--json"],
            in: lab.scratch.path, binary: HAProxyLab.labBinary)
        try await Task.sleep(for: .milliseconds(300))
        let deploy = try DeployerProcess.run(
            ["deploy", "prod", "--version", "v2", "--yes"], in: lab.scratch.path, environment: environment, timeout: 120)
        _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
        _ = load.wait(timeout: 20)
        let report = try JSONDecoder().decode(HAProxyIntegrationTests.LoadReport.self, from: Data(load.stdout().utf8))
        print("over SSH: \(report.sent) requests sent, \(report.failed) failed during the deploy")
        print(deploy.stdout)
        #expect(deploy.status == 0, "\(deploy.stdout)\n\(deploy.stderr)")
        #expect(deploy.stdout.contains("web-2 | web-2 on 127.0.0.1"), "the deploy command's output is streamed per host")
        #expect(report.sent > 100)
        #expect(report.failed == 0, "\(report.failures)")
        #expect(await lab.versions() == ["v2", "v2", "v2"])
        let status = try DeployerProcess.run(["status", "prod"], in: lab.scratch.path, environment: environment)
        #expect(status.stdout.contains("on root@127.0.0.1:\(server.port)") || status.stdout.contains("on \(server.user)@127.0.0.1:\(server.port)"), "\(status.stdout)")
    }
}
