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

/// The real-world compose files of the shared corpus (public projects, each valid for compose):
/// the checks must find no errors in any of them. Copies stay out of the repository, so the test
/// runs where the corpus is.
@Suite struct ComposeChecksCorpusTests {
    static let corpus = "/work/shared/corpus/manifests/compose"

    static var files: [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: corpus) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: corpus)))
    func realWorldComposeFilesHaveNoErrors() throws {
        let files = Self.files
        #expect(files.count >= 20)
        var warnings = 0
        for name in files {
            let path = "\(Self.corpus)/\(name)"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let diagnostics = ComposeCheckHarness.check(text, file: path, directory: (path as NSString).deletingLastPathComponent)
            let errors = diagnostics.filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(name):\n  \(errors.map(\.description).joined(separator: "\n  "))")
            warnings += diagnostics.count - errors.count
        }
        // The corpus holds unpinned images, plain-text passwords and files left out of it.
        #expect(warnings > 0)
    }
}
