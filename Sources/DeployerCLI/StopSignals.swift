import Deployer
import Dispatch
import Foundation
import Manifests
import Synchronization

/// SIGINT, SIGTERM and SIGHUP during a deploy or resume: the first means "stop safely", a second (or
/// the end of the grace period) quits at once, naming every target left out of service.
///
/// Stopping safely: no new target is started; a target that has not reached its update is put back
/// where it was; a target whose update has begun finishes it, is verified and restored. CI systems
/// cancel a job with SIGINT or SIGTERM and kill it some seconds later (GitHub Actions: SIGINT, SIGTERM
/// 7.5 s later, SIGKILL 2.5 s after that), so the default grace period ends before their second signal.
final class StopSignals {
    static let signals: [(number: Int32, name: String)] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")]

    private let sources: [any DispatchSourceSignal]
    private let state = State()

    /// How many signals came, and the quit scheduled for the end of the grace period.
    private final class State: @unchecked Sendable {
        // Safe: every access holds `lock`.
        private let lock = NSLock()
        private var count = 0
        private var deadline: DispatchWorkItem?
        private var onQuit: @Sendable () -> Void = {}

        func signalled() -> Int { lock.withLock { count += 1; return count } }
        func schedule(_ item: DispatchWorkItem) { lock.withLock { deadline = item } }
        func cancel() { lock.withLock { deadline?.cancel() } }
        func setOnQuit(_ body: @escaping @Sendable () -> Void) { lock.withLock { onQuit = body } }
        var quitAction: @Sendable () -> Void { lock.withLock { onQuit } }
    }

    /// Installs the handlers for one command run; `cancel()` removes them.
    init(_ control: DeployControl, board: FlightBoard, environment: String, grace: Duration) {
        let state = self.state
        let quit: @Sendable (String) -> Never = { why in
            Console.error(board.quitMessage(why: why, environment: environment))
            state.quitAction()
            // _exit: other threads may be in the middle of an SSH or TLS call, which the clean-up of
            // exit() would pull the ground from under. Everything said so far is written unbuffered.
            _exit(ExitStatus.interrupted.rawValue)
        }
        sources = Self.signals.map { signalNumber, name in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                guard state.signalled() == 1 else { quit("\(name) again: quitting at once") }
                control.requestInterrupt()
                Console.error(
                    "\n\(name): stopping safely. No new target starts; targets not yet updated go back where they were; "
                        + "an update in progress is finished, verified and restored (for up to \(grace.manifestText)). "
                        + "Send it again to quit at once.")
                let item = DispatchWorkItem { quit("the grace period of \(grace.manifestText) is over: quitting") }
                state.schedule(item)
                DispatchQueue.global().asyncAfter(deadline: .now() + grace.seconds, execute: item)
            }
            source.resume()
            return source
        }
    }

    /// What to do before quitting at once (write the audit line), once there is something to say.
    func onQuit(_ body: @escaping @Sendable () -> Void) { state.setOnQuit(body) }

    func cancel() {
        sources.forEach { $0.cancel() }
        state.cancel()
    }
}

/// Passes every event on, and keeps which targets the deploy has out of service (started and not yet
/// back where they were), so that a process quitting early can name them.
final class FlightBoard: EventSink {
    private let inner: any EventSink
    /// Target → what it is doing, or why it was left out.
    private let out = Mutex<[TargetID: String]>([:])

    init(_ inner: any EventSink) { self.inner = inner }

    func emit(_ event: DeployEvent) {
        switch event {
        case .stepStarted(let target, let step, _):
            out.withLock { $0[target] = "during \(step.rawValue)" }
        case .targetFinished(let result):
            let why = result.message ?? result.outcome.rawValue
            out.withLock { $0[result.target] = result.restored ? nil : why }
        default:
            break
        }
        inner.emit(event)
    }

    /// The targets out of service, sorted, with what each was doing.
    var outOfService: [(target: TargetID, doing: String)] {
        out.withLock { $0.map { ($0.key, $0.value) } }.sorted { $0.target.rawValue < $1.target.rawValue }
    }

    func quitMessage(why: String, environment: String) -> String {
        let left = outOfService
        var lines = ["\(why)."]
        if left.isEmpty {
            lines.append("No target is out of service because of this deploy.")
        } else {
            lines.append("Left out of service (\(left.count)):")
            lines += left.map { "  \($0.target)  \($0.doing)" }
        }
        lines.append(
            "Run `deployer resume \(environment)` to carry on, or `deployer abort \(environment)` to put everything back.")
        return lines.joined(separator: "\n")
    }
}
