import Foundation
import LabSupport
import Providers
import Testing

extension Tag {
    /// Tests that start a real OpenSSH server (run alone: `swift test --filter SSH`).
    @Tag static var ssh: Self
}

/// A real OpenSSH server on 127.0.0.1 for one test (LabSupport's, shared with the benchmarks).
typealias SSHServer = LoopbackSSHServer

extension LoopbackSSHServer {
    var dir: String { directory }

    func target(key: String? = nil, knownHosts: String? = nil, acceptNew: Bool = false) -> SSHTarget {
        SSHTarget(
            host: "127.0.0.1", port: port, user: user, keyFile: key ?? userKey, knownHosts: knownHosts ?? self.knownHosts,
            acceptNewHostKey: acceptNew, connectTimeout: .seconds(5))
    }

    static func freePort() -> Int { Loopback.freePort() ?? 0 }
}
