import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A simulated fleet's state in a JSON file, shared by every deployer process of the environment.
/// Writers take an exclusive `flock` on a side file and replace the state by rename, so a reader never
/// sees half a write.
///
/// The last state read or written is kept with the file's identity (inode, size, modification time to
/// the nanosecond): a read of an unchanged file decodes nothing, so a fleet of 1,000 targets is not
/// decoded again at every step of every target.
public struct SimulatedStore: Sendable {
    public let path: String
    private let cache = Cache()

    public init(path: String) { self.path = path }

    final class Cache: Sendable {
        struct Identity: Equatable {
            var inode: UInt64
            var size: Int64
            var seconds: Int
            var nanoseconds: Int
        }

        let entry = Mutex<(identity: Identity, state: SimulatedFleetState)?>(nil)
    }

    private func identity() -> Cache.Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Cache.Identity(
            inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
    }

    /// The stored state, or nil when the fleet was never created.
    public func read() throws -> SimulatedFleetState? {
        let before = identity()
        if let before, let cached = cache.entry.withLock({ $0 }), cached.identity == before { return cached.state }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let state: SimulatedFleetState
        do {
            state = try JSONDecoder.simulated.decode(SimulatedFleetState.self, from: data)
        } catch {
            throw SimulatedStoreError(message: "\(path): the simulated fleet's state cannot be read; remove the file to start a new fleet")
        }
        // Kept only when the file did not change while it was read (a rename replaces it whole).
        if let before, identity() == before { cache.entry.withLock { $0 = (before, state) } }
        return state
    }

    /// Creates the stored state unless it exists; returns what is stored.
    public func create(_ initial: SimulatedFleetState) throws -> SimulatedFleetState {
        try locked {
            if let existing = try read() { return existing }
            try write(initial)
            return initial
        }
    }

    /// Applies `change` to the stored state under the lock and stores the result.
    public func update(_ change: (inout SimulatedFleetState) throws -> Void) throws -> SimulatedFleetState {
        try locked {
            guard var state = try read() else {
                throw SimulatedStoreError(message: "\(path): the simulated fleet does not exist")
            }
            try change(&state)
            try write(state)
            return state
        }
    }

    private func write(_ state: SimulatedFleetState) throws {
        let data = try JSONEncoder.simulated.encode(state)
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw SimulatedStoreError(message: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            throw SimulatedStoreError(message: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
        if let written = identity() { cache.entry.withLock { $0 = (written, state) } }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SimulatedStoreError(message: "cannot open \(path).lock: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else {
            throw SimulatedStoreError(message: "cannot lock \(path).lock: \(String(cString: strerror(errno)))")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

public struct SimulatedStoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

extension JSONEncoder {
    static var simulated: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }
}

extension JSONDecoder {
    static var simulated: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
