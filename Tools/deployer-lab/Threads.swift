import Glibc
import Synchronization

/// Set by the SIGINT/SIGTERM handler; polled by every long-running loop in the lab.
let terminationRequested = Atomic<Bool>(false)

/// The write end of a pipe the signal handler pokes so a poll(2) wakes at once (-1: none).
let terminationWakeFD = Atomic<Int32>(-1)

/// SIGINT/SIGTERM handling that only touches atomics and write(2), both async-signal-safe.
enum Signals {
    /// Installs the handler; with `wakePipe`, returns the read end that becomes readable on a signal.
    @discardableResult
    static func installTerminationHandler(wakePipe: Bool = false) throws(LabError) -> Int32? {
        // Initialise the globals here, never lazily inside the handler.
        _ = terminationRequested.load(ordering: .sequentiallyConsistent)
        var readEnd: Int32?
        if wakePipe {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw LabError.system("cannot create a pipe") }
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            terminationWakeFD.store(fds[1], ordering: .sequentiallyConsistent)
            readEnd = fds[0]
        } else {
            _ = terminationWakeFD.load(ordering: .sequentiallyConsistent)
        }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { _ in
                terminationRequested.store(true, ordering: .sequentiallyConsistent)
                let fd = terminationWakeFD.load(ordering: .sequentiallyConsistent)
                if fd >= 0 {
                    var byte: UInt8 = 1
                    _ = write(fd, &byte, 1)
                }
            }
        }
        return readEnd
    }

    static var requested: Bool { terminationRequested.load(ordering: .sequentiallyConsistent) }
}

/// The closure a new thread runs; passed through pthread_create's void pointer.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}

/// POSIX threads for the server's connections and the load generator's workers.
enum Threads {
    /// Starts a thread; join it with `join`, or pass `detached` to let it clean up after itself.
    static func start(detached: Bool = false, _ body: @escaping @Sendable () -> Void) throws(LabError) -> pthread_t {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, box)
        guard result == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw LabError.system("cannot start a thread", errno: result)
        }
        if detached { pthread_detach(thread) }
        return thread
    }

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }

    /// Sleeps the calling thread; used for the short poll intervals of bounded waits.
    static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR {
            request = remaining
        }
    }
}
