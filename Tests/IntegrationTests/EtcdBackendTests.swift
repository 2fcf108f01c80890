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
            transport: SocketHTTPTransport(timeout: .seconds(5)))
    }

    static func backend(_ endpoint: String, tls: TLSClientFiles) throws -> EtcdStateBackend {
        EtcdStateBackend(
            endpoints: [URL(string: endpoint)!], prefix: "deployer/tests", transport: try SocketHTTPTransport(timeout: .seconds(5), tls: tls))
    }

    /// A heartbeat is bound to a lease its holder renews with every beat: while it beats it is alive;
    /// once it stops, the lease runs out, etcd removes the heartbeat and the backend says since when;
    /// the lock itself stays where it was. A heartbeat ended by its holder is not an expiry.
    @Test func aHeartbeatBoundToALeaseRunsOutWhenItsHolderStopsAndSaysSinceWhen() async throws {
        let etcd = try LoopbackEtcd()
        defer { etcd.stop() }
        let backend = EtcdStateBackend(
            endpoints: [URL(string: etcd.endpoint)!], prefix: "deployer/leases", transport: SocketHTTPTransport(timeout: .seconds(5)), heartbeatTTL: 3)
        let store = StateStore(backend)
        let holder = LockInfo(user: "ci", host: "build-agent-7", pid: 4242, since: Date(), deployID: "d1", command: "deploy")
        #expect(try await store.lock.acquire(holder) == nil)
        var lastBeat = Date()
        for _ in 0..<4 {
            lastBeat = Date()
            try await store.beat(holder, at: lastBeat)
            #expect(try await store.heartbeatExpiry(of: holder) == nil, "a holder that beats is alive")
            try await Task.sleep(for: .seconds(1))
        }
        var expiry: Date?
        for _ in 0..<40 where expiry == nil {
            try await Task.sleep(for: .milliseconds(250))
            expiry = try await store.heartbeatExpiry(of: holder)
        }
        let since = try #require(expiry, "the lease never ran out")
        #expect(abs(since.timeIntervalSince(lastBeat.addingTimeInterval(3))) < 2, "since \(since), last beat \(lastBeat)")
        #expect(try await store.lastBeat(of: holder) == nil, "etcd removed the heartbeat with its lease")
        #expect(try await store.lock.current() == holder, "the lock is not released by the lease")

        let other = LockInfo(user: "ci", host: "build-agent-8", pid: 7, since: Date(), deployID: "d2", command: "drain")
        try await store.beat(other, at: Date())
        try await store.endBeat(other)
        #expect(try await store.heartbeatExpiry(of: other) == nil, "an ended heartbeat did not expire")
        #expect(try await backend.list(".last-beat") == [], "nothing is left of it")
    }

    /// What `deployer status` reads of an environment — the lock, its holder's heartbeat and whether its
    /// lease ran out, the versions, the unfinished deploy's journal and its last record — takes one
    /// request, and answers exactly what reading them one by one answers. A journal longer than the
    /// snapshot reads at once is read after, on its own, with the same answers.
    @Test func statusReadsAnEnvironmentInOneRequest() async throws {
        let etcd = try LoopbackEtcd()
        defer { etcd.stop() }
        let writer = StateStore(Self.backend([etcd.endpoint]))
        let holder = LockInfo(user: "ci", host: "build-agent-9", pid: 4242, since: Date(), deployID: "20261204T100000Z-0000000b", command: "deploy")
        let old = try await writer.journal("20261201T100000Z-0000000a")
        _ = try await old.append(JournalRecord(at: Date(), kind: .deployStarted, deployID: "20261201T100000Z-0000000a", environment: "prod", version: "v1", targets: ["web-1"]))
        _ = try await old.append(JournalRecord(at: Date(), kind: .deployFinished, deployID: "20261201T100000Z-0000000a", outcome: "succeeded"))
        #expect(try await writer.lock.acquire(holder) == nil)
        try await writer.beat(holder, at: Date())
        try await writer.recordVersion("v1", for: "web-1")
        let journal = try await writer.journal(holder.deployID!)
        let targets = (1...12).map { TargetID("web-\($0)") }
        _ = try await journal.append(JournalRecord(at: Date(), kind: .deployStarted, deployID: holder.deployID!, environment: "prod", version: "v2", targets: targets))
        for target in targets { _ = try await journal.append(JournalRecord(at: Date(), kind: .targetStarted, deployID: holder.deployID!, target: target)) }

        struct Seen: Equatable {
            var versions: [String: String], lock: LockInfo?, unfinished: String?, inFlight: [TargetID]
            var lastBeat: Date?, expiry: Date?, lastRecord: Date?
        }
        func look(_ store: StateStore) async throws -> Seen {
            let unfinished = try await store.unfinished()
            return Seen(
                versions: try await store.versions(), lock: try await store.lock.current(), unfinished: unfinished?.deployID,
                inFlight: unfinished?.replay.inFlight.keys.sorted() ?? [], lastBeat: try await store.lastBeat(of: holder),
                expiry: try await store.heartbeatExpiry(of: holder), lastRecord: try await store.lastRecordDate(holder.deployID!))
        }
        for limit in [EtcdStateBackend.defaultSnapshotLimit, 5] {
            let counting = CountingTransport(SocketHTTPTransport(timeout: .seconds(5)))
            let reader = StateStore(EtcdStateBackend(endpoints: [URL(string: etcd.endpoint)!], prefix: "deployer/tests", transport: counting, snapshotLimit: limit))
            let oneByOne = try await look(reader)
            #expect(oneByOne.unfinished == holder.deployID && oneByOne.inFlight == targets.sorted() && oneByOne.lock == holder)
            #expect(oneByOne.lastBeat != nil && oneByOne.expiry == nil && oneByOne.versions == ["web-1": "v1"])
            let readOneByOne = counting.total
            counting.reset()
            let atOnce = try await look(try await reader.snapshot())
            #expect(atOnce == oneByOne)
            if limit == EtcdStateBackend.defaultSnapshotLimit {
                #expect(counting.total == 1, "\(counting.byPath), against \(readOneByOne) one by one")
            } else {
                #expect(counting.total > 1 && counting.total < readOneByOne, "\(counting.byPath), against \(readOneByOne) one by one")
            }
        }
    }

    /// Over TLS, to an etcd that asks for a client certificate: the cluster's CA and a client
    /// certificate reach it by address and by name; no client certificate, a CA that did not sign the
    /// server's, or plain http to it are refused with the reason, and nothing is read or written.
    @Test func tlsWithTheClustersCAAndAClientCertificate() async throws {
        let etcd = try LoopbackEtcd(tls: true)
        defer { etcd.stop() }
        let files = TLSClientFiles(ca: etcd.caFile, certificate: etcd.clientCertificate, key: etcd.clientKey)
        for (index, endpoint) in [etcd.endpoint, "https://localhost:\(etcd.clientPort)"].enumerated() {
            let state = try Self.backend(endpoint, tls: files)
            #expect(try await state.create("object-\(index)", Data("over tls".utf8)), "\(endpoint)")
            try await state.append("journal/\(index).jsonl", Data("{}\n".utf8))
            #expect(try await state.read("object-\(index)") == Data("over tls".utf8), "\(endpoint)")
        }
        let refusals: [(name: String, backend: EtcdStateBackend, reason: String)] = [
            ("no client certificate", try Self.backend(etcd.endpoint, tls: TLSClientFiles(ca: etcd.caFile)), "certificate"),
            ("another CA", try Self.backend(etcd.endpoint, tls: TLSClientFiles(ca: etcd.otherCAFile, certificate: etcd.clientCertificate, key: etcd.clientKey)), "not trusted"),
            ("plain http", Self.backend(["http://127.0.0.1:\(etcd.clientPort)"]), "127.0.0.1:\(etcd.clientPort)"),
        ]
        for refusal in refusals {
            do {
                _ = try await refusal.backend.create("refused", Data("x".utf8))
                Issue.record("\(refusal.name): the write went through")
            } catch let error as StateError {
                #expect(error.description.contains(refusal.reason), "\(refusal.name): \(error)")
            }
        }
        #expect(try await Self.backend(etcd.endpoint, tls: files).read("refused") == nil, "a refused client wrote nothing")
        #expect(throws: TransportFailure.self) { _ = try SocketHTTPTransport(tls: TLSClientFiles(ca: etcd.directory + "/no-such-ca.pem")) }
        #expect(throws: TransportFailure.self) {
            _ = try SocketHTTPTransport(tls: TLSClientFiles(ca: etcd.caFile, certificate: etcd.clientCertificate, key: etcd.directory + "/server.key"))
        }
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
