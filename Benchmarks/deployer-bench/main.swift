// Orchestration cost of a rolling deploy on simulated fleets: no latency (virtual clock), two pools,
// batches of 10%, max-unavailable 10%, min-in-service 90%, no events, the invariant monitor off.
//
//   deployer-bench                         every size, each in a fresh child process; prints a table,
//                                          then the report at 1,000 targets (needs the release deployer)
//   deployer-bench --size N [--file-journal] [--repetitions R]
//                                          one size in this process; prints one line for the parent

import Deployer
import Foundation
import LabSupport
import Synchronization
import Manifests
import Providers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Measurement {
    var size: Int
    var fileJournal: Bool
    var batches: Int
    var seconds: [Double]
    var peakBytes: Int

    var median: Double {
        let sorted = seconds.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    var line: String {
        "\(size) \(fileJournal ? 1 : 0) \(batches) \(peakBytes) " + seconds.map { String($0) }.joined(separator: " ")
    }

    init(size: Int, fileJournal: Bool, batches: Int, seconds: [Double], peakBytes: Int) {
        self.size = size
        self.fileJournal = fileJournal
        self.batches = batches
        self.seconds = seconds
        self.peakBytes = peakBytes
    }

    init?(line: String) {
        let fields = line.split(separator: " ")
        guard fields.count >= 5, let size = Int(fields[0]), let batches = Int(fields[2]),
            let peak = Int(fields[3])
        else { return nil }
        self.init(
            size: size, fileJournal: fields[1] == "1", batches: batches,
            seconds: fields.dropFirst(4).compactMap { Double($0) }, peakBytes: peak)
    }
}

/// The process's peak resident set so far (ru_maxrss is in kilobytes on Linux, bytes on macOS).
func peakResidentBytes() -> Int {
    var usage = rusage()
    #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)
    #else
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    #endif
}

/// Counts batches and drops every other event (reading the journal back would double its memory).
final class BatchCounter: EventSink {
    private let started = Mutex(0)
    var count: Int { started.withLock { $0 } }
    func emit(_ event: DeployEvent) {
        if case .batchStarted = event { started.withLock { $0 += 1 } }
    }
}

/// One deploy of a fresh fleet of `size`; returns its wall time and the number of batches it ran.
func deployOnce(size: Int, fileJournal: Bool) async throws -> (seconds: Double, batches: Int) {
    let width = String(size).count
    let names = (1...size).map { "i" + String(repeating: "0", count: width - String($0).count) + String($0) }
    let clock = VirtualClock()
    let batches = BatchCounter()
    let world = SimulatedWorld(
        state: SimulatedFleetState(names: names, version: "v1", pools: ["lb-1", "lb-2"]), clock: clock, floor: nil)
    let engine = DeployEngine(
        DeployContext(
            fleet: world, traffic: world, health: world, lock: InMemoryDeployLock(), clock: clock,
            events: batches, pollInterval: .seconds(1)))
    let strategy = Strategy(
        batches: [.percent(10)], maxUnavailable: .percent(10), maxFailures: 0, minInService: .percent(90))
    let request = DeployRequest(
        environment: "bench", version: "v2", strategy: strategy, hasPrepare: false, deployID: "bench",
        holder: LockInfo(user: "bench", host: "bench", pid: getpid(), since: Date(), deployID: "bench", command: "deploy"))
    let journal: any Journal
    var path: String?
    if fileJournal {
        let directory = NSTemporaryDirectory() + "deployer-bench-\(getpid())-\(UUID().uuidString)"
        path = directory
        journal = try await StateStore(LocalStateBackend(directory: directory)).journal("bench")
    } else {
        journal = InMemoryJournal()
    }
    defer { if let path { try? FileManager.default.removeItem(atPath: path) } }

    let began = ContinuousClock.now
    let summary = try await engine.deploy(request, journal: journal)
    let elapsed = ContinuousClock.now - began

    guard summary.outcome == .succeeded, summary.targets.count == size else {
        throw DeployerError("the benchmark deploy of \(size) ended \(summary.outcome.rawValue)")
    }
    return (elapsed.seconds, batches.count)
}

func measure(size: Int, fileJournal: Bool, repetitions: Int) async throws -> Measurement {
    var seconds: [Double] = []
    var batches = 0
    var peak = 0
    for repetition in 0..<repetitions {
        let run = try await deployOnce(size: size, fileJournal: fileJournal)
        seconds.append(run.seconds)
        batches = run.batches
        // The peak of one deploy: later repetitions only add the allocator's leftovers from earlier ones.
        if repetition == 0 { peak = peakResidentBytes() }
    }
    return Measurement(size: size, fileJournal: fileJournal, batches: batches, seconds: seconds, peakBytes: peak)
}

/// Runs one size in a fresh child process of this executable, so its peak memory is its own.
func measureInChild(size: Int, fileJournal: Bool, repetitions: Int) throws -> Measurement {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    child.arguments =
        ["--size", String(size), "--repetitions", String(repetitions)] + (fileJournal ? ["--file-journal"] : [])
    let output = Pipe()
    child.standardOutput = output
    try child.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    child.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard child.terminationStatus == 0, let measurement = Measurement(line: text.trimmingCharacters(in: .whitespacesAndNewlines))
    else {
        throw DeployerError("the benchmark of \(size) failed (exit \(child.terminationStatus)): \(text)")
    }
    return measurement
}

func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

let arguments = CommandLine.arguments.dropFirst()
func option(_ name: String) -> Int? {
    guard let index = arguments.firstIndex(of: name), arguments.index(after: index) < arguments.endIndex else {
        return nil
    }
    return Int(arguments[arguments.index(after: index)])
}

/// Runs `executable` to its end in `directory`; returns the seconds it took and its exit status.
func timed(_ executable: String, _ arguments: [String], in directory: String) throws -> (seconds: Double, status: Int32) {
    _ = FileManager.default.changeCurrentDirectoryPath(directory)
    let started = Date()
    let status = try Spawn.run(executable, arguments)
    return (Date().timeIntervalSince(started), status)
}

/// The deploy report at 1,000 simulated targets, as a user makes and opens it: `deployer report` (a
/// whole process, from the journal) and headless Chromium drawing the page to a PNG.
func reportAtScale() throws {
    let deployer = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("deployer").path
    let chromium = "/usr/bin/chromium"
    guard FileManager.default.isExecutableFile(atPath: deployer), FileManager.default.isExecutableFile(atPath: chromium) else {
        print("\nReport at 1,000 targets: skipped (needs \(deployer) — `make release` — and \(chromium))")
        return
    }
    let directory = NSTemporaryDirectory() + "deployer-bench-report-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory + "/inventories", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try """
        targets:
          simulated: {count: 1000, name-prefix: web-, initial-version: v1}
        load-balancers:
          - simulated: {name: lb-1}
        deploy:
          simulated: {duration: 0s}
        strategy: {batch: 10%, max-unavailable: 100, min-in-service: 850}

        """.write(toFile: directory + "/inventories/big.yml", atomically: true, encoding: .utf8)
    let deploy = try timed(deployer, ["deploy", "big", "--yes", "--version", "v2", "--output", "json"], in: directory)
    guard deploy.status == 0 else { throw BenchFailure(message: "the 1,000-target deploy exited \(deploy.status)") }
    var builds: [Double] = []
    var renders: [Double] = []
    for attempt in 0..<5 {
        let build = try timed(deployer, ["report", "big", "-o", "report.html"], in: directory)
        guard build.status == 0 else { throw BenchFailure(message: "deployer report exited \(build.status)") }
        builds.append(build.seconds)
        let render = try timed(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(directory)/profile-\(attempt)",
                "--window-size=1040,900", "--screenshot=\(directory)/report.png", "file://\(directory)/report.html",
            ], in: directory)
        guard render.status == 0 else { throw BenchFailure(message: "chromium exited \(render.status)") }
        renders.append(render.seconds)
    }
    let size = (try FileManager.default.attributesOfItem(atPath: directory + "/report.html")[.size] as? Int) ?? 0
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print("\n| report at 1,000 targets | median s | min s |")
    print("|:------------------------|---------:|------:|")
    print("| `deployer report -o report.html` (\(size / 1024) KiB, whole process) | \(format(median(builds), 3)) | \(format(builds.min() ?? 0, 3)) |")
    print("| headless Chromium draws it to a PNG (whole process) | \(format(median(renders), 3)) | \(format(renders.min() ?? 0, 3)) |")
    let met = median(builds) + median(renders) < 10
    print("\nTarget: a 1,000-target report built and drawn in < 10 s — \(met ? "met" : "NOT met")")
}

struct BenchFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

do {
    if let size = option("--size") {
        let measurement = try await measure(
            size: size, fileJournal: arguments.contains("--file-journal"), repetitions: option("--repetitions") ?? 5)
        print(measurement.line)
    } else {
        let runs: [(size: Int, fileJournal: Bool, repetitions: Int)] = [
            (100, false, 9), (1_000, false, 7), (10_000, false, 5), (1_000, true, 3),
        ]
        var rows: [Measurement] = []
        print("| fleet | journal | batches | median s | min s | targets/s | peak MB |")
        print("|------:|:--------|--------:|---------:|------:|----------:|--------:|")
        for run in runs {
            let row = try measureInChild(size: run.size, fileJournal: run.fileJournal, repetitions: run.repetitions)
            rows.append(row)
            let best = row.seconds.min() ?? 0
            print(
                "| \(row.size) | \(row.fileJournal ? "file (fsync)" : "memory") | \(row.batches) | "
                    + "\(format(row.median, 3)) | \(format(best, 3)) | \(format(Double(row.size) / row.median, 0)) | "
                    + "\(format(Double(row.peakBytes) / 1_048_576, 1)) |")
        }
        if let large = rows.first(where: { $0.size == 10_000 && !$0.fileJournal }) {
            let peakMB = Double(large.peakBytes) / 1_048_576
            let met = large.median < 2 && peakMB < 100
            print(
                "\nTarget: 10,000 instances in < 2 s and < 100 MB — \(met ? "met" : "NOT met") "
                    + "(median \(format(large.median, 3)) s, peak \(format(peakMB, 1)) MB)")
        }
        try reportAtScale()
    }
} catch {
    FileHandle.standardError.write(Data("deployer-bench: \(error)\n".utf8))
    exit(1)
}
