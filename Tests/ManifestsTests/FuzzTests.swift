import Foundation
import Testing

@testable import Manifests

/// A bounded randomized test of the YAML layer and every loader: random bytes, and mutations of real
/// manifests (the repository's `inventories/` and `manifests/`, and the test fixtures), fed to
/// `YAMLParser.parse`, `InventoryLoader.parse`, `EnvironmentLoader.check(text:path:)` and
/// `ManifestValidator.validate(paths:)` (the bytes written as a compose file, a chart's Chart.yaml or
/// values.yaml, a Kong config and a plain YAML file).
///
/// Nothing may crash (a crash ends the test process, which fails the run), and every diagnostic must
/// name a catalogued rule and a place inside the file it speaks of. The run is reproducible: the seed
/// is printed, and `DEPLOYER_FUZZ_SEED` / `DEPLOYER_FUZZ_COUNT` set it and the number of inputs.
@Suite struct FuzzTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["DEPLOYER_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_260_601
    static let count: Int = ProcessInfo.processInfo.environment["DEPLOYER_FUZZ_COUNT"].flatMap { Int($0) } ?? 1500

    @Test func randomBytesNeverCrashAndLocateEveryDiagnostic() throws {
        var random = FuzzRandom(seed: Self.seed)
        let harness = try FuzzHarness()
        defer { harness.remove() }
        let started = ContinuousClock.now
        for index in 0..<Self.count {
            let length = random.int(below: 3) == 0 ? random.int(below: 4096) : random.int(below: 256)
            // Half the inputs are drawn from YAML's own punctuation, so they get past the first token.
            let alphabet = Array("abc:- \n\t#&*!|>'\"{}[],?%@`\u{FEFF}é0123456789.".utf8)
            let bytes: [UInt8] = (0..<length).map { _ in
                index % 2 == 0 ? UInt8.random(in: 0...255, using: &random) : alphabet.randomElement(using: &random)!
            }
            let problems = harness.run(bytes, variant: index)
            #expect(problems.isEmpty, "random input \(index) (seed \(Self.seed)): \(problems.joined(separator: "; "))")
        }
        print("fuzz: \(Self.count) random inputs in \(ContinuousClock.now - started) (seed \(Self.seed); DEPLOYER_FUZZ_SEED, DEPLOYER_FUZZ_COUNT)")
    }

    @Test func mutatedManifestsNeverCrashAndLocateEveryDiagnostic() throws {
        var random = FuzzRandom(seed: Self.seed &+ 1)
        let seeds = FuzzCorpus.seeds()
        #expect(seeds.count >= 20, "too few manifests to mutate: \(seeds.count)")
        let harness = try FuzzHarness()
        defer { harness.remove() }
        let started = ContinuousClock.now
        for index in 0..<Self.count {
            var bytes = seeds.randomElement(using: &random) ?? []
            for _ in 0...random.int(below: 6) {
                FuzzMutation.apply(to: &bytes, seeds: seeds, using: &random)
            }
            let problems = harness.run(bytes, variant: index)
            #expect(problems.isEmpty, "mutated input \(index) (seed \(Self.seed)): \(problems.joined(separator: "; "))")
        }
        print(
            "fuzz: \(Self.count) mutations of \(seeds.count) manifests in \(ContinuousClock.now - started) "
                + "(seed \(Self.seed); DEPLOYER_FUZZ_SEED, DEPLOYER_FUZZ_COUNT)")
    }
}

/// SplitMix64: small, fast, and the same sequence on every platform for a given seed.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (0 when the bound is not positive).
    mutating func int(below bound: Int) -> Int {
        bound <= 0 ? 0 : Int(next(upperBound: UInt64(bound)))
    }
}

/// The manifests mutations start from.
enum FuzzCorpus {
    static func seeds() -> [[UInt8]] {
        var directories: [String] = []
        if let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil) {
            directories.append(fixtures.path)
        }
        // The repository root, from this file's place in it (Tests/ManifestsTests/FuzzTests.swift).
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        directories += ["inventories", "manifests"].map { root.appendingPathComponent($0).path }
        var seeds: [[UInt8]] = []
        for directory in directories {
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { continue }
            for case let relative as String in enumerator
            where relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") || relative.hasSuffix(".txt") {
                if let data = FileManager.default.contents(atPath: directory + "/" + relative), data.count < 64 * 1024 {
                    seeds.append(Array(data))
                }
            }
        }
        return seeds
    }
}

/// Byte-level and YAML-aware edits: flips, deletions, duplicated and swapped lines, YAML punctuation
/// and Unicode inserted, numbers replaced by extreme ones, and splices of two manifests.
enum FuzzMutation {
    static let tokens: [String] = [
        ":", ": ", "-", "- ", "&a ", "*a", "*b", "<<: *a", "!tag ", "!!str ", "!!int ", "!!map ", "\t", "\"", "'",
        "{", "}", "[", "]", ",", "? ", "|", ">-", "#", "---\n", "...\n", "%YAML 1.2\n", "\u{FEFF}", "é", "😀",
        "\u{0085}", "\u{2028}", "\r", "\r\n", "\0", "\\", "{{ x }}", "{{ x | y }}", "${X}", "${X:-y}", "%", "@", "`",
        "~", "null", "yes", "0755", "1.10", "22:22", "x-a: &a {k: v}\n", "  ", "\n", "\n  ", "\n- ",
    ]
    static let numbers: [String] = [
        "0", "-1", "1e300", "-1e300", "9223372036854775807", "-9223372036854775808", "99999999999999999999", "0x7fffffffffffffff",
        "0o777", "1.5", ".inf", "nan", "65536", "100%", "101%", "-5%", "1e300%", "1e300s", "9999999999999h", "0.0001ms",
    ]

    static func apply(to bytes: inout [UInt8], seeds: [[UInt8]], using random: inout FuzzRandom) {
        let position = bytes.isEmpty ? 0 : random.int(below: bytes.count + 1)
        switch random.int(below: 9) {
        case 0 where !bytes.isEmpty:  // flip a bit
            let at = min(position, bytes.count - 1)
            bytes[at] ^= 1 << UInt8(random.int(below: 8))
        case 1 where !bytes.isEmpty:  // delete a run
            let end = min(bytes.count, position + 1 + random.int(below: 16))
            bytes.removeSubrange(min(position, bytes.count - 1)..<end)
        case 2, 3:  // insert a token
            bytes.insert(contentsOf: Array(tokens.randomElement(using: &random)!.utf8), at: position)
        case 4:  // duplicate a line
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            guard !lines.isEmpty else { return }
            let at = random.int(below: lines.count)
            lines.insert(lines[at], at: random.int(below: lines.count + 1))
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        case 5:  // swap two lines
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            guard lines.count > 1 else { return }
            lines.swapAt(
                random.int(below: lines.count), random.int(below: lines.count))
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        case 6:  // replace a number by an extreme one
            let digits = bytes.indices.filter { (48...57).contains(bytes[$0]) }
            guard let start = digits.randomElement(using: &random) else { return }
            var end = start
            while end < bytes.count, (48...57).contains(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(numbers.randomElement(using: &random)!.utf8))
        case 7:  // splice in part of another manifest
            guard let other = seeds.randomElement(using: &random), !other.isEmpty else { return }
            let from = random.int(below: other.count)
            let to = min(other.count, from + random.int(below: 512))
            bytes.insert(contentsOf: other[from..<to], at: position)
        default:  // change the indentation of a line
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            guard !lines.isEmpty else { return }
            let at = random.int(below: lines.count)
            let line = Array(lines[at])
            let stripped = line.drop { $0 == UInt8(ascii: " ") }
            lines[at] = ArraySlice(Array(repeating: UInt8(ascii: " "), count: random.int(below: 9)) + stripped)
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        }
    }
}

/// Runs one input through every entry point and returns what is wrong with the diagnostics.
struct FuzzHarness {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "deployer-fuzz-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        for sub in ["compose", "chart", "kong", "other"] {
            try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    static let chart = Array("apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: \"1.0.0\"\n".utf8)
    static let values = Array("image:\n  repository: registry.example.com/web\n  tag: \"1.0.0\"\n".utf8)

    func run(_ bytes: [UInt8], variant: Int) -> [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        var problems: [String] = []
        let path = "\(directory)/input.yml"
        let lines = [path: Self.lineCount(bytes)]
        problems += Self.check(YAMLParser.parse(text, file: path).diagnostics, lines: lines, "YAMLParser")
        problems += Self.check(InventoryLoader.parse(text, file: path).1, lines: lines, "InventoryLoader")
        problems += Self.check(EnvironmentLoader.check(text: text, path: path).1, lines: lines, "EnvironmentLoader")

        // Chart.yaml gets the input one time, values.yaml the next, so both are read past the chart's header.
        let files: [(String, [UInt8])] = [
            ("compose/docker-compose.yml", bytes),
            ("chart/Chart.yaml", variant % 2 == 0 ? bytes : Self.chart),
            ("chart/values.yaml", variant % 2 == 0 ? Self.values : bytes),
            ("kong/kong.yml", bytes),
            ("other/hosts.yml", bytes),
        ]
        var fileLines: [String: Int] = [:]
        for (name, contents) in files {
            let file = "\(directory)/\(name)"
            _ = FileManager.default.createFile(atPath: file, contents: Data(contents))
            fileLines[file] = Self.lineCount(contents)
        }
        problems += Self.check(ManifestValidator.validate(paths: [directory]), lines: fileLines, "ManifestValidator")
        return problems
    }

    /// Lines as a YAML reader counts them: `\n`, `\r\n`, a lone `\r`, and (libyaml) NEL, LS and PS
    /// all end one, so this is the largest line number a diagnostic can honestly carry.
    static func lineCount(_ bytes: [UInt8]) -> Int {
        var count = 1
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A: count += 1
            case 0x0D: if index + 1 >= bytes.count || bytes[index + 1] != 0x0A { count += 1 }
            case 0xC2 where index + 1 < bytes.count && bytes[index + 1] == 0x85: count += 1
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                count += 1
            default: break
            }
            index += 1
        }
        return count
    }

    static func check(_ diagnostics: [Diagnostic], lines: [String: Int], _ source: String) -> [String] {
        diagnostics.compactMap { diagnostic in
            guard let rule = diagnostic.rule, RuleCatalog.rule(rule) != nil else {
                return "\(source): no catalogued rule: \(diagnostic)"
            }
            guard let location = diagnostic.location else { return "\(source): no location: \(diagnostic)" }
            guard let count = lines[location.file] else { return "\(source): a file that was not given: \(diagnostic)" }
            guard (1...count).contains(location.line), location.column >= 1 else {
                return "\(source): line \(location.line) outside 1…\(count) or column \(location.column) < 1: \(diagnostic)"
            }
            return nil
        }
    }
}
