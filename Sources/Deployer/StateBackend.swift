public import Foundation

/// Where an environment's deploy state lives — its lock, journals, audit log, the versions deployer
/// put on its targets, a pending abort request — as a handful of named objects. Every machine that
/// reaches the same backend sees the same state. Implementations: a directory of this machine, a
/// directory on a host of the environment over SSH; the lock, journal, audit log and versions are
/// built on these operations alone (`StateStore`), so each backend is a small adapter that passes one
/// contract suite.
///
/// Keys are relative paths of `[A-Za-z0-9._-]` segments (`lock.json`, `journal/ID.jsonl`).
public protocol StateBackend: Sendable {
    /// Where the state is, for people: a path, `ssh://lb-1/var/lib/deployer/production`.
    var location: String { get }

    /// Whether other machines see this state; false for a directory of this machine.
    var isShared: Bool { get }

    /// The object's bytes, or nil when there is none. Changes nothing.
    func read(_ key: String) async throws -> Data?

    /// Creates the object with `data` if there is none, atomically. Returns false, changing nothing,
    /// when it exists. Durable when it returns true.
    func create(_ key: String, _ data: Data) async throws -> Bool

    /// Replaces the object by `data` only while its bytes are still `expected`, atomically. Returns
    /// false, changing nothing, when they are not (or it is gone). Durable when it returns true.
    func replace(_ key: String, _ data: Data, expected: Data) async throws -> Bool

    /// Removes the object only while its bytes are still `expected`. Returns false, changing nothing,
    /// otherwise.
    func delete(_ key: String, expected: Data) async throws -> Bool

    /// Appends `data` to the object, creating it when there is none. When it returns, the bytes are
    /// durable (fsync'd) and every reader sees them; on failure, at most a cut-short tail was written.
    func append(_ key: String, _ data: Data) async throws

    /// The keys directly under `prefix` (a directory such as `journal/`), sorted. Changes nothing.
    func list(_ prefix: String) async throws -> [String]

    /// The greatest name in `folder`, as `list` would show it; nil when it is empty. Changes nothing.
    func newest(in folder: String) async throws -> String?

    /// Reads `keys`, every object in `folders` and the newest object of each of `newestIn` together,
    /// in one request where the backend can (`StateSnapshot`). Changes nothing.
    func snapshot(keys: [String], folders: [String], newestIn newestFolders: [String]) async throws -> StateSnapshot

    /// Whether the object is still under the backend's own guard — a blob's lease — that no one but
    /// deployer can lift. False when someone broke it, so the command holding the lock must stop.
    /// Backends without such a guard answer true.
    func isProtected(_ key: String) async throws -> Bool

    /// When the heartbeat object `key` expired by itself, for a backend whose heartbeats do (etcd: each
    /// is bound to a lease its holder renews with every beat, so a holder that stops beating is known
    /// gone when the lease runs out); nil while it lives, when it never beat or was ended, and for
    /// backends whose heartbeats never expire (their age tells instead). Changes nothing.
    func heartbeatExpiry(_ key: String) async throws -> Date?
}

/// A state backend that cannot be reached or refuses an operation: always fatal to the command
/// (state that cannot be read or written is never guessed).
public struct StateError: Error, CustomStringConvertible, Sendable {
    public var backend: String
    public var message: String

    public init(backend: String, _ message: String) {
        self.backend = backend
        self.message = message
    }

    public var description: String { "deploy state at \(backend): \(message)" }
}

extension StateBackend {
    public func isProtected(_ key: String) async throws -> Bool { true }

    public func heartbeatExpiry(_ key: String) async throws -> Date? { nil }

    public func newest(in folder: String) async throws -> String? { try await list(folder).max() }

    /// Checks that `key` is a relative path of safe segments (never `..`, never absolute).
    public func checkKey(_ key: String) throws {
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        let valid = !segments.isEmpty && segments.allSatisfy { segment in
            !segment.isEmpty && segment != "." && segment != ".."
                && segment.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
        }
        guard valid else { throw StateError(backend: location, "`\(key)` is not a state key") }
    }
}

/// A state backend in memory: the reference the contract suite runs first, and a double for tests.
public actor InMemoryStateBackend: StateBackend {
    private var objects: [String: Data] = [:]

    public nonisolated let location = "memory"
    public nonisolated let isShared = true

    public init() {}

    public func read(_ key: String) throws -> Data? {
        try checkKey(key)
        return objects[key]
    }

    public func create(_ key: String, _ data: Data) throws -> Bool {
        try checkKey(key)
        guard objects[key] == nil else { return false }
        objects[key] = data
        return true
    }

    public func replace(_ key: String, _ data: Data, expected: Data) throws -> Bool {
        try checkKey(key)
        guard objects[key] == expected else { return false }
        objects[key] = data
        return true
    }

    public func delete(_ key: String, expected: Data) throws -> Bool {
        try checkKey(key)
        guard objects[key] == expected else { return false }
        objects[key] = nil
        return true
    }

    public func append(_ key: String, _ data: Data) throws {
        try checkKey(key)
        objects[key, default: Data()].append(data)
    }

    public func list(_ prefix: String) throws -> [String] {
        let directory = prefix.hasSuffix("/") ? prefix : prefix + "/"
        return objects.keys.filter { $0.hasPrefix(directory) && !$0.dropFirst(directory.count).contains("/") }
            .map { String($0.dropFirst(directory.count)) }.sorted()
    }
}
