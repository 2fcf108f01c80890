import Foundation
import Testing

@testable import Manifests

/// Helpers shared by the compose-check tests: a single file parsed and checked as a whole project.
enum ComposeCheckHarness {
    /// Every diagnostic of the YAML layer and of the compose checks for `text` written at `file`.
    static func check(_ text: String, file: String = "compose.yaml", directory: String = "/nonexistent-project") -> [Diagnostic] {
        let (root, parsed) = YAMLParser.parse(text, file: file)
        guard let root else { return parsed }
        let variables = scalarsWithVariables(root)
        let project = ComposeProject(root: root, files: [file], directory: directory, unresolved: variables, interpolated: variables)
        return parsed + ComposeChecks.check(project)
    }

    /// The places of scalars that still hold `$VAR` or `${…}` (the file was not interpolated): their
    /// values are unknown, so checks skip them as they skip values built from unset variables.
    static func scalarsWithVariables(_ node: YAMLNode) -> Set<Manifests.SourceLocation> {
        switch node.content {
        case .scalar(let scalar):
            return scalar.text.contains("$") ? [node.location] : []
        case .sequence(let items):
            return items.reduce(into: []) { $0.formUnion(scalarsWithVariables($1)) }
        case .mapping(let pairs):
            return pairs.reduce(into: []) { $0.formUnion(scalarsWithVariables($1.value)) }
        }
    }

    /// `line:column rule` of each diagnostic, sorted.
    static func places(_ diagnostics: [Diagnostic]) -> [String] {
        Diagnostic.ordered(diagnostics).map { "\($0.location.map { "\($0.line):\($0.column)" } ?? "-") \($0.rule ?? "")" }
    }
}
