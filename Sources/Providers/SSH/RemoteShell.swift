import Foundation
public import HAProxy
import Manifests

/// An inventory host as SSH reaches it: its address and the variables saying how (`ansible_port`,
/// `ansible_user`, `ansible_ssh_private_key_file`).
public struct RemoteHost: Sendable, Hashable {
    public var address: String
    public var vars: [String: String]

    public init(address: String, vars: [String: String]) {
        self.address = address
        self.vars = vars
    }
}

/// Commands and admin-socket requests on remote hosts, over one SSH transport (`ssh.transport`).
public protocol RemoteShell: Sendable {
    /// Runs `command` through the login shell on the host, feeding it `input`. `lane` separates
    /// connections that must not wait for each other. Throws when the host could not be reached.
    func run(
        _ command: String, on host: RemoteHost, lane: String, input: [UInt8], timeout: Duration,
        onLine: (@Sendable (String) -> Void)?
    ) async throws -> RemoteResult

    /// The runtime API of an HAProxy whose admin socket (`endpoint`, as the host sees it) is on `host`.
    func transport(to endpoint: RuntimeEndpoint, on host: RemoteHost) -> any RuntimeTransport

    /// Runs a short `/bin/sh` script on the host and returns what it printed (stdout and stderr
    /// together, as bytes) and its exit status. Scripts of one `lane` run one at a time, in a shell
    /// kept open for the connection where the transport can: no new session on the host each time.
    /// Throws when the host could not be reached or the script did not end within `timeout`.
    func script(_ script: String, on host: RemoteHost, lane: String, timeout: Duration) async throws -> (output: [UInt8], status: Int32)
}

/// The built-in transport: libssh2 connections kept open for the run.
public struct LibSSH2Shell: RemoteShell {
    public let connections: SSHConnections
    public let settings: SSHSettings

    public init(connections: SSHConnections, settings: SSHSettings) {
        self.connections = connections
        self.settings = settings
    }

    public func run(
        _ command: String, on host: RemoteHost, lane: String, input: [UInt8], timeout: Duration,
        onLine: (@Sendable (String) -> Void)?
    ) async throws -> RemoteResult {
        try await connections.run(
            command, on: settings.target(for: host.address, vars: host.vars), lane: lane, input: input, timeout: timeout,
            onLine: onLine)
    }

    public func transport(to endpoint: RuntimeEndpoint, on host: RemoteHost) -> any RuntimeTransport {
        connections.transport(to: endpoint, on: settings.target(for: host.address, vars: host.vars))
    }

    /// In the connection's long-lived relay shell.
    public func script(_ script: String, on host: RemoteHost, lane: String, timeout: Duration) async throws -> (output: [UInt8], status: Int32) {
        let session = try await connections.session(settings.target(for: host.address, vars: host.vars), lane: lane)
        return try await session.relay(script, timeout: timeout)
    }
}

/// The system `ssh` client (`ssh.transport: openssh`): `~/.ssh/config`, ProxyJump bastions and every
/// key type OpenSSH accepts. One master connection per host is shared by every command
/// (ControlMaster, sockets in a private directory under /tmp, kept 60 s after the last use).
/// `BatchMode=yes`: nothing is ever asked on the terminal, so encrypted keys need ssh-agent.
public struct OpenSSHShell: RemoteShell {
    public let settings: SSHSettings
    public let executable: String

    /// The long-lived shells `script` runs in, one per host and lane, for as long as this value lives.
    let relays = OpenSSHRelays()

    public init(settings: SSHSettings, executable: String = "ssh") {
        self.settings = settings
        self.executable = executable
    }

    /// Where the master connections' sockets live: short enough for a Unix socket path, private.
    static let controlDirectory: String = {
        let path = "/tmp/deployer-ssh-\(getuid())"
        mkdir(path, 0o700)
        return path
    }()

    /// The `ssh` command line for `host`, with Ansible's variables where the inventory sets them and
    /// `~/.ssh/config` deciding the rest.
    func arguments(for host: RemoteHost) -> [String] {
        var arguments = [
            executable, "-o", "BatchMode=yes", "-o", "ControlMaster=auto", "-o", "ControlPath=\(Self.controlDirectory)/%C",
            "-o", "ControlPersist=60", "-o", "ConnectTimeout=\(max(1, Int(settings.connectTimeout.seconds.rounded(.up))))",
            "-o", "StrictHostKeyChecking=\(settings.acceptNewHostKeys ? "accept-new" : "yes")",
        ]
        if settings.knownHostsGiven { arguments += ["-o", "UserKnownHostsFile=\(settings.knownHosts)"] }
        if let port = host.vars["ansible_port"] ?? host.vars["ansible_ssh_port"] { arguments += ["-p", port] }
        if let user = host.vars["ansible_user"] ?? host.vars["ansible_ssh_user"] { arguments += ["-l", user] }
        if let key = host.vars["ansible_ssh_private_key_file"] {
            arguments += ["-i", (key as NSString).expandingTildeInPath, "-o", "IdentitiesOnly=yes"]
        }
        return arguments + ["--", host.address]
    }

    public func run(
        _ command: String, on host: RemoteHost, lane: String, input: [UInt8], timeout: Duration,
        onLine: (@Sendable (String) -> Void)?
    ) async throws -> RemoteResult {
        let line = (arguments(for: host) + [command]).map(Shell.quote).joined(separator: " ")
        let result = try await LocalCommand.run(line, input: input, timeout: timeout, onLine: onLine)
        // ssh exits 255 when it could not connect, verify the host or authenticate.
        if result.exitStatus == 255 {
            let why = result.output.split(separator: "\n").suffix(3).joined(separator: "; ")
            throw SSHError(.unreachable, "\(host.address): ssh failed: \(why.isEmpty ? "exit status 255" : why)")
        }
        return RemoteResult(
            exitStatus: result.exitStatus, signal: result.signal.map { String($0) }, stdout: result.output, stderr: "",
            timedOut: result.timedOut)
    }

    public func transport(to endpoint: RuntimeEndpoint, on host: RemoteHost) -> any RuntimeTransport {
        OpenSSHRuntimeTransport(shell: self, host: host, address: endpoint)
    }

    /// In a long-lived shell on the host, one ssh client per host and lane kept for the run.
    public func script(_ script: String, on host: RemoteHost, lane: String, timeout: Duration) async throws -> (output: [UInt8], status: Int32) {
        let command = arguments(for: host)
        let relay = relays.relay("\(command.joined(separator: " "))\u{0}\(lane)", command: command)
        return try await relay.run(script, timeout: timeout, host: host.address)
    }
}

/// An admin socket on another host through the system ssh client: `socat` on the host connects to it
/// for each request.
struct OpenSSHRuntimeTransport: RuntimeTransport {
    let shell: OpenSSHShell
    let host: RemoteHost
    let address: RuntimeEndpoint

    var endpoint: String {
        let user = host.vars["ansible_user"] ?? host.vars["ansible_ssh_user"]
        let port = host.vars["ansible_port"] ?? host.vars["ansible_ssh_port"]
        return "\(address) on \(user.map { "\($0)@" } ?? "")\(host.address)\(port.map { ":\($0)" } ?? "") (ssh client)"
    }

    func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let target: String
        switch address {
        case .unix(let path): target = "UNIX-CONNECT:\(path)"
        case .tcp(let host, let port): target = "TCP:\(host.contains(":") ? "[\(host)]" : host):\(port)"
        }
        // Through the host's long-lived shell (one ssh client kept for the run), one socket connection
        // per request, so a reloaded HAProxy is always the one asked.
        let delimiter = "DEPLOYER_REQUEST_" + UUID().uuidString.replacingOccurrences(of: "-", with: "_")
        var text = String(decoding: request, as: UTF8.self)
        if !text.hasSuffix("\n") { text += "\n" }
        let answer: (output: [UInt8], status: Int32)
        do {
            answer = try await shell.script(
                "socat - \(Shell.quote(target)) <<'\(delimiter)'\n\(text)\(delimiter)", on: host, lane: "admin sockets",
                timeout: timeout)
        } catch let error as SSHError where error.kind == .timeout {
            throw HAProxyError(.timeout, "\(endpoint): no answer in time")
        } catch let error as SSHError {
            throw HAProxyError(.unreachable, error.message)
        }
        switch answer.status {
        case 0: return answer.output
        case 127:
            throw HAProxyError(
                .unreachable,
                "\(endpoint): socat is not installed there; deployer needs it to reach an admin socket through the "
                    + "ssh client (apt-get install socat)")
        default:
            let why = String(decoding: answer.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw HAProxyError(.unreachable, "\(endpoint): \(why.isEmpty ? "socat failed" : why)")
        }
    }
}
