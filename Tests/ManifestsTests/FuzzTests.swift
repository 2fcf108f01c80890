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
    static let count: Int = ProcessInfo.processInfo.environment["DEPLOYER_FUZZ_COUNT"].flatMap { Int($0) } ?? 400

    // Each run happens in a child process, so that a crash fails this test (with the input that caused
    // it) instead of ending every other test of the run.
    @Test func randomBytesNeverCrashAndLocateEveryDiagnostic() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardOutputContent]
        ) {
            FuzzRun.randomBytes()
        }
        FuzzRun.report(result, "random")
    }

    @Test func mutatedManifestsNeverCrashAndLocateEveryDiagnostic() async {
        let result = await #expect(
            processExitsWith: .success, observing: [\.standardOutputContent]
        ) {
            FuzzRun.mutations()
        }
        FuzzRun.report(result, "mutations")
    }

    // Regressions: inputs the runs above found, minimised.

    /// A duration beyond Int64 milliseconds (`1e300`, `9999999999999h`) is a `wrong-type` error at the
    /// value, not a trap converting the Double. Run in a child process: it crashed the whole run.
    @Test func hugeDurationsAreReportedNotCrashedOn() async {
        await #expect(processExitsWith: .success) {
            for value in ["1e300", "9999999999999h", "9000000000000000000ms"] {
                let text = "targets:\n  simulated:\n    count: 2\ndeploy:\n  simulated: {}\nstrategy:\n  pause: \(value)\n"
                let (environment, diagnostics) = EnvironmentLoader.check(text: text, path: "env.yml")
                let located = diagnostics.contains { $0.location == SourceLocation(file: "env.yml", line: 7, column: 10) }
                if environment != nil || !located { exit(EXIT_FAILURE) }
            }
        }
    }

    /// A simulated fleet of `0x7fffffffffffffff` targets is an out-of-range error at the count, not
    /// an attempt to name them all. Run in a child process: it exhausted the memory of the run.
    @Test func aHugeSimulatedFleetIsRefusedNotBuilt() async {
        await #expect(processExitsWith: .success) {
            let text = "targets:\n  simulated:\n    count: 0x7fffffffffffffff\ndeploy:\n  simulated: {}\n"
            let (environment, diagnostics) = EnvironmentLoader.check(text: text, path: "env.yml")
            let located = diagnostics.contains { $0.rule == "out-of-range" && $0.location == SourceLocation(file: "env.yml", line: 3, column: 12) }
            if environment != nil || !located { exit(EXIT_FAILURE) }
        }
    }

    /// libyaml puts the end of a file that lacks a final newline on a line of its own, past the last one;
    /// a syntax error found there must still point inside the file.
    @Test func syntaxErrorAtTheEndOfAFileIsLocatedInsideIt() {
        let text = "key: value\nbroken"
        let (root, diagnostics) = YAMLParser.parse(text, file: "a.yml")
        #expect(root == nil)
        #expect(diagnostics.map(\.rule) == ["yaml-syntax"])
        for diagnostic in diagnostics {
            #expect((1...2).contains(diagnostic.location?.line ?? 0), "\(diagnostic)")
        }
    }
}

/// The two runs, as the child process executes them: each problem is a `problem:` line on standard
/// output, and each input is written to `lastInput` before it is tried, so a crash leaves it behind
/// (its backtrace goes to standard error, which the run shows).
enum FuzzRun {
    static func lastInput(_ name: String) -> String {
        // One file per worktree and run kind: other checkouts may run the same test at the same time.
        let place = #filePath.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return NSTemporaryDirectory() + "deployer-fuzz-\(String(place, radix: 36))-\(name).last"
    }

    static func randomBytes() {
        var random = FuzzRandom(seed: FuzzTests.seed)
        // Half the inputs are drawn from YAML's own punctuation, so they get past the first token.
        let alphabet = Array("abc:- \n\t#&*!|>'\"{}[],?%@`\u{FEFF}é0123456789.".utf8)
        run("random", "random inputs") { index in
            let length = random.int(below: 3) == 0 ? random.int(below: 4096) : random.int(below: 256)
            return (0..<length).map { _ in
                index % 2 == 0 ? UInt8.random(in: 0...255, using: &random) : alphabet.randomElement(using: &random)!
            }
        }
    }

    static func mutations() {
        var random = FuzzRandom(seed: FuzzTests.seed &+ 1)
        let seeds = FuzzCorpus.seeds()
        guard seeds.count >= 20 else {
            FileHandle.standardError.write(Data("too few manifests to mutate: \(seeds.count)\n".utf8))
            exit(EXIT_FAILURE)
        }
        run("mutations", "mutations of \(seeds.count) manifests") { _ in
            var bytes = seeds.randomElement(using: &random) ?? []
            for _ in 0...random.int(below: 6) {
                FuzzMutation.apply(to: &bytes, seeds: seeds, using: &random)
            }
            return bytes
        }
    }

    private static func run(_ name: String, _ what: String, _ input: (Int) -> [UInt8]) {
        guard let harness = try? FuzzHarness() else {
            FileHandle.standardError.write(Data("cannot create a temporary directory\n".utf8))
            exit(EXIT_FAILURE)
        }
        defer { harness.remove() }
        let started = ContinuousClock.now
        var failures = 0
        for index in 0..<FuzzTests.count {
            let bytes = input(index)
            _ = FileManager.default.createFile(atPath: lastInput(name), contents: Data(bytes))
            let problems = harness.run(bytes, variant: index)
            if !problems.isEmpty {
                failures += 1
                let shown = String(decoding: bytes.prefix(300), as: UTF8.self).debugDescription
                print("problem: input \(index) \(shown): " + problems.joined(separator: "; "))
            }
        }
        try? FileManager.default.removeItem(atPath: lastInput(name))
        print(
            "fuzz: \(FuzzTests.count) \(what) in \(ContinuousClock.now - started), \(failures) with problems "
                + "(seed \(FuzzTests.seed); set DEPLOYER_FUZZ_SEED, DEPLOYER_FUZZ_COUNT)")
        exit(EXIT_SUCCESS)
    }

    /// Records each problem the child found, or the input it crashed on.
    static func report(_ result: ExitTest.Result?, _ name: String) {
        guard let result else {
            let crashed = FileManager.default.contents(atPath: lastInput(name)).map { String(decoding: $0, as: UTF8.self) }
            try? FileManager.default.removeItem(atPath: lastInput(name))
            let shown = crashed?.debugDescription ?? "(not recorded)"
            Issue.record("fuzz (\(name), seed \(FuzzTests.seed), \(FuzzTests.count) inputs) crashed on input \(shown)")
            return
        }
        let output = String(decoding: result.standardOutputContent, as: UTF8.self)
        for line in output.split(separator: "\n") {
            if line.hasPrefix("problem: ") {
                Issue.record("fuzz (\(name), seed \(FuzzTests.seed)) \(line.dropFirst(9))")
            } else {
                print(line)
            }
        }
        #expect(output.contains("fuzz: \(FuzzTests.count) "), "the child did not finish its run")
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
