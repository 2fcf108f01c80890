import Foundation
import Manifests
import Testing

@Suite struct DiagnosticsTests {
    static func errors(_ name: String) -> [String] {
        let path = Bundle.module.url(forResource: "Fixtures/errors/\(name).yml", withExtension: nil)!.path
        do {
            _ = try EnvironmentLoader.load(path: path)
            return []
        } catch {
            return error.diagnostics.map { "\($0.location.map { "\($0.line):\($0.column)" } ?? "-") \($0.rule ?? "")" }
        }
    }

    static func messages(_ name: String) -> [String] {
        let path = Bundle.module.url(forResource: "Fixtures/errors/\(name).yml", withExtension: nil)!.path
        return ManifestValidator.validate(paths: [path]).map(\.message)
    }

    @Test func everyProblemInAFileIsReportedWithItsPlace() {
        #expect(Self.errors("broken-env") == [
            "2:14 wrong-type", "5:10 undefined-group", "8:3 unknown-key", "11:3 exactly-one-of", "14:3 unknown-key",
            "15:3 duplicate-key", "18:7 missing-key", "18:7 missing-key",
        ])
        let messages = Self.messages("broken-env")
        #expect(messages.contains("unknown key `becme` in `deploy`; did you mean `become`?"))
        #expect(messages.contains("duplicate key 'batch'; it was first defined at line 13, column 3"))
        #expect(messages.contains("missing required key `load-balancers[0].haproxy.socket`"))
        #expect(messages.contains("`description` must be a string, not a list"))
        #expect(messages.contains { $0.hasSuffix("has no group `backend_webb`; did you mean `backend_web`?") })
    }

    @Test func templatesAndStrategyAreCheckedAgainstTheFleet() {
        #expect(Self.errors("bad-refs") == ["4:14 undefined-variable", "11:37 undefined-variable", "13:10 impossible-strategy"])
        #expect(Self.messages("bad-refs") == [
            "undefined variable `haproxy_host_nme` in `targets.name`: not defined for hosts 10.0.5.10, 10.0.5.11; did you mean `haproxy_host_name`?",
            "undefined variable `release` in `deploy.run`: not defined for hosts 10.0.5.10, 10.0.5.11",
            "a batch of 2 would leave 0 of 2 targets in service, fewer than min-in-service 1; lower the batch or the floor",
        ])
    }

    @Test func duplicateTargetNames() {
        #expect(Self.errors("dup-names") == ["4:9 duplicate-target"])
        #expect(Self.messages("dup-names") == [
            "hosts 10.0.5.10 and 10.0.5.11 both have the target name `mishipay_user`; target names must be unique",
        ])
    }

    @Test func yamlLayerProblems() {
        #expect(Self.errors("tabs") == ["3:1 tabs"])
        // libyaml notices the unclosed quote at the end of the file (7:1); the finding is at the quote.
        #expect(Self.errors("syntax") == ["5:8 yaml-syntax"])
        #expect(Self.messages("syntax") == [
            "invalid YAML: the string quoted with `\"` here is never closed (libyaml reached the end of the file inside it); close it with `\"` where the string ends",
        ])
        #expect(Self.errors("two-docs") == ["6:1 multiple-documents"])
    }

    @Test func yaml11ScalarsWarnWhereAStringIsExpected() throws {
        let path = Bundle.module.url(forResource: "Fixtures/errors/yaml11.yml", withExtension: nil)!.path
        let (env, warnings) = try EnvironmentLoader.load(path: path)
        #expect(env.version == "1.10")
        #expect(env.name == "on")
        #expect(warnings.map { "\($0.location!.line):\($0.location!.column) \($0.rule!)" } == ["1:7 yaml11-scalar", "2:10 yaml11-scalar"])
        #expect(warnings[0].message == "`name`: `on` is read as the boolean true by YAML 1.1 tools; quote it: \"on\"")
    }

    @Test func missingPathsAreReported() {
        let diagnostics = ManifestValidator.validate(paths: ["/nonexistent/env.yml"])
        #expect(diagnostics == [.error("no such file or directory: /nonexistent/env.yml", at: nil, rule: "file-not-found")])
    }

    // MARK: Renderers

    static let sample: [Diagnostic] = [
        .warning("quote it", at: SourceLocation(file: "b.yml", line: 1, column: 7), rule: "yaml11-scalar"),
        .error("batch too big, 100%\nreally", at: SourceLocation(file: "a,b:c.yml", line: 2, column: 10), rule: "impossible-strategy"),
        .error("no such file", at: nil, rule: nil),
    ]

    @Test func textHasExcerptAndCaret() {
        let text = DiagnosticRenderer.text(
            [.error("a batch of 5 is too big", at: SourceLocation(file: "env.yml", line: 2, column: 10), rule: "impossible-strategy")],
            sources: { $0 == "env.yml" ? "strategy:\n  batch: 5\n" : nil }, color: false)
        #expect(text == """
            env.yml:2:10: error[impossible-strategy]: a batch of 5 is too big
            2 |   batch: 5
              |          ^
            """)
        #expect(DiagnosticRenderer.text(Self.sample, sources: { _ in nil }, color: false) == """
            error: no such file
            a,b:c.yml:2:10: error[impossible-strategy]: batch too big, 100%
            really
            b.yml:1:7: warning[yaml11-scalar]: quote it
            """)
    }

    @Test func githubAnnotationsAreEscaped() {
        #expect(DiagnosticRenderer.github(Self.sample) == """
            ::error::no such file
            ::error file=a%2Cb%3Ac.yml,line=2,col=10,title=impossible-strategy::batch too big, 100%25%0Areally
            ::warning file=b.yml,line=1,col=7,title=yaml11-scalar::quote it
            """)
    }

    @Test func jsonHasStableShape() {
        #expect(DiagnosticRenderer.json(Array(Self.sample.prefix(1))) == """
            [{"column":7,"file":"b.yml","line":1,"message":"quote it","rule":"yaml11-scalar","severity":"warning"}]
            """)
        #expect(DiagnosticRenderer.json([Self.sample[2]]) == """
            [{"column":null,"file":null,"line":null,"message":"no such file","rule":null,"severity":"error"}]
            """)
    }
}

extension DiagnosticsTests {
    @Test func haproxyNamesAndSocketsAreCheckedWhereWritten() {
        #expect(Self.errors("bad-haproxy") == [
            "5:7 haproxy-name", "5:7 haproxy-name", "6:15 haproxy-socket", "7:16 haproxy-name", "10:15 haproxy-socket",
        ])
        #expect(Self.messages("bad-haproxy").contains {
            $0.contains("\"web;shutdown sessions server web/web1\" is not an HAProxy name")
        })
    }
}
