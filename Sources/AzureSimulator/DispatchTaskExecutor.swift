import Dispatch

/// Runs the simulator's tasks on a dispatch queue of their own instead of Swift's cooperative pool.
/// The pool has one thread per core (two here); a test process full of tests that block their thread
/// while a child process runs can hold all of them, and a server on that pool would then not answer.
final class DispatchTaskExecutor: TaskExecutor, @unchecked Sendable {
    // Concurrent, so a slow answer (a `delay` fault) never holds up the others. Dispatch queues are
    // thread-safe; nothing else is stored.
    private let queue = DispatchQueue(label: "deployer-arm-simulator", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
