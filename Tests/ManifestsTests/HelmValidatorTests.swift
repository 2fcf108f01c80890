import Foundation
import Testing

@testable import Manifests

@Suite struct HelmValidatorTests {
    /// Writes `files` into a fresh chart directory (with a `templates/` directory) and validates it.
    static func validate(_ files: [String: String]) throws -> [Diagnostic] {
        let directory = NSTemporaryDirectory() + "helm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/templates", withIntermediateDirectories: true)
        try "Installed.\n".write(toFile: directory + "/templates/NOTES.txt", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, text) in files {
            try text.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
        }
        return ManifestValidator.validate(paths: [directory])
    }

    @Test func versionWrittenAsANumberShowsWhatYAMLMakesOfIt() throws {
        let diagnostics = try Self.validate([
            "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.10\nappVersion: 2.0\nicon: https://example.com/i.png\n"
        ])
        let messages = diagnostics.filter { $0.rule == "helm/version-number" }.map(\.message)
        #expect(messages.count == 2)
        #expect(messages.contains { $0.contains("`version: 1.10`") && $0.contains("the number 1.1") && $0.contains("\"1.10\"") })
        #expect(messages.contains { $0.contains("`appVersion: 2.0`") && $0.contains("the number 2 ") })
    }

    /// values.yaml against values.schema.json: YAML 1.1 scalars as Helm reads them, the choice
    /// keywords, and a schema that accepts the values finding nothing.
    @Test func valuesAgainstTheSchemaAsHelmReadsThem() throws {
        let chart = "apiVersion: v2\nname: app\nversion: 1.0.0\nicon: https://example.com/i.png\n"
        let schema = """
            {"type": "object", "properties": {
              "debug": {"type": "boolean"},
              "mode": {"type": "integer"},
              "port": {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[a-z]+$"}]},
              "size": {"anyOf": [{"type": "integer", "minimum": 10}, {"const": "auto"}]},
              "name": {"not": {"const": "root"}, "maxLength": 8},
              "ratio": {"type": "number", "exclusiveMaximum": 1, "multipleOf": 0.25},
              "tags": {"type": "array", "items": [{"type": "string"}], "additionalItems": false, "minItems": 1},
              "extra": {"type": "object", "propertyNames": {"pattern": "^x-"}, "dependencies": {"x-a": ["x-b"]}}
            }}
            """
        let good = "debug: yes\nmode: 0755\nport: http\nsize: auto\nname: web\nratio: 0.5\ntags: [a]\nextra: {x-a: 1, x-b: 2}\n"
        #expect(try Self.validate(["Chart.yaml": chart, "values.yaml": good, "values.schema.json": schema]).isEmpty)
        let bad = "debug: \"yes\"\nmode: 1.5\nport: 8.5\nsize: 3\nname: root\nratio: 0.6\ntags: [a, b]\nextra: {x-a: 1, y: 2}\n"
        let found = try Self.validate(["Chart.yaml": chart, "values.yaml": bad, "values.schema.json": schema])
        #expect(found.allSatisfy { $0.rule == "helm/schema-violation" && $0.severity == .error })
        let places = found.map { "\($0.location!.line):\($0.location!.column)" }.sorted()
        #expect(places == ["1:8", "2:7", "3:7", "4:7", "5:7", "6:8", "7:11", "8:1", "8:17"], "\(found.map(\.message))")
        let messages = found.map(\.message)
        #expect(messages.contains { $0.hasPrefix("`debug` is a string `yes`, but the schema wants a boolean; remove the quotes") })
        #expect(messages.contains { $0.hasPrefix("`port` matches none of the `oneOf` choices") })
        #expect(messages.contains { $0.hasPrefix("`name` matches the schema's `not`") })
        #expect(messages.contains { $0.contains("has `x-a` but not `x-b`") })
    }

    @Test func unknownKeysSuggestTheClosestField() throws {
        let diagnostics = try Self.validate([
            "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\nicon: https://example.com/i.png\nmaintainer:\n  - name: x\n"
        ])
        #expect(diagnostics.map(\.message) == ["`maintainer` is not a Chart.yaml field; Helm ignores it; did you mean `maintainers`?"])
    }

    @Test func apiVersionSuggestionsAndV3() throws {
        let v3 = try Self.validate(["Chart.yaml": "apiVersion: v3\nname: app\nversion: 1.0.0\nicon: https://example.com/i.png\n"])
        #expect(v3.first?.message.contains("Helm 4") == true)
        let two = try Self.validate(["Chart.yaml": "apiVersion: 2\nname: app\nversion: 1.0.0\nicon: https://example.com/i.png\n"])
        #expect(two.first?.message.hasSuffix("did you mean `v2`?") == true)
    }

    @Test func missingRequiredFieldsAreAllReported() throws {
        let diagnostics = try Self.validate(["Chart.yaml": "description: nothing else\n"])
        #expect(Set(diagnostics.compactMap(\.rule)) == ["helm/api-version", "helm/chart-name", "helm/version", "helm/icon"])
        #expect(diagnostics.allSatisfy { $0.location?.line == 1 && $0.location?.column == 1 })
    }

    @Test func imageTagMismatchNamesBothPlaces() throws {
        let diagnostics = try Self.validate([
            "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\nappVersion: v2.0.0\nicon: https://example.com/i.png\n",
            "values.yaml": "image:\n  tag: v1.9.0\n",
        ])
        let mismatch = try #require(diagnostics.first { $0.rule == "helm/image-tag-mismatch" })
        #expect(mismatch.location?.line == 2 && mismatch.location?.column == 8)
        #expect(mismatch.message.contains("Chart.yaml:4:13") && mismatch.message.contains("v2.0.0") && mismatch.message.contains("v1.9.0"))
    }

    @Test func jsonSyntaxErrorsHaveLineAndColumn() {
        #expect(JSONSyntax.firstError(in: "{\"a\": [1, 2, {\"b\": null}], \"c\": \"\\u00e9\"}") == nil)
        #expect(JSONSyntax.firstError(in: "{\n  \"a\": 1,\n}")?.line == 3)
        #expect(JSONSyntax.firstError(in: "{\"a\": tru}").map { [$0.line, $0.column] } == [1, 7])
        #expect(JSONSyntax.firstError(in: "[01]") != nil)
        #expect(JSONSyntax.firstError(in: "{\"a\": \"x") != nil)
        #expect(JSONSyntax.firstError(in: "{} []") != nil)
    }
}
