public import Deployer
public import Foundation
import Manifests
import Synchronization

/// A clock whose sleeps return at once and move time forward, so that minutes of draining run in
/// microseconds. Time only moves forward; concurrent sleepers each advance it.
public final class VirtualClock: DeployClock {
    private let current: Mutex<Date>

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.current = Mutex(start)
    }

    public func now() -> Date { current.withLock { $0 } }

    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        current.withLock { $0 = $0.addingTimeInterval(duration.seconds) }
        await Task.yield()
    }
}
