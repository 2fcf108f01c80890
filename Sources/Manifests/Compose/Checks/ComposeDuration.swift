/// Durations as compose reads them (xhit/go-str2duration: Go's `time.ParseDuration` with days and
/// weeks): a sequence of decimal numbers, each with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`,
/// `d`, `w`), such as `1m30s`, `10s`, `1.5h`, `500ms`, `1d12h`; a bare `0` is allowed.
enum ComposeDuration {
    static let units = ["ns", "us", "µs", "μs", "ms", "s", "m", "h", "d", "w"]

    /// The duration in seconds, or nil when the text is not a Go duration.
    static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCIIDigit || $0 == "." }
            guard number.contains(where: \.isASCIIDigit), number.filter({ $0 == "." }).count <= 1,
                let value = Double((number.hasPrefix(".") ? "0" : "") + number + (number.hasSuffix(".") ? "0" : ""))
            else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isASCIIDigit && $0 != "." }
            guard let factor = factor(String(unit)) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        return sign * total
    }

    private static func factor(_ unit: String) -> Double? {
        switch unit {
        case "ns": return 1e-9
        case "us", "µs", "μs": return 1e-6
        case "ms": return 1e-3
        case "s": return 1
        case "m": return 60
        case "h": return 3600
        case "d": return 86400
        case "w": return 604_800
        default: return nil
        }
    }
}
