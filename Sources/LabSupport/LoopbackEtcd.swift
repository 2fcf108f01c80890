import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real etcd (Debian's `etcd-server`) on 127.0.0.1 for a test or a benchmark: one member, a data
/// directory of its own in the temporary directory, client and peer ports picked free; `stop()` ends it
/// and removes the directory, `kill()` ends it as a crash would and `restart()` brings it back on the
/// same ports and data. With `tls`, clients are served HTTPS only and must show a client certificate:
/// a CA of its own signs the server's certificate (for 127.0.0.1 and localhost) and a client's.
public final class LoopbackEtcd: @unchecked Sendable {
    public static let binary = "/usr/bin/etcd"
    public let directory: String
    public let clientPort: Int
    public let peerPort: Int
    public let tls: Bool
    public private(set) var pid: Int32 = 0
    public var endpoint: String { "\(tls ? "https" : "http")://127.0.0.1:\(clientPort)" }
    /// With `tls`: the CA the server's certificate chains to, and a client certificate and key it accepts.
    public var caFile: String { directory + "/ca.pem" }
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }
    /// A CA of its own, that signed nothing this etcd trusts or shows.
    public var otherCAFile: String { directory + "/other-ca.pem" }
    public var log: String { (try? String(contentsOfFile: directory + "/etcd.log", encoding: .utf8)) ?? "" }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    public init(tls: Bool = false) throws {
        self.tls = tls
        directory = NSTemporaryDirectory() + "deployer-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let client = Loopback.freePort(), let peer = Loopback.freePort(), client != peer else {
            throw Spawn.Failure(description: "no free ports on 127.0.0.1 for etcd")
        }
        clientPort = client
        peerPort = peer
        if tls { try makeCertificates() }
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
            ]
                + (tls
                    ? [
                        "--cert-file", directory + "/server.pem", "--key-file", directory + "/server.key", "--client-cert-auth",
                        "--trusted-ca-file", caFile,
                    ] : []), stderr: directory + "/etcd.log")
        guard Loopback.waitUntilAccepting(clientPort, timeout: 20) else {
            let log = self.log
            kill()
            throw Spawn.Failure(description: "etcd did not start: \(log)")
        }
    }

    /// A CA, the server's certificate and a client's (the server's also for client authentication: etcd's
    /// JSON gateway connects to its own gRPC with it), with the openssl command (P-256 keys, two days).
    private func makeCertificates() throws {
        let openssl = "/usr/bin/openssl"
        func run(_ arguments: [String]) throws {
            guard try Spawn.run(openssl, arguments, stdout: "/dev/null", stderr: directory + "/openssl.log") == 0 else {
                let log = (try? String(contentsOfFile: directory + "/openssl.log", encoding: .utf8)) ?? ""
                throw Spawn.Failure(description: "openssl \(arguments.first ?? "") failed: \(log)")
            }
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try run(["req", "-x509"] + key + ["-keyout", "\(directory)/\(ca).key", "-out", "\(directory)/\(ca).pem", "-days", "2", "-subj", "/CN=deployer test \(ca)"])
        }
        for (name, extensions) in [
            ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n"), ("client", "extendedKeyUsage=clientAuth\n"),
        ] {
            try Data(extensions.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name).ext"))
            try run(["req"] + key + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", "/CN=deployer-\(name)"])
            try run([
                "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", caFile, "-CAkey", "\(directory)/ca.key", "-CAcreateserial",
                "-out", "\(directory)/\(name).pem", "-days", "2", "-extfile", "\(directory)/\(name).ext",
            ])
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
