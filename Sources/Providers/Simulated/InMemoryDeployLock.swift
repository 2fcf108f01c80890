public import Deployer

/// A deploy lock held in memory: for tests and benchmarks inside one process.
public actor InMemoryDeployLock: DeployLock {
    private var holder: LockInfo?

    public init(holder: LockInfo? = nil) { self.holder = holder }

    public func acquire(_ info: LockInfo) async throws -> LockInfo? {
        if let holder { return holder }
        holder = info
        return nil
    }

    public func takeOver(from expected: LockInfo, to info: LockInfo) async throws -> Bool {
        guard holder == expected else { return false }
        holder = info
        return true
    }

    public func release(_ info: LockInfo) async throws {
        if holder == info { holder = nil }
    }

    public func current() async throws -> LockInfo? { holder }
}
