import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real etcd (Debian's `etcd-server`) on 127.0.0.1 for a test or a benchmark: one member, a data
/// directory of its own in the temporary directory, client and peer ports picked free; `stop()` ends it
/// and removes the directory, `kill()` ends it as a crash would and `restart()` brings it back on the
/// same ports and data.
public final class LoopbackEtcd: @unchecked Sendable {
    public static let binary = "/usr/bin/etcd"
    public let directory: String
    public let clientPort: Int
    public let peerPort: Int
    public private(set) var pid: Int32 = 0
    public var endpoint: String { "http://127.0.0.1:\(clientPort)" }
    public var log: String { (try? String(contentsOfFile: directory + "/etcd.log", encoding: .utf8)) ?? "" }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public init() throws {
        directory = NSTemporaryDirectory() + "deployer-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let client = Loopback.freePort(), let peer = Loopback.freePort(), client != peer else {
            throw Spawn.Failure(description: "no free ports on 127.0.0.1 for etcd")
        }
        clientPort = client
        peerPort = peer
        try start()
    }

    private func start() throws {
        let peerURL = "http://127.0.0.1:\(peerPort)"
        pid = try Spawn.start(
            Self.binary,
            [
                "--name", "deployer-test", "--data-dir", directory + "/data", "--listen-client-urls", endpoint,
                "--advertise-client-urls", endpoint, "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
                "--initial-cluster", "deployer-test=\(peerURL)", "--log-level", "error",
            ], stderr: directory + "/etcd.log")
        guard Loopback.waitUntilAccepting(clientPort, timeout: 20) else {
            let log = self.log
            kill()
            throw Spawn.Failure(description: "etcd did not start: \(log)")
        }
    }

    /// Ends etcd at once (SIGKILL), as a crash or a partition would look to its clients.
    public func kill() {
        Glibc.kill(pid, SIGKILL)
        _ = Spawn.wait(pid, timeout: 10)
    }

    /// Starts it again on the same ports and data, after `kill()`.
    public func restart() throws { try start() }

    public func stop() {
        Glibc.kill(pid, SIGTERM)
        if Spawn.wait(pid, timeout: 10) == nil {
            Glibc.kill(pid, SIGKILL)
            _ = Spawn.wait(pid, timeout: 5)
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
