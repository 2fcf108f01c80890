import AzureSimulator
import Deployer
import Foundation
import JSONDocument
import LabSupport
import Manifests
import Providers
import Testing

/// The contract of a deploy-state backend, run against every implementation: in memory, a directory
/// of this machine, a directory on a host over SSH (a real sshd on 127.0.0.1), and a container of an
/// Azure Storage account (`deployer simulate azure` on 127.0.0.1), and keys in a real etcd on 127.0.0.1 (over http, and over TLS with a client certificate). Each "machine" of a race is a
/// backend of its own (for SSH, its own connections; for blobs, its own endpoint look-up and
/// credentials: a token for Azure Storage or the account key, in turn).
@Suite(.serialized) struct StateContractTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case memory, local, ssh
        /// Over the system ssh client (`ssh.transport: openssh`).
        case openssh
        /// Blobs in the simulator's storage account.
        case blob
        /// Keys in a real etcd.
        case etcd
        /// Keys in a real etcd that serves TLS only and asks for a client certificate.
        case etcdTLS
        var testDescription: String { rawValue }
    }

    /// Backends of one kind that all see the same state, as separate machines would.
    final class Rig {
        let kind: Kind
        private var cleanup: [() -> Void] = []
        private let memory = InMemoryStateBackend()
        private let directory = NSTemporaryDirectory() + "deployer-state-" + UUID().uuidString
        private var server: SSHServer?
        private var azure: BlobLab?
        private var etcd: LoopbackEtcd?
        private var etcdTransport = SocketHTTPTransport(timeout: .seconds(10))
        private var machines = 0

        init(_ kind: Kind) async throws {
            self.kind = kind
            if kind == .ssh || kind == .openssh { server = try SSHServer() }
            if kind == .blob { azure = try await BlobLab.start() }
            if kind == .etcd { etcd = try LoopbackEtcd() }
            if kind == .etcdTLS {
                let etcd = try LoopbackEtcd(tls: true)
                self.etcd = etcd
                etcdTransport = try SocketHTTPTransport(
                    timeout: .seconds(10), tls: TLSClientFiles(ca: etcd.caFile, certificate: etcd.clientCertificate, key: etcd.clientKey))
            }
        }

        /// A backend as one more machine sees it.
        func machine() -> any StateBackend {
            switch kind {
            case .memory:
                return memory
            case .local:
                return LocalStateBackend(directory: directory)
            case .ssh, .openssh:
                let server = server!
                let settings = SSHSettings(
                    knownHosts: server.knownHosts, acceptNewHostKeys: false, defaultUser: server.user,
                    transport: kind == .ssh ? .libssh2 : .openssh)
                let host = RemoteHost(
                    address: "127.0.0.1",
                    vars: ["ansible_port": String(server.port), "ansible_ssh_private_key_file": server.userKey, "ansible_user": server.user])
                let shell: any RemoteShell =
                    kind == .ssh ? LibSSH2Shell(connections: SSHConnections(), settings: settings) : OpenSSHShell(settings: settings)
                return SSHStateBackend(shell: shell, host: host, hostName: "lb-1", directory: directory)
            case .blob:
                machines += 1
                return azure!.backend(prefix: "contract", sharedKey: machines.isMultiple(of: 2))
            case .etcd, .etcdTLS:
                return EtcdStateBackend(endpoints: [URL(string: etcd!.endpoint)!], prefix: "deployer/contract", transport: etcdTransport)
            }
        }

        func stop() {
            server?.stop()
            azure?.stop()
            etcd?.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test(arguments: Kind.allCases)
    func createReplaceDeleteAreConditional(_ kind: Kind) async throws {
        let rig = try await Rig(kind)
        defer { rig.stop() }
        let state = rig.machine()
        #expect(try await state.read("lock.json") == nil)
        #expect(try await state.create("lock.json", Data("first".utf8)))
        #expect(try await !state.create("lock.json", Data("second".utf8)), "an existing object is never overwritten")
        #expect(try await state.read("lock.json") == Data("first".utf8))
        #expect(try await !state.replace("lock.json", Data("x".utf8), expected: Data("other".utf8)))
        #expect(try await state.read("lock.json") == Data("first".utf8))
        #expect(try await state.replace("lock.json", Data("third".utf8), expected: Data("first".utf8)))
        #expect(try await !state.delete("lock.json", expected: Data("first".utf8)))
        #expect(try await state.delete("lock.json", expected: Data("third".utf8)))
        #expect(try await state.read("lock.json") == nil)
        #expect(try await !state.replace("lock.json", Data("x".utf8), expected: Data("third".utf8)), "nothing to replace")
        #expect(try await !state.delete("lock.json", expected: Data()), "nothing to delete")
    }

    @Test(arguments: Kind.allCases)
    func appendsKeepEveryByteInOrderAndListingShowsOnlyObjects(_ kind: Kind) async throws {
        let rig = try await Rig(kind)
        defer { rig.stop() }
        let state = rig.machine()
        let binary = Data((0...255).map { UInt8($0) }) + Data("'\"$(touch x)`;\n".utf8)
        try await state.append("journal/b.jsonl", binary)
        // Larger than one read of the SSH backend (45 KiB).
        let big = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try await state.append("journal/b.jsonl", big)
        #expect(try await state.read("journal/b.jsonl") == binary + big)
        try await state.append("journal/a.jsonl", Data("{}\n".utf8))
        #expect(try await state.create("journal/c.jsonl", Data()))
        #expect(try await state.read("journal/c.jsonl") == Data(), "an empty object exists")
        #expect(try await state.list("journal") == ["a.jsonl", "b.jsonl", "c.jsonl"])
        #expect(try await state.list("nothing-here") == [])
        for bad in ["../escape", "/etc/passwd", "a b", "journal/../x", ""] {
            await #expect(throws: StateError.self, "\(bad) is refused") { _ = try await state.read(bad) }
        }
    }

    @Test(arguments: Kind.allCases)
    func twoMachinesRacingForTheLockHaveExactlyOneWinnerEveryTime(_ kind: Kind) async throws {
        let rig = try await Rig(kind)
        defer { rig.stop() }
        let rounds = kind == .memory || kind == .local ? 200 : 100
        let machines = [rig.machine(), rig.machine()]
        for round in 0..<rounds {
            let winners = await withTaskGroup(of: LockInfo?.self) { group in
                for (index, machine) in machines.enumerated() {
                    group.addTask {
                        let holder = LockInfo(
                            user: "m\(index)", host: "machine-\(index)", pid: Int32(round), since: Date(), deployID: "d\(round)-\(index)",
                            command: "deploy")
                        do {
                            return try await StateStore(machine).lock.acquire(holder) == nil ? holder : nil
                        } catch {
                            return nil  // a machine whose acquire failed did not win
                        }
                    }
                }
                var won: [LockInfo] = []
                for await winner in group { if let winner { won.append(winner) } }
                return won
            }
            #expect(winners.count == 1, "round \(round): \(winners.count) winners")
            guard let winner = winners.first else { continue }
            let lock = StateStore(machines[0]).lock
            #expect(try await lock.current() == winner)
            try await lock.release(winner)
            #expect(try await lock.current() == nil)
        }
    }

    @Test(arguments: Kind.allCases)
    func theLockIsTakenOverAndReleasedOnlyFromItsHolder(_ kind: Kind) async throws {
        let rig = try await Rig(kind)
        defer { rig.stop() }
        let first = StateStore(rig.machine()).lock
        let second = StateStore(rig.machine()).lock
        let a = LockInfo(user: "a", host: "one", pid: 10, since: Date(), deployID: "d1", command: "deploy")
        let b = LockInfo(user: "b", host: "two", pid: 20, since: Date(), deployID: "d1", command: "resume")
        #expect(try await first.acquire(a) == nil)
        #expect(try await second.acquire(b) == a, "the holder is named")
        #expect(try await !second.takeOver(from: b, to: b), "only from the current holder")
        try await second.release(b)
        #expect(try await first.current() == a, "released only by its holder")
        #expect(try await second.takeOver(from: a, to: b))
        #expect(try await first.current() == b)
        try await first.release(a)
        #expect(try await first.current() == b)
        try await second.release(b)
        #expect(try await first.current() == nil)
    }

    @Test(arguments: Kind.allCases)
    func journalsAuditVersionsAndAbortRequestsAreSharedBetweenMachines(_ kind: Kind) async throws {
        let rig = try await Rig(kind)
        defer { rig.stop() }
        let here = StateStore(rig.machine())
        let there = StateStore(rig.machine())
        let journal = try await here.journal("20261203T000000Z-00000001")
        let start = JournalRecord(
            at: Date(timeIntervalSince1970: 1_800_000_000), kind: .deployStarted, deployID: "20261203T000000Z-00000001",
            environment: "prod", version: "v2", targets: ["web-1", "web-2"])
        #expect(try await journal.append(start) == 1)
        #expect(
            try await journal.append(JournalRecord(at: Date(), kind: .targetStarted, deployID: start.deployID, target: "web-1")) == 2)
        let seen = try #require(try await there.unfinished())
        #expect(seen.deployID == start.deployID && seen.replay.inFlight.keys.sorted() == ["web-1"])
        // A record cut short by a crash mid-write is skipped, and the next one starts on its own line.
        try await rig.machine().append("journal/\(start.deployID).jsonl", Data("{\"seq\":3,\"kind\":\"ta".utf8))
        let reopened = try await there.journal(start.deployID)
        #expect(
            try await reopened.append(JournalRecord(at: Date(), kind: .deployFinished, deployID: start.deployID, outcome: "aborted")) == 3)
        #expect(try await reopened.records().map(\.seq) == [1, 2, 3])
        #expect(try await here.unfinished() == nil, "finished, as every machine sees it")

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 1...6 {
                let store = index.isMultiple(of: 2) ? here : there
                group.addTask { try await store.recordVersion("v\(index)", for: "web-\(index)") }
            }
            try await group.waitForAll()
        }
        #expect(try await here.versions() == Dictionary(uniqueKeysWithValues: (1...6).map { ("web-\($0)", "v\($0)") }))

        try await here.audit("{\"command\":\"deploy\"}")
        try await there.audit("{\"command\":\"drain\"}")
        #expect(try await here.auditLines() == ["{\"command\":\"deploy\"}", "{\"command\":\"drain\"}"])

        #expect(try await !there.abortRequested("d1"))
        try await here.requestAbort("d1")
        #expect(try await there.abortRequested("d1"))
        #expect(try await !there.abortRequested("d2"))
        try await there.clearAbortRequest()
        #expect(try await !here.abortRequested("d1"))
    }

    /// A snapshot (what `status` reads, in one request where the backend can) answers exactly what the
    /// backend answers: the objects asked for, a folder whole, the newest journal; anything else is read
    /// from the backend when asked; a write through it is refused and changes nothing.
    @Test(arguments: Kind.allCases)
    func aSnapshotAnswersWhatTheBackendAnswers(_ kind: Kind) async throws {
        let rig = try await Rig(kind)
        defer { rig.stop() }
        let state = rig.machine()
        #expect(try await state.create("lock.json", Data("{\"holder\":1}".utf8)))
        #expect(try await state.create("heartbeat/a-1-1.txt", Data("2026-12-04T10:00:00Z".utf8)))
        #expect(try await state.create("heartbeat/b-2-2.txt", Data("2026-12-04T10:00:05Z".utf8)))
        for record in 0..<3 { try await state.append("journal/20261201T000000-aaaa.jsonl", Data("{\"old\":\(record)}\n".utf8)) }
        for record in 0..<5 { try await state.append("journal/20261204T000000-bbbb.jsonl", Data("{\"new\":\(record)}\n".utf8)) }
        try await state.append("audit.log", Data("{}\n".utf8))

        let view = SnapshotStateBackend(
            try await rig.machine().snapshot(keys: ["lock.json", "versions.json"], folders: ["heartbeat"], newestIn: ["journal"]), of: state)
        #expect(try await view.read("lock.json") == state.read("lock.json"))
        #expect(try await view.read("versions.json") == nil, "known absent")
        #expect(try await view.list("heartbeat") == ["a-1-1.txt", "b-2-2.txt"])
        #expect(try await view.read("heartbeat/b-2-2.txt") == Data("2026-12-04T10:00:05Z".utf8))
        #expect(try await view.newest(in: "journal") == "20261204T000000-bbbb.jsonl")
        #expect(try await view.read("journal/20261204T000000-bbbb.jsonl") == state.read("journal/20261204T000000-bbbb.jsonl"))
        #expect(try await view.read("journal/20261201T000000-aaaa.jsonl") == state.read("journal/20261201T000000-aaaa.jsonl"), "read when asked")
        #expect(try await view.read("audit.log") == Data("{}\n".utf8), "read when asked")
        #expect(try await view.heartbeatExpiry("heartbeat/a-1-1.txt") == nil, "alive")
        await #expect(throws: StateError.self) { try await view.create("abort-requested", Data("x".utf8)) }
        await #expect(throws: StateError.self) { try await view.append("journal/20261204T000000-bbbb.jsonl", Data("x\n".utf8)) }
        #expect(try await state.read("abort-requested") == nil, "nothing written")

        let store = StateStore(state)
        let snapshot = try await store.snapshot()
        #expect(try await snapshot.versions() == store.versions())
    }
}

/// Faults of the Blob backend, on the simulator's storage account: a slow service, one that answers
/// 503 or drops connections for a while (retried), one that does not answer at all (an error naming
/// the backend, nothing guessed), and a lock whose lease someone broke.
@Suite(.serialized) struct BlobStateFaultTests {
    @Test func aSlowOrBusyServiceIsWaitedForAndRetriedAndOneThatNeverAnswersIsAnError() async throws {
        let lab = try await BlobLab.start()
        defer { lab.stop() }
        let state = lab.backend(prefix: "faults", sharedKey: false)
        #expect(try await state.create("lock.json", Data("{}".utf8)))

        try await lab.simulator.arm(FaultSpec(path: "", kind: .delay, count: 3, seconds: 0.4, service: .blob))
        let slow = ContinuousClock.now
        try await state.append("journal/a.jsonl", Data("{\"seq\":1}\n".utf8))
        #expect(ContinuousClock.now - slow >= .milliseconds(400), "the answer was waited for")

        try await lab.simulator.arm(FaultSpec(path: "", kind: .unavailable, count: 2, service: .blob))
        try await state.append("journal/a.jsonl", Data("{\"seq\":2}\n".utf8))
        try await lab.simulator.arm(FaultSpec(path: "", kind: .reset, count: 2, service: .blob))
        try await state.append("journal/a.jsonl", Data("{\"seq\":3}\n".utf8))
        #expect(
            try await state.read("journal/a.jsonl") == Data("{\"seq\":1}\n{\"seq\":2}\n{\"seq\":3}\n".utf8),
            "each record exactly once, retries included")

        try await lab.simulator.arm(FaultSpec(path: "", kind: .reset, count: 100, service: .blob))
        await #expect {
            try await state.append("journal/a.jsonl", Data("{\"seq\":4}\n".utf8))
        } throws: { error in
            "\(error)".contains("deploy state at azure-blob://\(BlobLab.account)/deployer-state/faults") && "\(error)".contains("no answer")
        }
        try await lab.simulator.clearFaults()
        #expect(try await state.read("journal/a.jsonl") == Data("{\"seq\":1}\n{\"seq\":2}\n{\"seq\":3}\n".utf8), "nothing half-written")
    }

    @Test func aBrokenLeaseIsSeenByTheHolderAndATakeOverLeasesTheLockAgain() async throws {
        let lab = try await BlobLab.start()
        defer { lab.stop() }
        let here = StateStore(lab.backend(prefix: "lease", sharedKey: false))
        let there = StateStore(lab.backend(prefix: "lease", sharedKey: true))
        let holder = LockInfo(user: "ci", host: "agent-1", pid: 42, since: Date(), deployID: "d1", command: "deploy")
        #expect(try await here.lock.acquire(holder) == nil)
        #expect(try await here.stillHolds(holder))
        let blob = try #require(try await lab.simulator.state().storageAccount(BlobLab.account)?.container("deployer-state")?.blob("lease/lock.json"))
        // (Metadata names are case-insensitive: FoundationNetworking sends `X-Ms-Meta-Holder`.)
        let holderMetadata = blob.metadata.first { $0.key.lowercased() == "holder" }?.value
        #expect(blob.leaseState == "leased" && holderMetadata?.contains("agent-1") == true, "\(blob.leaseState) \(blob.metadata)")

        try await lab.simulator.breakLease(account: BlobLab.account, container: "deployer-state", blob: "lease/lock.json")
        #expect(try await !here.stillHolds(holder), "the holder sees its lease gone")
        #expect(try await there.lock.current() == holder, "the lock itself still names its holder")

        let resumer = LockInfo(user: "ops", host: "laptop", pid: 7, since: Date(), deployID: "d1", command: "resume")
        #expect(try await there.lock.takeOver(from: holder, to: resumer))
        #expect(try await there.stillHolds(resumer), "leased again, for the new holder")
        #expect(try await !here.stillHolds(holder))
        try await there.lock.release(resumer)
        #expect(try await here.lock.current() == nil)
    }
}
