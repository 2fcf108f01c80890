import Deployer
import Foundation
import JSONDocument
import LabSupport
import Providers
import Testing

/// The etcd state backend against a real etcd on 127.0.0.1: endpoints tried in turn, authentication,
/// and failing closed when no member answers.
@Suite(.serialized, .enabled(if: LoopbackEtcd.isInstalled, "skipped: etcd is not installed (make deps installs etcd-server)"))
struct EtcdBackendTests {
    static func backend(_ endpoints: [String], user: String? = nil, password: String? = nil) -> EtcdStateBackend {
        EtcdStateBackend(
            endpoints: endpoints.map { URL(string: $0)! }, prefix: "deployer/tests", user: user, password: password,
            transport: PlainHTTPTransport(timeout: .seconds(5)))
    }

    @Test func aMemberThatDoesNotAnswerIsLeftForTheNextAndNoneAnsweringFailsClosed() async throws {
        let etcd = try LoopbackEtcd()
        defer { etcd.stop() }
        let closed = "http://127.0.0.1:\(Loopback.freePort() ?? 1)"
        let state = Self.backend([closed, etcd.endpoint])
        #expect(try await state.create("lock.json", Data("held".utf8)))
        #expect(try await state.read("lock.json") == Data("held".utf8))
        let nobody = Self.backend([closed])
        do {
            _ = try await nobody.read("lock.json")
            Issue.record("a read with no member answering succeeded")
        } catch let error as StateError {
            #expect(error.description.contains("no etcd endpoint answered"), "\(error)")
            #expect(error.description.contains("etcd://127.0.0.1"), "the state is named: \(error)")
        }
    }

    /// With authentication on, the backend signs in with its user and password; a wrong password is
    /// refused with etcd's reason, and the password is never in the message.
    @Test func authenticationWithAUserAndPassword() async throws {
        let etcd = try LoopbackEtcd()
        defer { etcd.stop() }
        let password = "s3cret-\(UUID().uuidString.prefix(6))"
        // Authentication switched on as an operator would (with Python's urllib: a fresh connection per call).
        let script = """
            import json, sys, urllib.request
            base, password = sys.argv[1], sys.argv[2]
            for path, body in [("/v3/auth/user/add", {"name": "root", "password": password}), ("/v3/auth/role/add", {"name": "root"}),
                               ("/v3/auth/user/grant", {"user": "root", "role": "root"}), ("/v3/auth/enable", {})]:
                request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST")
                urllib.request.urlopen(request, timeout=10).read()
            print("enabled")
            """
        let enabled = try DeployerProcess.run(["-c", script, etcd.endpoint, password], in: etcd.directory, binary: "/usr/bin/python3", timeout: 30)
        try #require(enabled.stdout.contains("enabled"), "authentication could not be switched on: \(enabled.stderr)")
        let signedIn = Self.backend([etcd.endpoint], user: "root", password: password)
        #expect(try await signedIn.create("audit.jsonl", Data("x".utf8)))
        #expect(try await signedIn.read("audit.jsonl") == Data("x".utf8))
        let anonymous = Self.backend([etcd.endpoint])
        await #expect(throws: StateError.self) { _ = try await anonymous.read("audit.jsonl") }
        let wrong = Self.backend([etcd.endpoint], user: "root", password: "not-it")
        do {
            _ = try await wrong.read("audit.jsonl")
            Issue.record("a wrong password was accepted")
        } catch let error as StateError {
            #expect(error.description.contains("authentication failed"), "\(error)")
            #expect(!error.description.contains("not-it") && !error.description.contains(password))
        }
    }
}
