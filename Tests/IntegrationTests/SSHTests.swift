import Foundation
import LabSupport
import HAProxy
import Manifests
@testable import Providers
import Testing

/// deployer's SSH client (libssh2) against a real OpenSSH server on 127.0.0.1.
@Suite(.tags(.ssh), .serialized)
struct SSHTests {
    @Test func commandsKeepExitStatusOutputAndErrors() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let connections = SSHConnections()
        let target = server.target()
        let plain = try await connections.run("echo hi; echo oops >&2; exit 3", on: target, timeout: .seconds(10))
        #expect(plain.exitStatus == 3)
        #expect(plain.stdout == "hi\n")
        #expect(plain.stderr == "oops\n")
        let unicode = try await connections.run("printf 'héllo ✓ 部署\\n'", on: target, timeout: .seconds(10))
        #expect(unicode.stdout == "héllo ✓ 部署\n")
        let lines = LineCollector()
        let large = try await connections.run(
            "seq 1 200000", on: target, timeout: .seconds(20), onLine: { lines.add($0) })
        #expect(large.exitStatus == 0)
        #expect(lines.count == 200_000)
        #expect(lines.last == "200000")
        let input = try await connections.run("wc -c", on: target, input: Array(repeating: 0x61, count: 100_000), timeout: .seconds(10))
        #expect(input.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "100000")
    }

    @Test func aHangingCommandIsStoppedAtItsTimeout() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let connections = SSHConnections()
        #expect(try await connections.run("true", on: server.target(), timeout: .seconds(10)).exitStatus == 0)
        let started = Date()
        let result = try await connections.run("sleep 30", on: server.target(), timeout: .seconds(1))
        #expect(result.timedOut)
        #expect(!result.succeeded)
        // `sleep 30` ended well before its 30 s: it was stopped, not waited for.
        #expect(Date().timeIntervalSince(started) < 20, "stopped at about 1 s, plus closing the channel")
        // The connection is still usable afterwards.
        #expect(try await connections.run("true", on: server.target(), timeout: .seconds(5)).exitStatus == 0)
    }

    @Test func unknownHostKeyIsRefusedWithItsFingerprintUnlessAcceptedExplicitly() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let empty = server.dir + "/empty_known_hosts"
        await #expect {
            _ = try await SSHConnections().run("true", on: server.target(knownHosts: empty), timeout: .seconds(5))
        } throws: { error in
            guard let error = error as? SSHError else { return false }
            return error.kind == .hostKeyUnknown && error.message.contains("SHA256:") && error.message.contains("Nothing was run")
        }
        #expect(!FileManager.default.fileExists(atPath: empty))
        let accepted = try await SSHConnections().run("true", on: server.target(knownHosts: empty, acceptNew: true), timeout: .seconds(5))
        #expect(accepted.exitStatus == 0)
        #expect(try String(contentsOfFile: empty, encoding: .utf8).contains("[127.0.0.1]:\(server.port)"))
        // Now known: accepted without the opt-in.
        #expect(try await SSHConnections().run("true", on: server.target(knownHosts: empty), timeout: .seconds(5)).exitStatus == 0)
    }

    @Test func changedHostKeyStopsEverything() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let other = server.dir + "/other"
        _ = try DeployerProcess.run(["-q", "-t", "ed25519", "-N", "", "-f", other], in: server.dir, binary: "/usr/bin/ssh-keygen")
        let otherKey = try String(contentsOfFile: other + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let wrong = server.dir + "/wrong_known_hosts"
        try "[127.0.0.1]:\(server.port) \(otherKey)\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await SSHConnections().run("true", on: server.target(knownHosts: wrong, acceptNew: true), timeout: .seconds(5))
        } throws: { error in
            (error as? SSHError)?.kind == .hostKeyChanged && "\(error)".contains("CHANGED")
        }
    }

    @Test func wrongKeyIsAnAuthenticationError() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let stranger = server.dir + "/stranger"
        _ = try DeployerProcess.run(["-q", "-t", "ed25519", "-N", "", "-f", stranger], in: server.dir, binary: "/usr/bin/ssh-keygen")
        await #expect {
            _ = try await SSHConnections().run("true", on: server.target(key: stranger), timeout: .seconds(5))
        } throws: { error in
            (error as? SSHError)?.kind == .authentication && "\(error)".contains(stranger)
        }
    }

    @Test func rsaKeyRefusedForSHA1SaysWhy() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let rsa = server.dir + "/id_rsa"
        _ = try DeployerProcess.run(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa], in: server.dir, binary: "/usr/bin/ssh-keygen")
        try (try String(contentsOfFile: server.dir + "/authorized_keys", encoding: .utf8) + (try String(contentsOfFile: rsa + ".pub", encoding: .utf8)))
            .write(toFile: server.dir + "/authorized_keys", atomically: true, encoding: .utf8)
        do {
            let result = try await SSHConnections().run("true", on: server.target(key: rsa), timeout: .seconds(5))
            // A server that still accepts SHA-1 RSA signatures lets it in: nothing to explain then.
            #expect(result.exitStatus == 0)
        } catch let error as SSHError {
            #expect(error.kind == .authentication)
            #expect(error.message.contains("SHA-1") && error.message.contains("ed25519"), "\(error.message)")
        }
    }

    @Test func haproxyAdminSocketsOverSSH() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let lab = try HAProxyLab(backends: 2, lbs: 2)
        defer { lab.stop() }
        let connections = SSHConnections()
        // lb-1: TCP socket through direct-tcpip forwarding; lb-2: Unix socket through socat on the host.
        for index in 1...2 {
            let client = RuntimeAPIClient(
                transport: connections.transport(to: try RuntimeEndpoint(parsing: lab.adminSocket(index)), on: server.target()),
                timeout: .seconds(5))
            let web1 = try ServerRef(backend: "web", server: "web-1")
            #expect(try await client.setState(.drain, of: web1).adminState == .drain)
            #expect(try await lab.servers(index)["web-1"]?.adminState == .drain)
            #expect(try await client.setState(.ready, of: web1).adminState == .ready)
            #expect(try await client.stat().count >= 3)
        }
    }

    @Test func refusedForwardingIsReported() async throws {
        let server = try SSHServer(config: ["AllowTcpForwarding no"])
        defer { server.stop() }
        let transport = SSHConnections().transport(to: .tcp(host: "127.0.0.1", port: 9), on: server.target())
        await #expect {
            _ = try await RuntimeAPIClient(transport: transport, timeout: .seconds(5)).info()
        } throws: { error in
            (error as? HAProxyError)?.kind == .unreachable && "\(error)".contains("channel")
        }
    }

    @Test func droppedConnectionIsReportedAsSuch() async throws {
        let server = try SSHServer()
        defer { server.stop() }
        let connections = SSHConnections()
        #expect(try await connections.run("true", on: server.target(), timeout: .seconds(5)).exitStatus == 0)
        // Kill the session's server process from inside it: the connection drops mid-command.
        await #expect {
            _ = try await connections.run("kill -9 $PPID; sleep 5", on: server.target(), timeout: .seconds(10))
        } throws: { error in
            (error as? SSHError)?.kind == .connectionLost
        }
        // The next use opens a new connection.
        #expect(try await connections.run("echo back", on: server.target(), timeout: .seconds(5)).stdout == "back\n")
    }
}

final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var count: Int { lock.withLock { lines.count } }
    var last: String? { lock.withLock { lines.last } }
}

@Suite struct KeyPassphraseTests {
    @Test func encryptedKeysAreToldApartFromPlainOnes() throws {
        let dir = NSTemporaryDirectory() + "deployer-keys-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, passphrase) in [("plain", ""), ("locked", "s3cret passphrase")] {
            let keygen = try DeployerProcess.run(
                ["-q", "-t", "ed25519", "-N", passphrase, "-f", "\(dir)/\(name)"], in: dir, binary: "/usr/bin/ssh-keygen")
            #expect(keygen.status == 0, "\(keygen.stderr)")
        }
        #expect(!KeyPassphrase.isEncrypted(dir + "/plain"))
        #expect(KeyPassphrase.isEncrypted(dir + "/locked"))
        #expect(!KeyPassphrase.isEncrypted(dir + "/missing"))
    }
}

/// A throwaway unprivileged user allowed to run anything through sudo without a password, created
/// for one test (needs root and useradd) and removed by `remove()`. Its password is `*` (none, but
/// not locked: sshd without PAM refuses a locked account even for key logins).
final class SudoUser {
    let name: String

    init?() {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd"),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/sudo")
        else { return nil }
        name = "dpl" + String(UUID().uuidString.prefix(8)).lowercased()
        guard (try? DeployerProcess.run(["-m", "-p", "*", "-s", "/bin/sh", name], in: "/", binary: "/usr/sbin/useradd"))?.status == 0 else {
            return nil
        }
        let rule = "\(name) ALL=(ALL) NOPASSWD: ALL\n"
        guard (try? rule.write(toFile: "/etc/sudoers.d/\(name)", atomically: true, encoding: .utf8)) != nil else {
            remove()
            return nil
        }
        chmod("/etc/sudoers.d/\(name)", 0o440)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: "/etc/sudoers.d/\(name)")
        // Its SSH sessions (a kept-open connection, an ssh master) end with it.
        _ = try? DeployerProcess.run(["-KILL", "-u", name], in: "/", binary: "/usr/bin/pkill")
        _ = try? DeployerProcess.run(["-f", "-r", name], in: "/", binary: "/usr/sbin/userdel")
    }
}

@Suite(.tags(.ssh)) struct SSHBecomeTests {
    /// `become: true` with a non-root login: the command runs as root through `sudo -n`, and without
    /// it as the user; with both transports.
    @Test(arguments: [SSHOptions.Transport.libssh2, .openssh])
    func becomeRunsThroughSudoAsANonRootUser(transport: SSHOptions.Transport) async throws {
        guard let user = SudoUser() else {
            print("skipped: needs root, useradd and sudo to create a throwaway sudo user")
            return
        }
        defer { user.remove() }
        let server = try SSHServer()
        defer { server.stop() }
        let settings = SSHSettings(
            knownHosts: server.knownHosts, acceptNewHostKeys: false, defaultUser: user.name, transport: transport)
        let shell: any RemoteShell =
            transport == .libssh2 ? LibSSH2Shell(connections: SSHConnections(), settings: settings) : OpenSSHShell(settings: settings)
        let runner = SSHCommandRunner(shell: shell)
        let host = HostTarget(
            name: "web-1", inventoryName: "web-1", address: "127.0.0.1",
            vars: ["ansible_port": String(server.port), "ansible_user": user.name, "ansible_ssh_private_key_file": server.userKey])
        let plain = try await runner.run("id -un", on: host, become: false, input: [], timeout: .seconds(20), onLine: { _ in })
        #expect(plain.succeeded, "\(plain.output)")
        #expect(plain.output.trimmingCharacters(in: .whitespacesAndNewlines) == user.name)
        let become = try await runner.run("id -un", on: host, become: true, input: [], timeout: .seconds(20), onLine: { _ in })
        #expect(become.succeeded, "\(become.output)")
        #expect(become.output.trimmingCharacters(in: .whitespacesAndNewlines) == "root")
        // The exit status of the command itself comes back through sudo and timeout.
        let failing = try await runner.run("exit 7", on: host, become: true, input: [], timeout: .seconds(20), onLine: { _ in })
        #expect(failing.exitStatus == 7)
    }
}
