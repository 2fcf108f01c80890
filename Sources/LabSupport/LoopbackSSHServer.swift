import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real OpenSSH server on 127.0.0.1 for a test or a benchmark: throwaway host and user keys and
/// known_hosts in a temporary directory of its own, logging in as the current user with the key;
/// stopped, and its directory removed, by `stop()`.
public final class LoopbackSSHServer: @unchecked Sendable {
    public let directory: String
    public let port: Int
    public let user: String
    public let pid: Int32
    /// The user's private key (its public half is the one authorized key).
    public var userKey: String { directory + "/id_ed25519" }
    /// A known_hosts file that knows this server's host key.
    public var knownHosts: String { directory + "/known_hosts" }
    /// What sshd wrote to its standard error.
    public var log: String { (try? String(contentsOfFile: directory + "/sshd.log", encoding: .utf8)) ?? "" }

    /// - Parameter config: extra sshd_config lines (e.g. `AllowTcpForwarding no`).
    public init(config: [String] = []) throws {
        directory = NSTemporaryDirectory() + "deployer-sshd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        user = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        for (file, comment) in [("host_ed25519", "host"), ("id_ed25519", "user")] {
            let status = try Spawn.run(
                "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", "\(directory)/\(file)"],
                stderr: directory + "/keygen.log")
            guard status == 0 else {
                throw Spawn.Failure(description: "ssh-keygen failed: \((try? String(contentsOfFile: directory + "/keygen.log", encoding: .utf8)) ?? "")")
            }
        }
        try FileManager.default.copyItem(atPath: directory + "/id_ed25519.pub", toPath: directory + "/authorized_keys")
        guard let port = Loopback.freePort() else { throw Spawn.Failure(description: "no free port on 127.0.0.1") }
        self.port = port
        let lines = [
            "Port \(port)", "ListenAddress 127.0.0.1", "HostKey \(directory)/host_ed25519", "PidFile \(directory)/sshd.pid",
            "AuthorizedKeysFile \(directory)/authorized_keys", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "LogLevel ERROR",
        ] + config
        try lines.joined(separator: "\n").appending("\n").write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
        let hostKey = try String(contentsOfFile: directory + "/host_ed25519.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(port) \(hostKey)\n".write(toFile: directory + "/known_hosts", atomically: true, encoding: .utf8)
        pid = try Spawn.start("/usr/sbin/sshd", ["-D", "-e", "-f", directory + "/sshd_config"], stderr: directory + "/sshd.log")
        guard Loopback.waitUntilAccepting(port, timeout: 10) else {
            let log = self.log
            stop()
            throw Spawn.Failure(description: "sshd did not start: \(log)")
        }
    }

    public func stop() {
        kill(pid, SIGTERM)
        if Spawn.wait(pid, timeout: 5) == nil {
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid, timeout: 5)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
