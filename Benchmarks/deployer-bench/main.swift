// Orchestration cost of a rolling deploy on simulated fleets: no latency (virtual clock), two pools,
// batches of 10%, max-unavailable 10%, min-in-service 90%, no events, the invariant monitor off.
//
//   deployer-bench                         every size, each in a fresh child process; prints a table
//   deployer-bench --size N [--file-journal] [--repetitions R]
//                                          one size in this process; prints one line for the parent

import Deployer
import Foundation
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
    }
} catch {
    FileHandle.standardError.write(Data("deployer-bench: \(error)\n".utf8))
    exit(1)
}
