import JSONDocument
import Dispatch

/// Runs the simulator's tasks on a dispatch queue of their own instead of Swift's cooperative pool.
/// The pool has one thread per core (two here); a test process full of tests that block their thread
/// while a child process runs can hold all of them, and a server on that pool would then not answer.
final class DispatchTaskExecutor: TaskExecutor, @unchecked Sendable {
    // Serial: libdispatch gives a serial queue a thread of its own even when the CPU-wide pool is full
    // (a concurrent queue would share that pool's limit with the cooperative threads). The simulator's
    // work never blocks (a `delay` fault suspends), so one thread is enough. Dispatch queues are
    // thread-safe; nothing else is stored.
    private let queue = DispatchQueue(label: "deployer-arm-simulator")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
