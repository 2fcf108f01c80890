// Cost of `deployer validate`, with check-jsonschema against the compose-spec JSON schema as the
// reference point (the schema check is a small part of what deployer checks, so the reference does
// less work than deployer does).
//
// (a) Every manifest of the repository: `manifests/` and `inventories/`, validated as
//     `deployer validate manifests inventories` does (compose projects and overlays, the Helm chart,
//     the Kong config, inventories and environments).
// (b) A generated project: a 500-service compose file (images with tags, distinct host ports, two
//     networks, environment, depends_on, healthchecks, volumes) and three overlays on it (image
//     bumps, environment changes, extra ports), validated as one merged project
//     (`deployer validate -f base -f o1 -f o2 -f o3`).
// (c) The same compose files checked by `check-jsonschema --schemafile compose-spec.json`, once as one
//     process over all the files and once as one process per file (what a per-file hook pays).
//
// Each figure is the median of the runs; deployer runs in this process (the library, no process
// start), check-jsonschema as the command a developer would run.
//
//   scripts/bench-venv.sh        (once: puts check-jsonschema in .venv-bench)
//   deployer-bench-manifests [--root DIR] [--runs 20] [--reference-runs 5] [--services 500] [--findings]
//
// --findings also prints what deployer found in the repository and in the generated project.

import Foundation
import LabSupport
import Manifests

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let work = NSTemporaryDirectory() + "deployer-bench-manifests-\(getpid())"
func fail(_ message: String) -> Never {
    try? FileManager.default.removeItem(atPath: work)
    FileHandle.standardError.write(Data("deployer-bench-manifests: \(message)\n".utf8))
    exit(1)
}
let root = URL(fileURLWithPath: option("--root") ?? FileManager.default.currentDirectoryPath).standardizedFileURL.path
let runs = max(1, Int(option("--runs") ?? "") ?? 20)
let referenceRuns = max(1, Int(option("--reference-runs") ?? "") ?? 5)
let serviceCount = max(2, Int(option("--services") ?? "") ?? 500)

let checkJSONSchema = root + "/.venv-bench/bin/check-jsonschema"
guard FileManager.default.fileExists(atPath: root + "/manifests"), FileManager.default.fileExists(atPath: root + "/inventories")
else { fail("\(root) has no manifests/ and inventories/; run from the repository's root or pass --root") }
guard FileManager.default.isExecutableFile(atPath: checkJSONSchema) else {
    fail("\(checkJSONSchema) is missing: run scripts/bench-venv.sh first (it installs check-jsonschema from PyPI)")
}

// MARK: - Measuring

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The median wall time of `count` runs of `body` (after one warm-up run, not counted).
func measure(_ count: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<count {
        let began = ContinuousClock.now
        body()
        times.append(seconds(ContinuousClock.now - began))
    }
    return median(times)
}

/// Runs a command to completion; its output goes to `log`.
func run(_ executable: String, _ args: [String], log: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = FileHandle(forWritingAtPath: log)
    process.standardOutput = handle
    process.standardError = handle
    do { try process.run() } catch { fail("cannot run \(executable): \(error)") }
    process.waitUntilExit()
    try? handle?.close()
    return process.terminationStatus
}

/// Every `*.yml` / `*.yaml` under `directory`, hidden directories skipped, sorted.
func yamlFiles(under directory: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
    var files: [String] = []
    while let relative = enumerator.nextObject() as? String {
        if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
        if relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") { files.append(directory + "/" + relative) }
    }
    return files.sorted()
}

func isComposeFile(_ path: String) -> Bool {
    let name = (path as NSString).lastPathComponent
    return name.hasPrefix("docker-compose") || name.hasPrefix("compose.") || name.hasPrefix("compose-")
}

// MARK: - The generated project

/// A 500-service compose file as a large team would write it, and three overlays on it.
func generateProject(in directory: String, services: Int) throws -> [String] {
    func name(_ index: Int) -> String { String(format: "svc-%03d", index) }
    var base = "name: generated\n\nservices:\n"
    for index in 0..<services {
        let tier = index % 10
        base += "  \(name(index)):\n"
        base += "    image: registry.example.com/platform/\(name(index)):1.\(index % 7).\(index % 13)\n"
        base += "    restart: unless-stopped\n"
        base += "    environment:\n"
        base += "      SERVICE_NAME: \(name(index))\n"
        base += "      LOG_LEVEL: info\n"
        base += "      HTTP_PORT: \"8080\"\n"
        base += "      UPSTREAM_URL: http://\(name(index == 0 ? 1 : index / 2)):8080\n"
        if tier == 0 {
            // Stateful: a named volume, only on the internal network, nothing published.
            base += "    volumes:\n      - \(name(index))-data:/var/lib/app\n"
            base += "    networks: [backend]\n"
        } else {
            base += "    ports:\n      - \"\(20_000 + index):8080\"\n"
            base += "    networks: [edge, backend]\n"
        }
        if index > 0 {
            base += "    depends_on:\n"
            base += "      \(name(index / 2)):\n        condition: service_healthy\n"
            if index > 2 { base += "      \(name(index - 1)):\n        condition: service_started\n" }
        }
        base += "    healthcheck:\n"
        base += "      test: [\"CMD\", \"wget\", \"-qO-\", \"http://localhost:8080/health\"]\n"
        base += "      interval: 10s\n      timeout: 3s\n      retries: 3\n      start_period: 20s\n"
        base += "    labels:\n      com.example.team: team-\(index % 12)\n      com.example.tier: \"\(tier)\"\n"
    }
    base += "\nnetworks:\n  edge: {}\n  backend:\n    internal: true\n"
    base += "\nvolumes:\n"
    for index in stride(from: 0, to: services, by: 10) { base += "  \(name(index))-data: {}\n" }

    var images = "# Release overlay: new images for every fifth service.\nservices:\n"
    for index in stride(from: 0, to: services, by: 5) {
        images += "  \(name(index)):\n    image: registry.example.com/platform/\(name(index)):2.0.\(index % 11)\n"
    }
    var environment = "# Staging overlay: verbose logs and a staging flag for every seventh service.\nservices:\n"
    for index in stride(from: 0, to: services, by: 7) {
        environment += "  \(name(index)):\n    environment:\n      LOG_LEVEL: debug\n      FEATURE_FLAGS: staging\n"
    }
    var ports = "# Debug overlay: a debugger port on every eleventh published service.\nservices:\n"
    for index in stride(from: 1, to: services, by: 11) where index % 10 != 0 {
        ports += "  \(name(index)):\n    ports:\n      - \"\(40_000 + index):9229\"\n"
    }
    let files = [
        (directory + "/docker-compose.yml", base),
        (directory + "/docker-compose-release.yml", images),
        (directory + "/docker-compose-staging.yml", environment),
        (directory + "/docker-compose-debug.yml", ports),
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    return files.map(\.0)
}

// MARK: - Running

do {
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
} catch { fail("cannot create \(work): \(error)") }
defer { try? FileManager.default.removeItem(atPath: work) }

let repositoryPaths = [root + "/manifests", root + "/inventories"]
let repositoryFiles = repositoryPaths.flatMap(yamlFiles(under:))
let repositoryCompose = repositoryFiles.filter(isComposeFile)
let generated: [String]
do { generated = try generateProject(in: work, services: serviceCount) } catch { fail("cannot write the generated project: \(error)") }
let generatedBytes = generated.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }

func summary(_ diagnostics: [Diagnostic]) -> String {
    let errors = diagnostics.filter { $0.severity == .error }.count
    return "\(errors) errors, \(diagnostics.count - errors) warnings"
}

let repositoryDiagnostics = ManifestValidator.validate(paths: repositoryPaths)
let repositoryFindings = summary(repositoryDiagnostics)
let ourRepository = measure(runs) { _ = ManifestValidator.validate(paths: repositoryPaths) }
let ourRepositoryCompose = measure(runs) { _ = ManifestValidator.validate(paths: repositoryCompose) }
let generatedDiagnostics = ManifestValidator.validateCompose(files: generated)
let generatedFindings = summary(generatedDiagnostics)
if arguments.contains("--findings") {
    for diagnostic in repositoryDiagnostics + generatedDiagnostics {
        print(diagnostic.description.replacingOccurrences(of: root + "/", with: "").replacingOccurrences(of: work + "/", with: ""))
    }
    print("")
}
let ourGenerated = measure(runs) { _ = ManifestValidator.validateCompose(files: generated) }

let schemaFile = (try? FileManager.default.contentsOfDirectory(atPath: root + "/.venv-bench/lib"))?
    .map { root + "/.venv-bench/lib/\($0)/site-packages/check_jsonschema/builtin_schemas/vendor/compose-spec.json" }
    .first { FileManager.default.fileExists(atPath: $0) }
guard let schemaFile else { fail("check-jsonschema in .venv-bench ships no compose-spec.json; run scripts/bench-venv.sh again") }
let versionLog = work + "/version.log"
_ = run(checkJSONSchema, ["--version"], log: versionLog)
let referenceVersion = ((try? String(contentsOfFile: versionLog, encoding: .utf8)) ?? "")
    .trimmingCharacters(in: .whitespacesAndNewlines)

/// check-jsonschema over `files`: one process, then one process per file; the medians, and whether
/// every file passed the schema.
func reference(_ files: [String]) -> (oneProcess: Double, perFile: Double, verdict: String) {
    let log = work + "/check-jsonschema.log"
    let status = run(checkJSONSchema, ["--schemafile", schemaFile] + files, log: log)
    let verdict = status == 0 ? "schema ok" : "schema rejected (exit \(status)); its output is printed above"
    if status != 0 { print((try? String(contentsOfFile: log, encoding: .utf8)) ?? "") }
    let one = measure(referenceRuns) { _ = run(checkJSONSchema, ["--schemafile", schemaFile] + files, log: log) }
    let each = measure(referenceRuns) {
        for file in files { _ = run(checkJSONSchema, ["--schemafile", schemaFile, file], log: log) }
    }
    return (one, each, verdict)
}
let referenceRepository = reference(repositoryCompose)
let referenceGenerated = reference(generated)

// MARK: - Report

func ms(_ value: Double) -> String { String(format: "%.2f ms", value * 1000) }
func rate(_ files: Int, _ value: Double) -> String { String(format: "%.0f", Double(files) / value) }
func ratio(_ theirs: Double, _ ours: Double) -> String { String(format: "×%.0f", theirs / ours) }

print("deployer validate — median of \(runs) runs in process (release build)\n")
print("| workload | files | median | per file | files/s | findings |")
print("|:---------|------:|-------:|---------:|--------:|:---------|")
print("| manifests/ + inventories/ (everything) | \(repositoryFiles.count) | \(ms(ourRepository)) | \(ms(ourRepository / Double(repositoryFiles.count))) | \(rate(repositoryFiles.count, ourRepository)) | \(repositoryFindings) |")
print("| the repository's compose files | \(repositoryCompose.count) | \(ms(ourRepositoryCompose)) | \(ms(ourRepositoryCompose / Double(repositoryCompose.count))) | \(rate(repositoryCompose.count, ourRepositoryCompose)) | |")
print("| generated: \(serviceCount) services + 3 overlays, merged (\(generatedBytes / 1024) KiB) | \(generated.count) | \(ms(ourGenerated)) | \(ms(ourGenerated / Double(generated.count))) | \(rate(generated.count, ourGenerated)) | \(generatedFindings) |")
print("")
print("Reference: \(referenceVersion), --schemafile \(schemaFile.replacingOccurrences(of: root + "/", with: ""))")
print("(the compose-spec schema vendored in the check-jsonschema package from PyPI); median of \(referenceRuns) runs\n")
print("| compose files | files | deployer | check-jsonschema, 1 process | per-file processes | deployer faster by | schema verdict |")
print("|:--------------|------:|---------:|----------------------------:|-------------------:|-------------------:|:---------------|")
print("| the repository's | \(repositoryCompose.count) | \(ms(ourRepositoryCompose)) | \(ms(referenceRepository.oneProcess)) | \(ms(referenceRepository.perFile)) | \(ratio(referenceRepository.oneProcess, ourRepositoryCompose)) (\(ratio(referenceRepository.perFile, ourRepositoryCompose)) per file) | \(referenceRepository.verdict) |")
print("| generated \(serviceCount)-service + 3 overlays | \(generated.count) | \(ms(ourGenerated)) | \(ms(referenceGenerated.oneProcess)) | \(ms(referenceGenerated.perFile)) | \(ratio(referenceGenerated.oneProcess, ourGenerated)) (\(ratio(referenceGenerated.perFile, ourGenerated)) per file) | \(referenceGenerated.verdict) |")
let target = ourRepository < 0.100 ? "met" : "NOT met"
print("\nTarget: the whole repository's manifests in under 100 ms: \(target) (\(ms(ourRepository))).")

// MARK: - Whole processes, as a user runs them

/// The median wall time of `runs` runs of the release `deployer` with `args` in the repository's root
/// (after one warm-up run), and its exit status.
func processTime(_ deployer: String, _ args: [String], runs: Int) -> (seconds: Double, status: Int32) {
    var status = ((try? Spawn.run(deployer, args)) ?? -1)
    var times: [Double] = []
    for _ in 0..<runs {
        let began = ContinuousClock.now
        status = ((try? Spawn.run(deployer, args)) ?? -1)
        times.append(seconds(ContinuousClock.now - began))
    }
    return (median(times), status)
}

let deployer = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("deployer").path
if FileManager.default.isExecutableFile(atPath: deployer) {
    _ = FileManager.default.changeCurrentDirectoryPath(root)
    let processRuns = max(runs, 20)
    let validate = processTime(deployer, ["validate"], runs: processRuns)
    let version = processTime(deployer, ["--version"], runs: processRuns)
    let commands = [
        "plan", "deploy", "rollback", "status", "history", "report", "drain", "restore", "resume", "abort", "validate", "compose",
        "helm", "lock", "state", "simulate",
    ]
    var helps: [(String, Double)] = [("deployer --help", processTime(deployer, ["--help"], runs: processRuns).seconds)]
    for command in commands { helps.append(("deployer \(command) --help", processTime(deployer, [command, "--help"], runs: processRuns).seconds)) }
    let slowest = helps.max { $0.1 < $1.1 }!
    print("\nWhole processes (release build, median of \(processRuns) runs each, from the repository's root):\n")
    print("| command | median | |")
    print("|:--------|-------:|:--|")
    print("| `deployer --version` (start-up and exit, nothing else) | \(ms(version.seconds)) | |")
    print("| `deployer validate` (manifests/ and inventories/) | \(ms(validate.seconds)) | \(ms(ourRepository)) of it validating, in process |")
    print("| `--help` of the root and all \(commands.count) commands: median | \(ms(median(helps.map(\.1)))) | |")
    print("| … the slowest (`\(slowest.0)`) | \(ms(slowest.1)) | |")
    let validateMet = validate.seconds < 0.100 ? "met" : "NOT met"
    let helpMet = slowest.1 < 0.020 ? "met" : "NOT met"
    print("\nTargets: `deployer validate` under 100 ms as a process: \(validateMet) (\(ms(validate.seconds))); "
        + "every `--help` under 20 ms: \(helpMet) (slowest \(ms(slowest.1))).")
} else {
    print("\nWhole processes: skipped (build the release deployer first: make release)")
}
