/// One problem found in a manifest, with where it was written.
///
/// Printed as `file:line:column: error[rule]: message`, the form editors and CI annotate.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How bad a problem is: errors make a manifest unusable, warnings do not.
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    public var severity: Severity
    /// What is wrong, written for the person who has to fix it.
    public var message: String
    /// Where it was written, when that is known.
    public var location: SourceLocation?
    /// A stable kebab-case identifier of the check (`duplicate-key`, `unknown-key`, …).
    public var rule: String?

    public init(severity: Severity, message: String, location: SourceLocation?, rule: String? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
        self.rule = rule
    }

    /// An error diagnostic.
    public static func error(_ message: String, at location: SourceLocation?, rule: String? = nil) -> Diagnostic {
        Diagnostic(severity: .error, message: message, location: location, rule: rule)
    }

    /// A warning diagnostic.
    public static func warning(_ message: String, at location: SourceLocation?, rule: String? = nil) -> Diagnostic {
        Diagnostic(severity: .warning, message: message, location: location, rule: rule)
    }

    /// Whether the finding points at a secret written in plain text: its source line is never shown.
    var pointsAtSecret: Bool {
        rule?.contains("plaintext") ?? false
    }

    /// `severity[rule]`, or just the severity when there is no rule.
    var label: String {
        rule.map { "\(severity.rawValue)[\($0)]" } ?? severity.rawValue
    }

    public var description: String {
        if let location {
            return "\(location): \(label): \(message)"
        }
        return "\(label): \(message)"
    }

    /// Diagnostics in a stable order (file, line, column, then severity, rule and message), each once.
    public static func ordered(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        return unique.sorted(by: Diagnostic.precedes)
    }

    static func precedes(_ lhs: Diagnostic, _ rhs: Diagnostic) -> Bool {
        switch (lhs.location, rhs.location) {
        case (nil, .some): return true
        case (.some, nil): return false
        case let (.some(l), .some(r)) where l != r: return l < r
        default:
            if lhs.severity != rhs.severity { return lhs.severity == .error }
            if lhs.rule != rhs.rule { return (lhs.rule ?? "") < (rhs.rule ?? "") }
            return lhs.message < rhs.message
        }
    }
}

extension Array where Element == Diagnostic {
    /// Whether any of these is an error.
    public var containsErrors: Bool { contains { $0.severity == .error } }
}
