import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The report's picture checked against the journal it was drawn from: every target's row holds a
/// segment for each step the journal has, in order; the capacity line stays above the floor; the SVG
/// parses as XML and the HTML as a browser parses it. At 6 targets, after an interrupted deploy, and at
/// 1,000 targets, where the picture folds into batches and the slowest targets.
@Suite(.serialized) struct ReportStructureTests {
    /// What the SVG draws: rows (a label and the tooltips of its segments, in order), the capacity
    /// line's y values and the floor line's y.
    final class Picture: NSObject, XMLParserDelegate {
        var rows: [(label: String, segments: [String])] = []
        var capacity: [Double] = []
        var floorY: Double?
        private var text = ""
        private var stack: [(name: String, attributes: [String: String])] = []
        private var pendingLineY: Double?

        static func parse(_ svg: String) throws -> Picture {
            let picture = Picture()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = picture
            guard parser.parse() else {
                throw ParseFailure(description: "the SVG does not parse: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)")
            }
            return picture
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            stack.append((name, attributes))
            text = ""
            if name == "polyline", attributes["stroke"] == "#2fa86a" {
                capacity = (attributes["points"] ?? "").split(separator: " ").compactMap { pair in
                    pair.split(separator: ",").last.flatMap { Double($0) }
                }
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let element = stack.removeLast()
            let content = text
            text = ""
            switch name {
            case "text" where element.attributes["text-anchor"] == "end" && stack.count == 1:
                rows.append((content, []))
            case "title":
                guard let parent = stack.last else { return }
                if parent.name == "rect", parent.attributes["opacity"] == nil, !rows.isEmpty, parent.attributes["fill"] != "none" {
                    rows[rows.count - 1].segments.append(content)
                }
                if parent.name == "line", content.hasPrefix("floor:") { floorY = parent.attributes["y1"].flatMap(Double.init) }
            default:
                break
            }
        }
    }

    struct ParseFailure: Error, CustomStringConvertible { var description: String }

    /// Each target's finished steps, in order, as the journal has them: "drain on lb-1", "update", …
    static func journalSteps(_ scratch: Scratch, environment: String, stateDirectory: String? = nil) throws -> [String: [String]] {
        let directory = (stateDirectory ?? scratch.path + "/inventories/.deployer") + "/\(environment)/journal"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }.sorted()
        let text = try String(contentsOfFile: directory + "/" + (files.last ?? ""), encoding: .utf8)
        var steps: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            guard let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                record["kind"] as? String == "step-finished", let target = record["target"] as? String, let step = record["step"] as? String
            else { continue }
            steps[target, default: []].append(step + ((record["pool"] as? String).map { " on \($0)" } ?? ""))
        }
        return steps
    }

    static func expectRowsMatchTheJournal(_ picture: Picture, _ journal: [String: [String]], targets: [String]) {
        let rows = Dictionary(picture.rows.map { ($0.label, $0.segments) }, uniquingKeysWith: { first, _ in first })
        for target in targets {
            guard let segments = rows[target] else {
                Issue.record("\(target) has no row in the picture")
                continue
            }
            let drawn = segments.map { tip in String(tip.split(separator: ",").first ?? "") }
            #expect(drawn == journal[target] ?? [], "\(target): the picture's segments \(drawn) against the journal's \(journal[target] ?? [])")
        }
    }

    static func expectCapacityAboveTheFloor(_ picture: Picture) throws {
        let floor = try #require(picture.floorY, "the floor is drawn")
        #expect(!picture.capacity.isEmpty, "the capacity line is drawn")
        // SVG y grows downwards: more targets in service is a smaller y.
        #expect(picture.capacity.allSatisfy { $0 <= floor + 0.05 }, "the capacity line never goes below the floor")
    }

    @Test func theTimelineHasEveryStepTheJournalHasAndTheCapacityStaysAboveTheFloor() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(count: 6, batch: "2", maxUnavailable: 2, minInService: 4, duration: "50ms"))
        defer { scratch.remove() }
        let deploy = try DeployerProcess.run(["deploy", "sim", "--yes", "--version", "v2"], in: scratch.path)
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let svg = try DeployerProcess.run(["report", "sim", "--format", "svg"], in: scratch.path)
        #expect(svg.status == 0)
        let picture = try Picture.parse(svg.stdout)
        let targets = (1...6).map { "web-\($0)" }
        #expect(picture.rows.map(\.label).filter { $0.hasPrefix("web-") } == targets, "one row per target, in order")
        Self.expectRowsMatchTheJournal(picture, try Self.journalSteps(scratch, environment: "sim"), targets: targets)
        try Self.expectCapacityAboveTheFloor(picture)

        let html = try DeployerProcess.run(["report", "sim", "-o", "report.html"], in: scratch.path)
        #expect(html.status == 0)
        let dom = try Chromium.dom(of: scratch.path + "/report.html", scratch: scratch.path)
        #expect(dom.contains("<table class=\"targets\">"), "the browser found the targets' table")
        #expect(dom.components(separatedBy: "<svg").count == 2, "one inline picture")
        for target in targets { #expect(dom.contains("<td>\(target)</td>"), "\(target) has its line in the table") }
    }

    /// `make demo`'s own deploy: the repository's inventories/simulated.yml, state in a scratch directory.
    @Test func theDemoReportMatchesItsJournal() throws {
        let scratch = try Scratch(yaml: "{}")
        defer { scratch.remove() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let state = scratch.path + "/state"
        let deploy = try DeployerProcess.run(
            ["deploy", root + "/inventories/simulated.yml", "--yes", "--state-dir", state, "--report", scratch.path + "/report.html"],
            in: scratch.path, timeout: 120)
        #expect(deploy.status == 0, "\(deploy.stderr)")
        let html = try String(contentsOfFile: scratch.path + "/report.html", encoding: .utf8)
        let start = try #require(html.range(of: "<svg")), end = try #require(html.range(of: "</svg>"))
        let picture = try Picture.parse(String(html[start.lowerBound..<end.upperBound]))
        let targets = (1...8).map { "web-\($0)" }
        Self.expectRowsMatchTheJournal(picture, try Self.journalSteps(scratch, environment: "simulated", stateDirectory: state), targets: targets)
        try Self.expectCapacityAboveTheFloor(picture)
    }

    @Test func anInterruptedDeployIsReportedAsFarAsItWent() throws {
        let scratch = try Scratch(yaml: Scratch.simulated(count: 6, batch: "1", maxUnavailable: 1, minInService: 5, duration: "400ms"))
        defer { scratch.remove() }
        let running = try DeployerProcess.start(["deploy", "sim", "--yes", "--version", "v2", "--report", "report.html"], in: scratch.path)
        // Stop it once the second target has started.
        let journalDirectory = scratch.path + "/inventories/.deployer/sim/journal"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: journalDirectory)) ?? []
            let text = files.first.flatMap { try? String(contentsOfFile: journalDirectory + "/" + $0, encoding: .utf8) } ?? ""
            if text.components(separatedBy: "\"kind\":\"target-started\"").count > 2 { break }
            usleep(20_000)
        }
        kill(running.process.processIdentifier, SIGTERM)
        let status = running.wait(timeout: 30)
        #expect(status == 5, "interrupted (exit 5): \(status.map(String.init) ?? "still running")")
        let json = try DeployerProcess.run(["report", "sim", "--format", "json"], in: scratch.path)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["outcome"] as? String == "interrupted", "\(json.stdout.prefix(400))")
        let written = try String(contentsOfFile: scratch.path + "/report.html", encoding: .utf8)
        #expect(written.contains("— interrupted</h1>"), "deploy --report wrote the report when it was interrupted")

        let svg = try DeployerProcess.run(["report", "sim", "--format", "svg"], in: scratch.path)
        let picture = try Picture.parse(svg.stdout)
        let journal = try Self.journalSteps(scratch, environment: "sim")
        Self.expectRowsMatchTheJournal(picture, journal, targets: journal.keys.sorted())
        #expect(journal.count < 6, "the deploy stopped part-way: \(journal.keys.sorted())")
        try Self.expectCapacityAboveTheFloor(picture)
    }

    /// 1,000 targets in 10 batches: the picture folds into one row per batch and the 10 slowest
    /// targets; the table still has every target; the page stays small and a browser parses it.
    @Test func aThousandTargetsFoldIntoBatchesAndTheSlowest() throws {
        let yaml = Scratch.simulated(count: 1000, batch: "10%", maxUnavailable: 100, minInService: 850, duration: "0s")
        let scratch = try Scratch(yaml: yaml)
        defer { scratch.remove() }
        let deploy = try DeployerProcess.run(["deploy", "sim", "--yes", "--version", "v2", "--output", "json"], in: scratch.path, timeout: 300)
        #expect(deploy.status == 0, "\(deploy.stderr.suffix(2000))")
        let svg = try DeployerProcess.run(["report", "sim", "--format", "svg"], in: scratch.path)
        let picture = try Picture.parse(svg.stdout)
        let labels = picture.rows.map(\.label)
        #expect(labels.filter { $0.hasPrefix("batch ") }.count == 10, "\(labels)")
        #expect(labels.filter { $0.hasPrefix("slowest: web-") }.count == 10, "\(labels)")
        try Self.expectCapacityAboveTheFloor(picture)

        let html = try DeployerProcess.run(["report", "sim", "-o", "report.html"], in: scratch.path)
        #expect(html.status == 0)
        let size = (try FileManager.default.attributesOfItem(atPath: scratch.path + "/report.html")[.size] as? Int) ?? 0
        #expect(size < 2_000_000, "the page stays small enough to open and print: \(size) bytes")
        let dom = try Chromium.dom(of: scratch.path + "/report.html", scratch: scratch.path)
        #expect(dom.components(separatedBy: "<tr").count - 1 >= 1000 + 1, "a line per target in the table")
        #expect(dom.contains("<td>web-0001</td>") && dom.contains("<td>web-1000</td>"))
        // Drawn by a real browser, within the run's 90 s limit (the benchmark measures how long it takes).
        try Chromium.screenshot(of: scratch.path + "/report.html", scratch: scratch.path)
    }
}
