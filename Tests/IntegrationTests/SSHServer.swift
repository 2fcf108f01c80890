import Foundation
import Providers
import Testing

extension Tag {
    /// Tests that start a real OpenSSH server (run alone: `swift test --filter SSH`).
    @Tag static var ssh: Self
}

/// A real OpenSSH server on 127.0.0.1 for one test: throwaway host and user keys, a throwaway
/// known_hosts, logging in as the current user (root in CI); stopped by `stop()`.
final class SSHServer {
    let dir: String
    let port: Int
    let process: DeployerProcess.Running
    let user: String
    var userKey: String { dir + "/id_ed25519" }
    var knownHosts: String { dir + "/known_hosts" }

    /// - Parameter config: extra sshd_config lines (e.g. `AllowTcpForwarding no`).
    init(config: [String] = []) throws {
        dir = NSTemporaryDirectory() + "deployer-sshd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        user = ProcessInfo.processInfo.environment["USER"] ?? "root"
        for (file, comment) in [("host_ed25519", "host"), ("id_ed25519", "user")] {
            let keygen = try DeployerProcess.run(
                ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", "\(dir)/\(file)"], in: dir, binary: "/usr/bin/ssh-keygen")
            guard keygen.status == 0 else { throw Failure(description: "ssh-keygen: \(keygen.stderr)") }
        }
        try FileManager.default.copyItem(atPath: dir + "/id_ed25519.pub", toPath: dir + "/authorized_keys")
        port = SSHServer.freePort()
        let lines = [
            "Port \(port)", "ListenAddress 127.0.0.1", "HostKey \(dir)/host_ed25519", "PidFile \(dir)/sshd.pid",
            "AuthorizedKeysFile \(dir)/authorized_keys", "PermitRootLogin prohibit-password", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "LogLevel ERROR",
        ] + config
        try lines.joined(separator: "\n").appending("\n").write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
        let hostKey = try String(contentsOfFile: dir + "/host_ed25519.pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(port) \(hostKey)\n".write(toFile: dir + "/known_hosts", atomically: true, encoding: .utf8)
        process = try DeployerProcess.start(["-D", "-e", "-f", dir + "/sshd_config"], in: dir, binary: "/usr/sbin/sshd")
        // Bounded wait until it accepts connections.
        let deadline = Date().addingTimeInterval(10)
        while !SSHServer.accepts(port), Date() < deadline { usleep(20_000) }
        guard SSHServer.accepts(port) else {
            stop()
            throw Failure(description: "sshd did not start: \(process.stderr())")
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func target(key: String? = nil, knownHosts: String? = nil, acceptNew: Bool = false) -> SSHTarget {
        SSHTarget(
            host: "127.0.0.1", port: port, user: user, keyFile: key ?? userKey, knownHosts: knownHosts ?? self.knownHosts,
            acceptNewHostKey: acceptNew, connectTimeout: .seconds(5))
    }

    func stop() {
        kill(process.process.processIdentifier, SIGTERM)
        if process.wait(timeout: 5) == nil {
            kill(process.process.processIdentifier, SIGKILL)
            _ = process.wait(timeout: 5)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
