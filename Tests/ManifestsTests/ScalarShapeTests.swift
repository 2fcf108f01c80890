import Foundation
import Testing

@testable import Manifests

/// The hand-written scalar shapes agree with the regular expressions they stand for, on every string
/// of a small alphabet up to four characters and on random longer ones.
@Suite struct ScalarShapeTests {
    static var shapes: [(name: String, hand: (String) -> Bool, regex: Regex<Substring>)] { [
        ("decimal integer", ScalarShape.isDecimalInteger, /[-+]?[0-9]+/),
        ("float", ScalarShape.isFloat, /[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?/),
        ("sexagesimal", ScalarShape.isSexagesimal, /[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?/),
        ("octal", ScalarShape.isOctal, /[-+]?0[0-7_]+/),
        ("float ending in 0", ScalarShape.isFloatEndingInZero, /[-+]?[0-9]+\.[0-9]*0/),
    ] }
    static let alphabet: [Character] = ["0", "5", "6", "8", "9", "_", ":", ".", "e", "+", "-", "x"]

    static func agree(_ text: String) -> String? {
        for shape in Self.shapes where shape.hand(text) != (text.wholeMatch(of: shape.regex) != nil) {
            return "\(shape.name): \(text)"
        }
        return nil
    }

    @Test func everyShortStringAgrees() {
        var strings: [String] = [""]
        var frontier: [String] = [""]
        for _ in 1...4 {
            frontier = frontier.flatMap { prefix in Self.alphabet.map { prefix + String($0) } }
            strings += frontier
        }
        let disagreements = strings.compactMap(Self.agree)
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }

    @Test func randomLongerStringsAgree() {
        var generator = SystemRandomNumberGenerator()
        var disagreements: [String] = []
        for _ in 0..<20_000 {
            let length = Int.random(in: 5...12, using: &generator)
            let text = String((0..<length).map { _ in Self.alphabet.randomElement(using: &generator)! })
            if let problem = Self.agree(text) { disagreements.append(problem) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }

    @Test func yaml11Readings() {
        #expect(YAMLScalar(text: "22:22", isPlain: true, tag: nil).yaml11Reading == "a sexagesimal (base 60) number")
        #expect(YAMLScalar(text: "0755", isPlain: true, tag: nil).yaml11Reading == "an octal number")
        #expect(YAMLScalar(text: "1.10", isPlain: true, tag: nil).yaml11Reading == "the number 1.1")
        #expect(YAMLScalar(text: "yes", isPlain: true, tag: nil).yaml11Reading == "the boolean true")
        #expect(YAMLScalar(text: "1.5", isPlain: true, tag: nil).yaml11Reading == nil)
    }

    @Test func composeFileNamesAgreeWithTheirPatterns() {
        let names = [
            "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.override.yml", "docker-compose-test.yml",
            "compose.ci.yaml", "compose-prod.yaml", "app.compose.yaml", "app_compose.yml", "x-compose.yaml", "compose.yamll",
            "composer.yml", "docker-composer.yml", "-compose.yml", "compose..yml", "compose_.yml", "mycompose.yml", "compose.json",
            "docker-compose.yaml.yml", "Docker-Compose.YML", "a.b-compose.yaml", "compose-.yaml", ".compose.yml", "compose",
        ]
        for name in names {
            let lower = name.lowercased()
            let regex = lower.wholeMatch(of: /(docker-)?compose([._-][^\/]+)?\.ya?ml/) != nil
                || lower.wholeMatch(of: /[^\/]+[._-]compose\.ya?ml/) != nil
            #expect(ComposeValidator.isComposeFileName("dir/" + name) == regex, "\(name)")
        }
    }

    @Test func redactionKeepsTheSameKeyPrefixAsItsPattern() {
        let alphabet: [Character] = ["a", "1", "_", "-", "\"", "'", " ", "\t", "=", ":", "é"]
        var frontier: [String] = [""]
        var strings: [String] = []
        for _ in 1...5 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            strings += frontier
        }
        var disagreements: [String] = []
        for text in strings {
            let regex = text.prefixMatch(of: /["']?[A-Za-z0-9_.\-]+["']?[ \t]*[=:][ \t]*/).map { String($0.output) }
            if DiagnosticRenderer.keyPrefix(text).map(String.init) != regex { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }
}
