/// A number of targets, given either as a count or as a percentage of a fleet.
public enum Quantity: Sendable, Hashable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// How a percentage that does not land on a whole number is rounded.
    public enum Rounding: Sendable {
        /// Round up, and never below one: batch sizes and max-unavailable, so that a small fleet can
        /// still be rolled one target at a time.
        case upAtLeastOne
        /// Round down: floors (min-in-service), so that a percentage never demands more than it says.
        case down
    }

    /// The absolute number this quantity stands for in a fleet of `total` targets.
    public func resolve(of total: Int, rounding: Rounding) -> Int {
        switch self {
        case .count(let n):
            return n
        case .percent(let p):
            let exact = Double(total) * p / 100
            switch rounding {
            case .upAtLeastOne:
                return total == 0 ? 0 : max(1, Int(exact.rounded(.up)))
            case .down:
                return Int((exact + 1e-9).rounded(.down))
            }
        }
    }

    /// Parses `3` or `25%` as written on a command line or in a manifest, without range checks.
    public init?(text: String) {
        if let match = text.wholeMatch(of: /([0-9]+(?:\.[0-9]+)?)\s*%/), let percent = Double(match.output.1) {
            self = .percent(percent)
        } else if let count = Int(text) {
            self = .count(count)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .count(let n): return "\(n)"
        case .percent(let p):
            return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
        }
    }
}
