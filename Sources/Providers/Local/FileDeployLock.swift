public import Deployer
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A deploy lock kept as a file in the state directory. Every operation holds an exclusive `flock`
/// on a side file, so acquire, take-over and release are atomic between processes of this machine.
/// Operators on other machines do not see it: environments whose providers can hold a lock remotely
/// use that instead.
public struct FileDeployLock: DeployLock {
    public let path: String

    public init(path: String) { self.path = path }

    public func acquire(_ info: LockInfo) async throws -> LockInfo? {
        try locked {
            if let holder = try read() { return holder }
            try write(info)
            return nil
        }
    }

    public func takeOver(from expected: LockInfo, to info: LockInfo) async throws -> Bool {
        try locked {
            guard try read() == expected else { return false }
            try write(info)
            return true
        }
    }

    public func release(_ holder: LockInfo) async throws {
        try locked {
            guard try read() == holder else { return }
            guard unlink(path) == 0 || errno == ENOENT else {
                throw DeployerError("cannot remove the lock \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    public func current() async throws -> LockInfo? { try read() }

    private func read() throws -> LockInfo? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(LockInfo.self, from: data)
        } catch {
            throw DeployerError(
                "the lock file \(path) cannot be read",
                hint: "If no deploy is running, remove it with `deployer lock release --force`.")
        }
    }

    private func write(_ info: LockInfo) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(info)),
            rename(temporary, path) == 0
        else {
            throw DeployerError("cannot write the lock \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = open(path + ".guard", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DeployerError("cannot open \(path).guard: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else {
            throw DeployerError("cannot lock \(path).guard: \(String(cString: strerror(errno)))")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
