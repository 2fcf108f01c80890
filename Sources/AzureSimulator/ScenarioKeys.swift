import Foundation
import JSONDocument

/// The scenario schema's key names, so that a typo is reported instead of silently ignored, and
/// the parsing helpers the scenario's decoders share.
enum ScenarioKeys {
    private static let top: Set<String> = [
        "subscription", "tenant", "location", "credentials", "timing", "page-size", "scale-sets", "gateways", "faults",
        "storage-accounts",
    ]
    private static let sections: [String: Set<String>] = [
        "credentials": ["client-id", "client-secret"],
        "timing": [
            "mode", "polls", "retry-after", "extension-update", "manual-upgrade", "gateway-update", "health-settle",
            "token-lifetime",
        ],
        "scale-sets": [
            "resource-group", "name", "capacity", "upgrade-mode", "orchestration", "subnet", "health-extension",
            "gateway-pool-by-nic", "extension", "rolling-upgrade", "tags",
        ],
        "extension": ["name", "type", "publisher", "version", "force-update-tag", "command"],
        "gateways": ["resource-group", "name", "drain-timeout", "concurrent-put", "pools", "traffic"],
        "traffic": ["requests-per-second", "response-time", "faulty-error-rate"],
        "pools": ["name", "from-scale-set", "addresses"],
        "faults": FaultSpec.keys,
        "storage-accounts": ["resource-group", "name", "containers"],
    ]

    /// The first key the schema does not know, as a message naming where it is and what is allowed.
    static func unknownKey(in tree: Any) -> String? {
        guard let root = tree as? [AnyHashable: Any] else { return "the scenario must be a mapping of keys (subscription, scale-sets, …)" }
        return check(root, allowed: top, path: "")
    }

    private static func check(_ mapping: [AnyHashable: Any], allowed: Set<String>, path: String) -> String? {
        for key in mapping.keys.compactMap({ $0 as? String }).sorted() {
            let here = path.isEmpty ? key : path + "." + key
            guard allowed.contains(key) else {
                return "\(here): unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))"
            }
            // Tags are free-form; everything else below the top level has a fixed set of keys.
            guard key != "tags", let children = sections[key] else { continue }
            if let nested = mapping[key] as? [AnyHashable: Any] {
                if let problem = check(nested, allowed: children, path: here) { return problem }
            } else if let items = mapping[key] as? [Any] {
                for (index, item) in items.enumerated() {
                    guard let nested = item as? [AnyHashable: Any] else { continue }
                    if let problem = check(nested, allowed: children, path: "\(here)[\(index)]") { return problem }
                }
            }
        }
        return nil
    }

    /// A decoding error as `key.path: what was wrong`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text.isEmpty ? "the scenario" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required key is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(describe(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(describe(type)), found nothing"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "a mapping" }
            return "a value of the documented form"
        }
    }

    /// Seconds from `500ms`, `2s`, `1m`, `1h` or a bare number of seconds.
    static func seconds(_ text: String) -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let value = Double(trimmed.dropLast(suffix.count)), value >= 0 else { return nil }
            return value * factor
        }
        guard let value = Double(trimmed), value >= 0 else { return nil }
        return value
    }
}
