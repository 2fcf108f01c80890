import ArgumentParser
import Foundation

/// A duration on the command line: `500ms`, `30s`, `2m`, `1h`, `1m30s`, or bare seconds.
struct LabDuration: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    let milliseconds: Int

    init(milliseconds: Int) {
        self.milliseconds = milliseconds
    }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text) {
            guard seconds >= 0, seconds.isFinite else { return nil }
            self.milliseconds = Int((seconds * 1000).rounded())
            return
        }
        var total = 0.0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            let factors: [String: Double] = ["ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000]
            guard let value = Double(number), let factor = factors[unit] else { return false }
            total += value * factor
            number = ""
            unit = ""
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter, !number.isEmpty {
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !number.isEmpty, flush(), total.isFinite, total < 1e12 else { return nil }
        self.milliseconds = Int(total.rounded())
    }

    var duration: Duration { .milliseconds(milliseconds) }

    var description: String {
        if milliseconds % 60_000 == 0, milliseconds > 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }

    var defaultValueDescription: String { description }
}

extension Duration {
    /// Whole milliseconds, for poll(2) timeouts and reports.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    /// Seconds as a Double, for `0.41 s` style reports.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension ContinuousClock.Instant {
    /// Milliseconds left until this deadline, never negative; for poll(2).
    var millisecondsLeft: Int32 {
        let left = (self - ContinuousClock.now).wholeMilliseconds
        return Int32(clamping: max(0, left))
    }

    var hasPassed: Bool { ContinuousClock.now >= self }
}
