/// A check that `deployer validate` runs, as `deployer validate --rules` lists it.
public struct Rule: Sendable, Hashable {
    /// Which kind of manifest a rule applies to.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Every YAML file, whatever it holds.
        case yaml
        /// deployer's own environment files (`inventories/*.yml` with `targets`).
        case environment
        case inventory
        case compose
        case helm
        case kong
    }

    /// The id printed in brackets after the severity (`error[duplicate-key]`).
    public var id: String
    /// The severity the rule reports with (a rule that can report both lists its usual one).
    public var severity: Diagnostic.Severity
    public var kind: Kind
    /// One line: what the rule catches.
    public var summary: String

    public init(_ id: String, _ severity: Diagnostic.Severity, _ kind: Kind, _ summary: String) {
        self.id = id
        self.severity = severity
        self.kind = kind
        self.summary = summary
    }
}

/// Every rule, by kind then id.
public enum RuleCatalog {
    public static var all: [Rule] {
        (core + compose + composeChecks + helm + kong).sorted {
            ($0.kind.sortKey, $0.id) < ($1.kind.sortKey, $1.id)
        }
    }

    /// The rule with this id, if there is one.
    public static func rule(_ id: String) -> Rule? {
        all.first { $0.id == id }
    }
}

extension Rule.Kind {
    var sortKey: Int { Rule.Kind.allCases.firstIndex(of: self) ?? 0 }
}
