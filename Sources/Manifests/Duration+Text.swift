import Foundation

/// Durations in manifests are written `500ms`, `30s`, `2m`, `1h`, `1m30s`, or as a bare number of seconds.
extension Duration {
    /// Parses a manifest duration; returns nil when the text is not one.
    public init?(manifestText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // About 292 million years: anything longer does not fit in milliseconds and is no duration.
        let limit = Double(Int64.max) / 2
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite {
            guard seconds * 1000 < limit else { return nil }
            self = .milliseconds(Int64((seconds * 1000).rounded()))
            return
        }
        var total: Int64 = 0
        var number = ""
        var unit = ""
        var sawAny = false
        func flush() -> Bool {
            guard let value = Double(number), value >= 0 else { return false }
            let factor: Double
            switch unit {
            case "ms": factor = 1
            case "s": factor = 1000
            case "m": factor = 60_000
            case "h": factor = 3_600_000
            default: return false
            }
            guard value.isFinite, value * factor < limit else { return false }
            let (sum, overflow) = total.addingReportingOverflow(Int64((value * factor).rounded()))
            guard !overflow else { return false }
            total = sum
            number = ""
            unit = ""
            sawAny = true
            return true
        }
        for character in trimmed {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !number.isEmpty, !unit.isEmpty, flush(), sawAny else { return nil }
        self = .milliseconds(total)
    }

    /// The duration as a manifest would write it: `2m`, `30s`, `1.5s`, `250ms`.
    public var manifestText: String {
        let ms = self.milliseconds
        if ms % 3_600_000 == 0, ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0, ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        if ms > 1000 { return "\(Double(ms) / 1000)s" }
        return "\(ms)ms"
    }

    /// Whole milliseconds (sub-millisecond parts are dropped).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a floating-point number.
    public var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

