import Foundation
import Testing

@testable import Manifests

/// The rule corpus: `Fixtures/rules/<case>/` holds manifest files and `expected.txt`, the exact
/// findings (`file:line:column: severity[rule]`, one per line; `#` starts a comment; none for a
/// valid case). `args.txt` (`-f a.yml -f b.yml`) validates those files as one compose project instead
/// of the whole directory; `paths.txt` (one per line) names the files to validate, as a user naming
/// them on the command line would; `env.txt` (`NAME=value` lines) is the environment interpolation sees.
@Suite struct RuleCaseTests {
    static let root = Bundle.module.url(forResource: "Fixtures/rules", withExtension: nil)!.path

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// What a case expects, one `file:line:column: severity[rule]` per line.
    static func expected(_ name: String) -> [String] {
        let text = (try? String(contentsOfFile: "\(root)/\(name)/expected.txt", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }.sorted()
    }

    /// What the validator finds in a case, in the same form.
    static func found(_ name: String) -> [Diagnostic] {
        let directory = "\(root)/\(name)"
        var environment: [String: String] = [:]
        if let text = try? String(contentsOfFile: "\(directory)/env.txt", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.contains("=") {
                let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                environment[String(parts[0])] = String(parts[1])
            }
        }
        let options = ValidationOptions(environment: environment)
        if let args = try? String(contentsOfFile: "\(directory)/args.txt", encoding: .utf8) {
            let words = args.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
            let files = zip(words, words.dropFirst()).filter { $0.0 == "-f" }.map { "\(directory)/\($0.1)" }
            return ManifestValidator.validateCompose(files: files, options: options)
        }
        if let list = try? String(contentsOfFile: "\(directory)/paths.txt", encoding: .utf8) {
            let paths = list.split(separator: "\n").map { "\(directory)/\($0)" }
            return ManifestValidator.validate(paths: paths, options: options)
        }
        return ManifestValidator.validate(paths: [directory], options: options)
    }

    static func line(_ diagnostic: Diagnostic, in name: String) -> String {
        let prefix = "\(root)/\(name)/"
        guard let location = diagnostic.location else { return "-: \(diagnostic.label)" }
        let file = location.file.hasPrefix(prefix) ? String(location.file.dropFirst(prefix.count)) : location.file
        return "\(file):\(location.line):\(location.column): \(diagnostic.label)"
    }

    @Test(arguments: cases)
    func caseFindsExactlyWhatItExpects(_ name: String) {
        let diagnostics = Self.found(name)
        let found = diagnostics.map { Self.line($0, in: name) }.sorted()
        let expected = Self.expected(name)
        #expect(
            found == expected,
            "\(name):\n  found:\n    \(found.joined(separator: "\n    "))\n  messages:\n    \(diagnostics.map(\.description).joined(separator: "\n    "))")
    }

    @Test func everyRuleHasACaseThatTriggersIt() {
        var covered = Set<String>()
        for name in Self.cases {
            for line in Self.expected(name) {
                if let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]"), open < close {
                    covered.insert(String(line[line.index(after: open)..<close]))
                }
            }
        }
        let missing = RuleCatalog.all.map(\.id).filter { !covered.contains($0) }
        #expect(missing.isEmpty, "rules without a case in Fixtures/rules: \(missing.joined(separator: ", "))")
        let unknown = covered.filter { RuleCatalog.rule($0) == nil }.sorted()
        #expect(unknown.isEmpty, "rules used in cases but missing from the catalog: \(unknown.joined(separator: ", "))")
    }

    @Test func ruleIdsAreUniqueAndExplained() {
        let ids = RuleCatalog.all.map(\.id)
        #expect(Set(ids).count == ids.count)
        for rule in RuleCatalog.all {
            #expect(!rule.summary.isEmpty && !rule.summary.contains("\n"), "\(rule.id)")
        }
    }
}
