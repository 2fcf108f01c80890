public import Foundation

/// Objects of a deploy state read together, at one moment, in as few round trips as the backend
/// allows (etcd: one transaction): what `deployer status` shows of an environment.
public struct StateSnapshot: Sendable {
    /// The objects asked for by key: present here, or known absent.
    public var keys: Set<String>
    /// The folders whose every object was read.
    public var folders: Set<String>
    /// The folders whose newest object (by name) was read.
    public var newestFolders: Set<String>
    /// The objects read, by key; an object asked for and absent is not here.
    public var objects: [String: Data] = [:]
    /// Folder → names in it, for `folders`.
    public var listings: [String: [String]] = [:]
    /// Folder → its newest object's name, for `newestFolders` that are not empty.
    public var newest: [String: String] = [:]
    /// Whether `expiries` answers for the heartbeats in `folders` (the backend read them too).
    public var expiriesRead = false
    /// Heartbeat key → when its lease ran out, for heartbeats that expired by themselves.
    public var expiries: [String: Date] = [:]

    public init(keys: [String], folders: [String], newestIn newestFolders: [String]) {
        self.keys = Set(keys)
        self.folders = Set(folders)
        self.newestFolders = Set(newestFolders)
    }

    /// Whether the snapshot knows the object at `key` (or that there is none).
    func covers(_ key: String) -> Bool {
        if keys.contains(key) { return true }
        let folder = Self.folder(of: key)
        if folders.contains(folder) { return true }
        return newestFolders.contains(folder) && newest[folder].map { "\(folder)/\($0)" == key } ?? true
    }

    public static func folder(of key: String) -> String {
        guard let slash = key.lastIndex(of: "/") else { return "" }
        return String(key[..<slash])
    }
}

extension StateBackend {
    /// Reads `keys`, every object in `folders` and the newest object (by name) of `newestIn` together.
    /// This default reads them one by one; a backend that can read them in one request does.
    public func snapshot(keys: [String], folders: [String], newestIn newestFolders: [String]) async throws -> StateSnapshot {
        var snapshot = StateSnapshot(keys: keys, folders: folders, newestIn: newestFolders)
        for key in keys { snapshot.objects[key] = try await read(key) }
        for folder in folders {
            let names = try await list(folder)
            snapshot.listings[folder] = names
            for name in names { snapshot.objects["\(folder)/\(name)"] = try await read("\(folder)/\(name)") }
        }
        for folder in newestFolders {
            guard let name = try await newest(in: folder) else { continue }
            snapshot.newest[folder] = name
            snapshot.objects["\(folder)/\(name)"] = try await read("\(folder)/\(name)")
        }
        return snapshot
    }
}

/// A read-only view of a deploy state that answers from a snapshot what it holds, and asks the
/// backend for the rest. Every write is refused: what reads a snapshot changes nothing.
public struct SnapshotStateBackend: StateBackend {
    public let snapshot: StateSnapshot
    public let backend: any StateBackend

    public init(_ snapshot: StateSnapshot, of backend: any StateBackend) {
        self.snapshot = snapshot
        self.backend = backend
    }

    public var location: String { backend.location }
    public var isShared: Bool { backend.isShared }

    public func read(_ key: String) async throws -> Data? {
        guard snapshot.covers(key) else { return try await backend.read(key) }
        return snapshot.objects[key]
    }

    public func list(_ prefix: String) async throws -> [String] {
        let folder = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        if let names = snapshot.listings[folder] { return names }
        return try await backend.list(prefix)
    }

    public func newest(in folder: String) async throws -> String? {
        guard snapshot.newestFolders.contains(folder) else { return try await backend.newest(in: folder) }
        return snapshot.newest[folder]
    }

    public func heartbeatExpiry(_ key: String) async throws -> Date? {
        guard snapshot.expiriesRead, snapshot.folders.contains(StateSnapshot.folder(of: key)) else {
            return try await backend.heartbeatExpiry(key)
        }
        return snapshot.expiries[key]
    }

    public func isProtected(_ key: String) async throws -> Bool { try await backend.isProtected(key) }

    public func create(_ key: String, _ data: Data) async throws -> Bool { throw refusal(key) }
    public func replace(_ key: String, _ data: Data, expected: Data) async throws -> Bool { throw refusal(key) }
    public func delete(_ key: String, expected: Data) async throws -> Bool { throw refusal(key) }
    public func append(_ key: String, _ data: Data) async throws { throw refusal(key) }

    private func refusal(_ key: String) -> StateError {
        StateError(backend: location, "\(key) cannot be written through a snapshot of the state (it only reads)")
    }
}

extension StateStore {
    /// The same state, read at once for what `status` shows — the lock, the versions, the heartbeats
    /// and the newest journal — in one round trip where the backend can; anything else is read
    /// when asked. It only reads.
    public func snapshot() async throws -> StateStore {
        let snapshot = try await backend.snapshot(
            keys: [Self.lockKey, Self.versionsKey], folders: [Self.heartbeatFolder], newestIn: [Self.journalDirectory])
        return StateStore(SnapshotStateBackend(snapshot, of: backend))
    }
}
