public import Foundation

/// An environment's deploy state — lock, journals, audit log, versions, abort request — on any
/// `StateBackend`. What makes the state safe to share is here, once: the lock is created atomically
/// and changed only by compare-and-swap; a journal record is durable before `append` returns.
public struct StateStore: Sendable {
    public let backend: any StateBackend

    public init(_ backend: any StateBackend) { self.backend = backend }

    static let lockKey = "lock.json"
    /// The lock's key, for backends' own checks of it (`isProtected`).
    public static var lockFile: String { lockKey }
    static let auditKey = "audit.log"
    static let versionsKey = "versions.json"
    static let abortKey = "abort-requested"
    static let journalDirectory = "journal"
    static let heartbeatFolder = "heartbeat"

    /// The deploy lock, kept as one object holding its holder.
    public var lock: any DeployLock { StoredDeployLock(backend: backend) }

    /// The journal of `deployID` (new, or the one it already has).
    public func journal(_ deployID: String, onDurable: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> StoredJournal {
        try await StoredJournal(backend: backend, key: "\(Self.journalDirectory)/\(deployID).jsonl", onDurable: onDurable)
    }

    /// The newest journal, when its deploy did not finish. Only the newest can be: a new deploy is
    /// refused while one is unfinished, and deploy ids sort by time.
    public func unfinished() async throws -> (deployID: String, replay: JournalReplay)? {
        var newest = try await backend.newest(in: Self.journalDirectory)
        if let name = newest, !name.hasSuffix(".jsonl") {
            newest = try await backend.list(Self.journalDirectory).filter { $0.hasSuffix(".jsonl") }.max()
        }
        guard let newest else { return nil }
        let deployID = String(newest.dropLast(".jsonl".count))
        let records = try await StoredJournal.records(backend: backend, key: "\(Self.journalDirectory)/\(newest)")
        guard let replay = JournalReplay(records), !replay.isFinished else { return nil }
        return (deployID, replay)
    }

    /// When the newest record of a journal was written: how long a holder has been silent.
    public func lastRecordDate(_ deployID: String) async throws -> Date? {
        try await StoredJournal.records(backend: backend, key: "\(Self.journalDirectory)/\(deployID).jsonl").last?.at
    }

    /// Appends one line (a JSON object) to the audit log.
    public func audit(_ line: String) async throws {
        try await backend.append(Self.auditKey, Data((line.hasSuffix("\n") ? line : line + "\n").utf8))
    }

    /// The audit log's lines, oldest first.
    public func auditLines() async throws -> [String] {
        guard let data = try await backend.read(Self.auditKey) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The version deployer last put on each target (after a verified update).
    public func versions() async throws -> [String: String] {
        guard let data = try await backend.read(Self.versionsKey) else { return [:] }
        do {
            return try JSONDecoder().decode([String: String].self, from: data)
        } catch {
            throw StateError(backend: backend.location, "\(Self.versionsKey) cannot be read: it is not a JSON object of versions")
        }
    }

    /// Records `version` for `target`, by compare-and-swap so that two machines never lose each other's.
    public func recordVersion(_ version: String, for target: String) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        for _ in 0..<50 {
            let old = try await backend.read(Self.versionsKey)
            var all = try await versions()
            all[target] = version
            let new = try encoder.encode(all)
            let done =
                if let old { try await backend.replace(Self.versionsKey, new, expected: old) } else {
                    try await backend.create(Self.versionsKey, new)
                }
            if done { return }
        }
        throw StateError(backend: backend.location, "\(Self.versionsKey) kept changing under 50 attempts to record \(target)")
    }

    /// Records that `holder`'s process is alive, now. A command holding the lock beats every few seconds,
    /// so that machines that cannot see its process can tell a live holder from a dead one.
    public func beat(_ holder: LockInfo, at date: Date) async throws {
        let key = Self.heartbeatKey(holder)
        let text = Data(date.formatted(.iso8601).utf8)
        if try await backend.create(key, text) { return }
        if let old = try await backend.read(key) { _ = try await backend.replace(key, text, expected: old) }
    }

    /// When `holder` last beat, if it ever did.
    public func lastBeat(of holder: LockInfo) async throws -> Date? {
        guard let data = try await backend.read(Self.heartbeatKey(holder)) else { return nil }
        return try? Date(String(decoding: data, as: UTF8.self), strategy: .iso8601)
    }

    /// When `holder`'s heartbeat expired by itself (etcd: its lease ran out), if the backend's
    /// heartbeats do and it did: the holder is gone since then.
    public func heartbeatExpiry(of holder: LockInfo) async throws -> Date? {
        try await backend.heartbeatExpiry(Self.heartbeatKey(holder))
    }

    /// Forgets `holder`'s heartbeat (it let the lock go).
    public func endBeat(_ holder: LockInfo) async throws {
        let key = Self.heartbeatKey(holder)
        if let old = try await backend.read(key) { _ = try await backend.delete(key, expected: old) }
    }

    static func heartbeatKey(_ holder: LockInfo) -> String {
        let host = String(holder.host.unicodeScalars.map { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == ".") ? Character($0) : "_" })
        // The holder's start as well as its pid: a pid used again later is another holder.
        return "\(heartbeatFolder)/\(host)-\(holder.pid)-\(Int(holder.since.timeIntervalSince1970)).txt"
    }

    /// Whether `holder` still holds the lock, under the backend's guard (a blob's lease): false when the
    /// lock was taken over, released by force, or its lease broken — the holder is no longer alone.
    public func stillHolds(_ holder: LockInfo) async throws -> Bool {
        guard try await lock.current() == holder else { return false }
        return try await backend.isProtected(Self.lockKey)
    }

    /// Asks the running deploy `deployID` to stop (it looks between steps, from any machine).
    public func requestAbort(_ deployID: String) async throws {
        if try await backend.create(Self.abortKey, Data(deployID.utf8)) { return }
        if let current = try await backend.read(Self.abortKey), current != Data(deployID.utf8) {
            _ = try await backend.replace(Self.abortKey, Data(deployID.utf8), expected: current)
        }
    }

    /// Whether an abort of `deployID` was asked.
    public func abortRequested(_ deployID: String) async throws -> Bool {
        try await backend.read(Self.abortKey) == Data(deployID.utf8)
    }

    /// Forgets any abort request (a new deploy or resume starts without one).
    public func clearAbortRequest() async throws {
        if let current = try await backend.read(Self.abortKey) {
            _ = try await backend.delete(Self.abortKey, expected: current)
        }
    }
}

/// The deploy lock as one state object holding its holder (JSON), created atomically and changed
/// only while it still holds the holder that was read.
struct StoredDeployLock: DeployLock {
    let backend: any StateBackend

    func acquire(_ info: LockInfo) async throws -> LockInfo? {
        for _ in 0..<10 {
            if try await backend.create(StateStore.lockKey, try Self.encode(info)) { return nil }
            if let holder = try await read() { return holder.info }
            // Released between the two calls: try again.
        }
        throw StateError(backend: backend.location, "the lock kept changing while it was being taken")
    }

    func takeOver(from expected: LockInfo, to info: LockInfo) async throws -> Bool {
        guard let current = try await read(), current.info == expected else { return false }
        return try await backend.replace(StateStore.lockKey, try Self.encode(info), expected: current.data)
    }

    func release(_ holder: LockInfo) async throws {
        guard let current = try await read(), current.info == holder else { return }
        _ = try await backend.delete(StateStore.lockKey, expected: current.data)
    }

    func current() async throws -> LockInfo? { try await read()?.info }

    private func read() async throws -> (info: LockInfo, data: Data)? {
        guard let data = try await backend.read(StateStore.lockKey) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return (try decoder.decode(LockInfo.self, from: data), data)
        } catch {
            throw StateError(
                backend: backend.location,
                "the lock (\(StateStore.lockKey)) cannot be read; if no deploy is running, `deployer lock release --force` removes it")
        }
    }

    static func encode(_ info: LockInfo) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(info)
    }
}

/// A journal as JSON lines in one state object: each record appended, and durable, before `append`
/// returns, so a record reported written survives kill -9 of this process and the loss of this machine.
public actor StoredJournal: Journal {
    public nonisolated let key: String
    private let backend: any StateBackend
    private var count: Int
    private let encoder: JSONEncoder
    private let onDurable: @Sendable (Int) -> Void

    /// Opens (or starts) the journal at `key`, continuing its numbering. `onDurable` is called with
    /// each record's number once it is durable, before any other record can be written (a test seam).
    init(backend: any StateBackend, key: String, onDurable: @escaping @Sendable (Int) -> Void) async throws {
        self.backend = backend
        self.key = key
        self.onDurable = onDurable
        let encoder = JSONEncoder()
        // Milliseconds: a report's timeline needs sub-second steps.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.encoder = encoder
        self.count = try await Self.records(backend: backend, key: key).last?.seq ?? 0
        // A record cut short by a crash is ended, so the next one starts on a line of its own.
        if let data = try await backend.read(key), let last = data.last, last != 0x0A { torn = true }
    }

    private var torn = false

    @discardableResult
    public func append(_ record: JournalRecord) async throws -> Int {
        // One append at a time, in order: the backend's write suspends this actor, and a second append
        // entering meanwhile would take the same number (and could be written before the first).
        await takeTurn()
        defer { passTurn() }
        var record = record
        record.seq = count + 1
        var line = torn ? Data([0x0A]) : Data()
        line.append(try encoder.encode(record))
        line.append(0x0A)
        try await backend.append(key, line)
        torn = false
        count = record.seq
        onDurable(record.seq)
        return record.seq
    }

    public func records() async throws -> [JournalRecord] { try await Self.records(backend: backend, key: key) }

    private var appending = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func takeTurn() async {
        guard appending else {
            appending = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func passTurn() {
        if waiting.isEmpty { appending = false } else { waiting.removeFirst().resume() }
    }

    /// Reads a journal. A line cut short by a crash mid-write (it does not end its JSON object) is
    /// skipped; any other bad line is an error.
    static func records(backend: any StateBackend, key: String) async throws -> [JournalRecord] {
        guard let data = try await backend.read(key) else { return [] }
        let decoder = JSONDecoder()
        // With milliseconds, or whole seconds as journals written before them have.
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text)"))
        }
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        var records: [JournalRecord] = []
        for (index, line) in lines.enumerated() {
            do {
                records.append(try decoder.decode(JournalRecord.self, from: Data(line)))
            } catch {
                if line.last != UInt8(ascii: "}") { continue }
                throw StateError(
                    backend: backend.location,
                    "\(key):\(index + 1): the journal line cannot be read; the journal is written by deployer only")
            }
        }
        return records
    }
}
