import Deployer
import Foundation
import Manifests
import Synchronization

/// Picks the renderer for where output goes: a live view on a terminal, plain lines otherwise, JSON
/// lines with `--output json`.
enum Renderers {
    static func make(_ options: OutputOptions) -> any EventSink {
        switch options.format {
        case .json: return JSONLinesRenderer()
        case .azurePipelines: return CIRenderer(.azurePipelines)
        case .github: return CIRenderer(.github)
        case .text:
            if Console.stdoutIsTerminal, !options.plain, ProcessInfo.processInfo.environment["TERM"] != "dumb" {
                return LiveRenderer(color: Console.colorAllowed)
            }
            return PlainRenderer()
        }
    }
}

/// One line per step, prefixed by the time since the start: for CI logs and pipes.
final class PlainRenderer: EventSink {
    private struct State {
        var lastWait: [TargetID: Date] = [:]
    }
    private let state = Mutex(State())
    private let started = Date()

    func emit(_ event: DeployEvent) {
        guard let line = line(for: event) else { return }
        let elapsed = String(format: "%7.1fs", Date().timeIntervalSince(started))
        Console.out("\(elapsed)  \(line)")
    }

    private func line(for event: DeployEvent) -> String? {
        switch event {
        case .planned(let plan):
            return "plan: \(plan.deployOrder.count) target(s) in \(plan.batches.count) batch(es) to \(plan.version)"
        case .lockAcquired(let holder):
            return "lock taken by \(holder.user)@\(holder.host)"
        case .batchStarted(let index, let count, let targets):
            return "batch \(index)/\(count): \(targets.map(\.rawValue).joined(separator: ", "))"
        case .stepStarted:
            return nil
        case .waiting(let target, _, let waitingFor, let elapsed, let timeout, let detail):
            let now = Date()
            let due = state.withLock { state -> Bool in
                if let last = state.lastWait[target], now.timeIntervalSince(last) < 5 { return false }
                state.lastWait[target] = now
                return true
            }
            guard due else { return nil }
            _ = target
            return "waiting for \(waitingFor) (\(Int(elapsed.seconds)) s of \(Int(timeout.seconds)) s, \(detail))"
        case .stepFinished(let target, let step, let pool, let ok, let elapsed, let message):
            let on = pool.map { " \($0)" } ?? ""
            let note = message.map { ": \($0)" } ?? ""
            return "\(target)  \(step.rawValue)\(on) \(ok ? "ok" : "FAILED") (\(Format.seconds(elapsed.seconds)))\(note)"
        case .targetFinished(let result):
            return "\(result.target)  \(Format.outcome(result))"
        case .batchFinished:
            return nil
        case .pausing(let duration):
            return "pausing \(duration.manifestText) before the next batch"
        case .canaryStarted(let targets, let baseline, let bake):
            return CanaryText.started(targets, baseline: baseline, bake: bake)
        case .canarySample(let sample):
            return CanaryText.sample(sample)
        case .canaryFinished(let verdict):
            return CanaryText.verdict(verdict)
        case .notice(let notice):
            return "\(notice.level == .warning ? "warning: " : "")\(notice.message)"
        case .output(let target, let line):
            return "\(target) | \(line)"
        case .finished:
            return nil
        }
    }
}

/// A live view for a terminal: one line per target of the batch in flight, redrawn in place, with
/// every finished target and notice kept above it.
final class LiveRenderer: EventSink {
    private struct Row {
        var status: String
        var started: Date
        var done = false
    }
    private struct State {
        var header = ""
        var rows: [(TargetID, Row)] = []
        var drawn = 0
        var lastDraw = Date.distantPast
    }
    private let state = Mutex(State())
    private let color: Bool

    init(color: Bool) { self.color = color }

    func emit(_ event: DeployEvent) {
        state.withLock { state in
            var permanent: [String] = []
            var force = true
            switch event {
            case .planned(let plan):
                state.header = "\(plan.environment) → \(plan.version): \(plan.deployOrder.count) target(s), \(plan.batches.count) batch(es)"
                permanent.append(paint(state.header, "1"))
            case .lockAcquired:
                force = false
            case .batchStarted(let index, let count, let targets):
                permanent.append(paint("batch \(index)/\(count): \(targets.map(\.rawValue).joined(separator: ", "))", "1"))
                state.rows = targets.map { ($0, Row(status: "queued", started: Date())) }
            case .stepStarted(let target, let step, let pool):
                update(&state, target) { $0.status = step.rawValue + (pool.map { " \($0)" } ?? "") }
            case .waiting(let target, _, let waitingFor, let elapsed, let timeout, let detail):
                update(&state, target) {
                    $0.status = "waiting for \(waitingFor) (\(Int(elapsed.seconds)) s of \(Int(timeout.seconds)) s, \(detail))"
                }
                force = false
            case .stepFinished(let target, let step, let pool, let ok, _, let message):
                if !ok {
                    permanent.append(paint("  ✖ \(target) \(step.rawValue)\(pool.map { " \($0)" } ?? ""): \(message ?? "failed")", "31"))
                }
                force = false
            case .targetFinished(let result):
                update(&state, result.target) {
                    $0.done = true
                    $0.status = Format.outcome(result)
                }
                let mark = result.outcome == .updated || result.outcome == .aborted ? paint("✔", "32") : paint("✖", "31")
                permanent.append("  \(mark) \(Format.pad(result.target.rawValue, 14)) \(Format.outcome(result))")
            case .batchFinished:
                state.rows.removeAll()
            case .pausing(let duration):
                permanent.append(paint("  pausing \(duration.manifestText)", "2"))
            case .canaryStarted(let targets, let baseline, let bake):
                permanent.append(paint(CanaryText.started(targets, baseline: baseline, bake: bake), "1"))
            case .canarySample(let sample):
                permanent.append(paint("  " + CanaryText.sample(sample), sample.verdict == .failing ? "31" : "2"))
            case .canaryFinished(let verdict):
                permanent.append(paint(CanaryText.verdict(verdict), verdict.passed ? "32" : "31;1"))
            case .notice(let notice):
                permanent.append(notice.level == .warning ? paint("warning: \(notice.message)", "33") : notice.message)
            case .output(let target, let line):
                permanent.append(paint("  \(target.rawValue) | ", "2") + line)
            case .finished:
                state.rows.removeAll()
            }
            let now = Date()
            guard force || !permanent.isEmpty || now.timeIntervalSince(state.lastDraw) > 0.1 else { return }
            state.lastDraw = now
            draw(&state, permanent: permanent, now: now)
        }
    }

    private func update(_ state: inout State, _ target: TargetID, _ change: (inout Row) -> Void) {
        guard let index = state.rows.firstIndex(where: { $0.0 == target }) else { return }
        change(&state.rows[index].1)
    }

    private func draw(_ state: inout State, permanent: [String], now: Date) {
        var out = ""
        if state.drawn > 0 { out += "\u{1B}[\(state.drawn)A\r\u{1B}[J" }
        for line in permanent { out += line + "\n" }
        let live = state.rows.filter { !$0.1.done }
        var lines: [String] = []
        if !live.isEmpty {
            let width = Int(Terminal.columns)
            for (target, row) in live {
                let elapsed = Format.seconds(now.timeIntervalSince(row.started))
                let spinner = ["◐", "◓", "◑", "◒"][Int(now.timeIntervalSince1970 * 4) % 4]
                let line = "  \(paint(spinner, "36")) \(Format.pad(target.rawValue, 14)) \(Format.pad(elapsed, 7)) \(row.status)"
                lines.append(String(line.prefix(width + (color ? 9 : 0))))
            }
        }
        for line in lines { out += line + "\n" }
        state.drawn = lines.count
        try? FileHandle.standardOutput.write(contentsOf: Data(out.utf8))
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

/// One JSON object per line and per event, for CI.
final class JSONLinesRenderer: EventSink {
    private let lock = Mutex(())

    func emit(_ event: DeployEvent) {
        var object: [String: Any] = ["at": Date().formatted(.iso8601)]
        switch event {
        case .planned(let plan):
            object["event"] = "planned"
            object["plan"] = JSONText.object(plan)
        case .lockAcquired(let holder):
            object["event"] = "lock-acquired"
            object["holder"] = "\(holder.user)@\(holder.host)"
        case .batchStarted(let index, let count, let targets):
            object.merge(["event": "batch-started", "batch": index, "batches": count, "targets": targets.map(\.rawValue)]) { $1 }
        case .stepStarted(let target, let step, let pool):
            object.merge(["event": "step-started", "target": target.rawValue, "step": step.rawValue]) { $1 }
            if let pool { object["pool"] = pool.rawValue }
        case .waiting(let target, let step, let waitingFor, let elapsed, let timeout, let detail):
            object.merge([
                "event": "waiting", "target": target.rawValue, "step": step.rawValue, "waiting_for": waitingFor,
                "elapsed_s": elapsed.seconds, "timeout_s": timeout.seconds, "detail": detail,
            ]) { $1 }
        case .stepFinished(let target, let step, let pool, let ok, let elapsed, let message):
            object.merge([
                "event": "step-finished", "target": target.rawValue, "step": step.rawValue, "ok": ok,
                "elapsed_s": elapsed.seconds,
            ]) { $1 }
            if let pool { object["pool"] = pool.rawValue }
            if let message { object["message"] = message }
        case .targetFinished(let result):
            object["event"] = "target-finished"
            object["result"] = JSONText.object(result)
        case .batchFinished(let index):
            object.merge(["event": "batch-finished", "batch": index]) { $1 }
        case .pausing(let duration):
            object.merge(["event": "pausing", "seconds": duration.seconds]) { $1 }
        case .canaryStarted(let targets, let baseline, let bake):
            object.merge([
                "event": "canary-started", "targets": targets.map(\.rawValue), "baseline": baseline.map(\.rawValue),
                "bake_s": bake.seconds,
            ]) { $1 }
        case .canarySample(let sample):
            object["event"] = "canary-sample"
            object["sample"] = JSONText.object(sample)
        case .canaryFinished(let verdict):
            object["event"] = "canary-finished"
            object["verdict"] = JSONText.object(verdict)
        case .notice(let notice):
            object.merge(["event": "notice", "level": notice.level.rawValue, "message": notice.message]) { $1 }
        case .output(let target, let line):
            object.merge(["event": "output", "target": target.rawValue, "line": line]) { $1 }
        case .finished(let summary):
            object["event"] = "finished"
            object["summary"] = JSONText.object(summary)
        }
        let line = JSONText.line(object)
        lock.withLock { _ in Console.out(line) }
    }
}

enum JSONText {
    static func object<T: Encodable>(_ value: T) -> Any {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value), let object = try? JSONSerialization.jsonObject(with: data) else {
            return NSNull()
        }
        return object
    }

    static func line(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func pretty<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

enum Terminal {
    static var columns: UInt16 {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 20 { return size.ws_col }
        return 100
    }
}

enum Format {
    /// `text` padded with spaces to `width`; longer text is kept whole.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Rows as aligned columns (each as wide as its widest cell, never cut), indented by `indent`.
    static func table(_ rows: [[String]], indent: String = "  ") -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = indent + row.indices.map { pad(row[$0], widths[$0]) }
                .joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    static func seconds(_ value: Double) -> String {
        if value < 60 { return String(format: "%.1fs", value) }
        return String(format: "%dm%02ds", Int(value) / 60, Int(value) % 60)
    }

    static func outcome(_ result: TargetResult) -> String {
        let time = seconds(result.seconds)
        switch result.outcome {
        case .updated:
            return "updated \(result.fromVersion ?? "?") → \(result.version ?? "?") in \(time)"
        case .rolledBack:
            return "rolled back to \(result.version ?? "?") in \(time)"
        case .aborted:
            return "put back on \(result.version ?? "?") (aborted)"
        case .interrupted where result.restored:
            return "interrupted before its update: put back on \(result.version ?? "?"), not deployed"
        case .interrupted:
            return "interrupted, OUT OF SERVICE on \(result.version ?? "?"): \(result.message ?? "")"
        case .failed:
            let state = result.restored ? "put back" : "OUT OF SERVICE"
            return "FAILED after \(time), \(state): \(result.message ?? "")"
        }
    }
}

/// How the canary's bake reads in the plain and live views.
enum CanaryText {
    static func started(_ targets: [TargetID], baseline: [TargetID], bake: Duration) -> String {
        "canary \(targets.map(\.rawValue).joined(separator: ", ")): baking \(bake.manifestText), judged against "
            + (baseline.isEmpty ? "the thresholds alone (no baseline left)" : "\(baseline.count) baseline target(s)")
    }

    static func sample(_ sample: CanarySample) -> String {
        func window(_ w: TrafficWindow) -> String {
            "\(w.requests) req, \(String(format: "%.1f", w.errorRate * 100))% errors"
                + (w.responseMilliseconds.map { ", \(Int($0.rounded())) ms" } ?? "")
        }
        let verdict =
            switch sample.verdict {
            case .notEnoughRequests: "waiting for traffic"
            case .healthy: "healthy"
            case .failing: "FAILING"
            }
        return "canary sample at \(Int(sample.elapsed.rounded())) s: canary \(window(sample.canary)); baseline \(window(sample.baseline)) — \(verdict)"
    }

    static func verdict(_ verdict: CanaryVerdict) -> String {
        verdict.passed ? "canary passed: \(verdict.reason)" : "canary FAILED: \(verdict.reason); rolling it back"
    }
}
