import Testing

@testable import Manifests

@Suite struct ComposeInterpolationTests {
    static let variables = ["TAG": "1.27", "EMPTY": "", "HOST": "db", "PORT": "5432"]

    static func run(_ text: String) -> ComposeInterpolation {
        ComposeInterpolation.interpolate(text) { variables[$0] }
    }

    @Test(arguments: [
        ("nginx:$TAG", "nginx:1.27"),
        ("nginx:${TAG}", "nginx:1.27"),
        ("${HOST}:${PORT}", "db:5432"),
        ("$HOST-x", "db-x"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${MISSING-fallback}", "fallback"),
        ("${TAG:-fallback}", "1.27"),
        ("${TAG:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${MISSING+alt}", ""),
        ("${MISSING:-${HOST:-x}}", "db"),
        ("${MISSING:-${OTHER:-deep}}/${PORT}", "deep/5432"),
        ("${MISSING:-a:b-c}", "a:b-c"),
        ("$$HOME and $${TAG}", "$HOME and ${TAG}"),
        ("cost: 5$$", "cost: 5$"),
        ("no references", "no references"),
    ])
    func substitutes(_ template: String, _ expected: String) {
        let result = Self.run(template)
        #expect(result.text == expected)
        #expect(result.problems.isEmpty)
        #expect(result.unset.isEmpty)
    }

    @Test func unsetVariablesWithoutDefaultAreListedOnceAndBecomeEmpty() {
        let result = Self.run("${A}/$B/${A}")
        #expect(result.text == "//")
        #expect(result.unset == ["A", "B"])
        #expect(result.referencesVariables)
    }

    @Test func anUnusedDefaultIsNotLookedAt() {
        #expect(Self.run("${TAG:-$UNSET}").unset.isEmpty)
        #expect(Self.run("${MISSING:-$UNSET}").unset == ["UNSET"])
    }

    @Test func escapedDollarsAreNoReference() {
        let result = Self.run("echo $$1")
        #expect(result.text == "echo $1")
        #expect(!result.referencesVariables)
        #expect(result.problems.isEmpty)
    }

    @Test func requiredVariablesFailWithTheirMessage() {
        let unset = Self.run("${SECRET:?set SECRET to the key file}")
        #expect(unset.problems.map(\.kind) == [.required(name: "SECRET", message: "set SECRET to the key file")])
        #expect(unset.problems.first?.message == "the required variable `SECRET` is not set: set SECRET to the key file")
        #expect(Self.run("${EMPTY:?needed}").problems.count == 1)
        #expect(Self.run("${EMPTY?needed}").problems.isEmpty)
        #expect(Self.run("${TAG:?needed}").text == "1.27")
        #expect(Self.run("x-${MISSING?}").problems.first?.message == "the required variable `MISSING` is not set: it is required")
    }

    /// Offsets are 0-based positions of the `$` that starts the bad reference.
    @Test(arguments: [
        ("${", 0),
        ("a ${1X}", 2),
        ("$1", 0),
        ("price: 5$", 8),
        ("x ${TAG", 2),
        ("${TAG:x}", 0),
        ("${TAG:-${OK}", 0),
        ("${}", 0),
        ("$ {TAG}", 0),
    ])
    func malformedSyntaxIsReportedAtItsDollar(_ template: String, _ offset: Int) {
        let result = Self.run(template)
        #expect(result.problems.map(\.offset) == [offset], "\(result.problems)")
        #expect(result.problems.allSatisfy { $0.kind == .syntax })
    }

    @Test func anUnclosedNestedReferenceReportsBothBraces() {
        #expect(Self.run("${MISSING:-${").problems.map(\.offset) == [11, 0])
    }

    @Test func everyProblemInAValueIsReported() {
        let result = Self.run("$1 and ${ and ${X:?x}")
        #expect(result.problems.map(\.offset) == [0, 7])
    }

    @Test func dotEnvFilesReadQuotesCommentsExportAndReferences() {
        let text = """
            # comment
            export TAG=1.27
            NAME='lit$eral'
            QUOTED="a\\nb"
            URL=http://${HOST}:${PORT:-80} # trailing comment
            BARE
            """
        let (variables, diagnostics) = DotEnvFile.parse(text, file: ".env", environment: ["HOST": "h", "BARE": "from-env"])
        #expect(diagnostics.isEmpty)
        #expect(variables == ["TAG": "1.27", "NAME": "lit$eral", "QUOTED": "a\nb", "URL": "http://h:80", "BARE": "from-env"])
    }
}
