public import Deployer
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Deploy state in a directory of this machine (`state: {local: …}`, and the simulated environment's
/// default). Every create, replace and delete holds an exclusive `flock` on `.guard` in the directory,
/// so they are atomic between processes of this machine; writes go to a temporary file that is
/// fsync'd and renamed; appends are fsync'd. Other machines do not see it.
public struct LocalStateBackend: StateBackend {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public var location: String { directory }
    public var isShared: Bool { false }

    public func read(_ key: String) async throws -> Data? {
        try checkKey(key)
        return FileManager.default.contents(atPath: path(key))
    }

    public func create(_ key: String, _ data: Data) async throws -> Bool {
        try checkKey(key)
        return try guarded {
            guard !FileManager.default.fileExists(atPath: path(key)) else { return false }
            try store(data, at: key)
            return true
        }
    }

    public func replace(_ key: String, _ data: Data, expected: Data) async throws -> Bool {
        try checkKey(key)
        return try guarded {
            guard FileManager.default.contents(atPath: path(key)) == expected else { return false }
            try store(data, at: key)
            return true
        }
    }

    public func delete(_ key: String, expected: Data) async throws -> Bool {
        try checkKey(key)
        return try guarded {
            guard FileManager.default.contents(atPath: path(key)) == expected else { return false }
            guard unlink(path(key)) == 0 else { throw failure("cannot remove \(key)") }
            return true
        }
    }

    public func append(_ key: String, _ data: Data) async throws {
        try checkKey(key)
        try makeDirectory(for: key)
        let fd = open(path(key), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot open \(key)") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else { throw failure("cannot append to \(key)") }
    }

    public func list(_ prefix: String) async throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + prefix)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    // MARK: Files

    private func path(_ key: String) -> String { directory + "/" + key }

    private func failure(_ what: String) -> StateError {
        StateError(backend: location, "\(what): \(String(cString: strerror(errno)))")
    }

    private func makeDirectory(for key: String) throws {
        let parent = (path(key) as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw StateError(backend: location, "cannot create \(parent): \(error.localizedDescription)")
        }
    }

    /// Writes `data` to a temporary file, fsyncs it, renames it over `key` and fsyncs the directory.
    private func store(_ data: Data, at key: String) throws {
        try makeDirectory(for: key)
        let temporary = path(key) + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot write \(key)") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, path(key)) == 0 else {
            unlink(temporary)
            throw failure("cannot write \(key)")
        }
        let parent = open((path(key) as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if parent >= 0 {
            fsync(parent)
            close(parent)
        }
    }

    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StateError(backend: location, "cannot create the state directory: \(error.localizedDescription)")
        }
        let fd = open(directory + "/.guard", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot open .guard") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw failure("cannot lock .guard") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
