import ArgumentParser
import Foundation

struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send GET requests to loopback URLs and count what fails.",
        discussion: """
            --concurrency worker threads send GET requests round-robin across the URLs, each on a fresh connection \
            with `Connection: close` and a 5 s timeout, until --duration or --max-requests is reached, \
            SIGINT/SIGTERM arrives, or the --stop-file exists. Only a complete HTTP 200 counts as ok.
            Prints `load: N sent, N ok, N failed over X.XX s (R req/s)` and the commonest failure reasons, \
            or with --json one object {"sent","ok","failed","seconds","failures"}.
            Exit status: 0 when nothing failed, 1 otherwise, 2 for a URL that is not loopback.
            """)

    @Option(name: .customLong("url"), help: ArgumentHelp("http://127.0.0.1:PORT/path (repeatable; 127.0.0.0/8, localhost, ::1 only).", valueName: "url"))
    var urls: [String] = []

    @Option(help: "Number of worker threads.")
    var concurrency = 4

    @Option(help: ArgumentHelp("How long to run: 500ms, 30s, 2m.", valueName: "duration"))
    var duration = LabDuration(milliseconds: 30_000)

    @Option(help: "Stop after this many requests.")
    var maxRequests = 100_000

    @Option(help: ArgumentHelp("Stop as soon as this file exists (checked every 50 ms).", valueName: "file"))
    var stopFile: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard !urls.isEmpty else { throw ValidationError("give at least one --url") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 256") }
        guard maxRequests >= 1 else { throw ValidationError("--max-requests must be at least 1") }
    }

    func run() throws {
        var targets: [LoadTarget] = []
        for url in urls {
            do {
                targets.append(try LoadTarget(url: url))
            } catch {
                Console.error("error: \(error.message)")
                throw ExitCode(2)
            }
        }
        let plan = LoadPlan(
            targets: targets, concurrency: concurrency, duration: duration.duration, maxRequests: maxRequests,
            stopFile: stopFile, requestTimeout: .seconds(5))
        let report = try LoadGenerator(plan: plan).run()
        print(json ? Self.json(report) : Self.text(report))
        if report.failed > 0 { throw ExitCode(1) }
    }

    static func text(_ report: LoadReport) -> String {
        let rate = report.seconds > 0 ? Double(report.sent) / report.seconds : 0
        var lines = [
            "load: \(report.sent) sent, \(report.ok) ok, \(report.failed) failed over "
                + "\(String(format: "%.2f", report.seconds)) s (\(String(format: "%.1f", rate)) req/s)"
        ]
        for failure in report.topFailures() {
            lines.append("  \(failure.count) \(failure.reason)")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ report: LoadReport) -> String {
        let failures = report.failures.keys.sorted().map { "\(quoted($0)):\(report.failures[$0] ?? 0)" }
        return "{\"sent\":\(report.sent),\"ok\":\(report.ok),\"failed\":\(report.failed),"
            + "\"seconds\":\(String(format: "%.3f", report.seconds)),\"failures\":{\(failures.joined(separator: ","))}}"
    }

    private static func quoted(_ text: String) -> String {
        guard let data = try? JSONEncoder().encode(text) else { return "\"?\"" }
        return String(decoding: data, as: UTF8.self)
    }
}
