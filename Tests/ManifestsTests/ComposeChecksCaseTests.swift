import Foundation
import Testing

@testable import Manifests

/// The `compose-check-*` cases of the rule corpus, run through the compose checks directly: each is a
/// single-file project (`compose.yaml`) with nothing to interpolate, so its findings are exactly those
/// of the YAML layer and the checks. `RuleCaseTests` runs the same cases through `deployer validate`.
@Suite struct ComposeChecksCaseTests {
    static var cases: [String] {
        RuleCaseTests.cases.filter { $0.hasPrefix("compose-check-") }
    }

    @Test func thereAreCasesForEveryCheckRule() {
        let covered = Set(Self.cases.flatMap { RuleCaseTests.expected($0) }.compactMap { line -> String? in
            guard let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        })
        let missing = RuleCatalog.composeChecks.map(\.id).filter { !covered.contains($0) }
        #expect(missing.isEmpty, "rules without a compose-check case: \(missing)")
        #expect(Self.cases.contains { RuleCaseTests.expected($0).isEmpty }, "no valid case")
    }

    @Test(arguments: cases)
    func caseFindsExactlyWhatItExpects(_ name: String) throws {
        let directory = "\(RuleCaseTests.root)/\(name)"
        let file = "\(directory)/compose.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let (root, parsed) = YAMLParser.parse(text, file: file)
        let tree = try #require(root)
        let diagnostics = parsed + ComposeChecks.check(ComposeProject(root: tree, files: [file], directory: directory))
        let found = diagnostics.map { RuleCaseTests.line($0, in: name) }.sorted()
        #expect(
            found == RuleCaseTests.expected(name),
            "\(name):\n  \(Diagnostic.ordered(diagnostics).map(\.description).joined(separator: "\n  "))")
    }
}
