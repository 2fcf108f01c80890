import Deployer
import Foundation

/// A deploy report as one self-contained HTML page (inline SVG and CSS, no script, nothing fetched),
/// as the SVG timeline alone, as markdown, or as JSON.
enum ReportRenderer {
    enum Format: String, CaseIterable {
        case html, svg, markdown, json

        /// The format a file name asks for (`.html`, `.svg`, `.md`, `.json`), if any.
        init?(fileName: String) {
            switch (fileName as NSString).pathExtension.lowercased() {
            case "html", "htm": self = .html
            case "svg": self = .svg
            case "md", "markdown": self = .markdown
            case "json": self = .json
            default: return nil
            }
        }
    }

    static func render(_ report: DeployReport, as format: Format) -> String {
        switch format {
        case .html: return html(report)
        case .svg: return svg(report, standalone: true)
        case .markdown: return markdown(report)
        case .json: return JSONText.pretty(report)
        }
    }

    // MARK: Words

    static func exitCode(_ report: DeployReport) -> Int32? {
        guard let outcome = report.outcome else { return nil }
        if outcome == "interrupted" { return ExitStatus.interrupted.rawValue }
        return DeploySummary.Outcome(rawValue: outcome).map { ExitStatus($0).rawValue }
    }

    static func resultText(_ report: DeployReport) -> String {
        guard let outcome = report.outcome else { return "unfinished (the journal ends here)" }
        let code = exitCode(report).map { " (exit \($0))" } ?? ""
        return outcome + code + (report.stopReason.map { ": \($0)" } ?? "")
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : "\(Int(seconds) / 60) min \(String(format: "%02d", Int(seconds) % 60)) s"
    }

    static func targetResult(_ target: DeployReport.Target) -> String {
        switch target.outcome {
        case "updated"?: return "updated \(target.fromVersion ?? "?") → \(target.version ?? "?")"
        case "rolled-back"?: return "rolled back to \(target.version ?? "?")"
        case "failed"?: return "FAILED: \(target.message ?? "")"
        case "released"?: return "put back before its update (not deployed)"
        case let other?: return other + (target.message.map { ": \($0)" } ?? "")
        case nil: return "unfinished"
        }
    }

    static func header(_ report: DeployReport) -> [(String, String)] {
        [
            ("environment", report.environment),
            ("versions", (report.fromVersions.isEmpty ? "?" : report.fromVersions.joined(separator: ", ")) + " → " + report.version),
            ("who", "\(report.user ?? "?")@\(report.host ?? "?")"),
            ("when", report.startedAt.formatted(.iso8601)),
            ("duration", duration(report.seconds)),
            ("result", resultText(report)),
            ("deploy", report.deployID),
        ]
    }

    // MARK: Markdown

    static func markdown(_ report: DeployReport) -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = ["### Deploy of \(cell(report.version)) to \(cell(report.environment)): \(cell(resultText(report)))", ""]
        out += ["| | |", "| --- | --- |"] + header(report).map { "| \($0.0) | \(cell($0.1)) |" }
        if let lowest = report.lowestInService {
            out.append("| capacity | at least \(lowest) in service" + (report.minInService.map { " (floor \($0))" } ?? "") + " |")
        }
        out.append("")
        if !report.targets.isEmpty {
            out += ["| target | batch | result | took | out of service |", "| --- | --- | --- | --- | --- |"]
            for target in report.targets {
                out.append(
                    "| \(cell(target.target)) | \(target.batch.map(String.init) ?? "") | \(cell(targetResult(target))) | "
                        + "\(target.seconds.map(duration) ?? "") | \(duration(target.outOfService)) |")
            }
            out.append("")
        }
        for bake in report.bakes {
            out.append("- canary \(bake.targets.joined(separator: ", ")): " + (bake.passed.map { $0 ? "passed" : "FAILED" } ?? "baking") + (bake.reason.map { ", \(cell($0))" } ?? ""))
        }
        for hook in report.hooks { out.append("- \(cell(hook))") }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: SVG

    static let colors: [String: String] = [
        "prepare": "#9aa5b1", "drain": "#f0a030", "wait-drained": "#f6cf6b", "update": "#4a7fe0", "verify": "#8a63d2",
        "restore": "#2fa86a", "confirm": "#1f6f47", "canary": "#18a0b4",
    ]
    static let legendOrder = ["prepare", "drain", "wait-drained", "update", "verify", "restore", "confirm", "canary"]

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The rows to draw: every target, or, past 40 of them, one row per batch and the 10 slowest targets.
    static func rows(_ report: DeployReport) -> [(label: String, segments: [DeployReport.Segment], note: String?)] {
        if report.targets.count <= 40 {
            return report.targets.map { ($0.target, $0.segments, $0.outcome == "failed" ? $0.message : nil) }
        }
        var rows: [(String, [DeployReport.Segment], String?)] = report.batches.map { batch in
            let members = report.targets.filter { $0.batch == batch.index }
            let failed = members.filter { $0.outcome == "failed" }.count
            let segment = DeployReport.Segment(
                step: "update", pool: nil, start: batch.start, end: batch.end, ok: failed == 0,
                message: "\(members.count) target(s), \(failed) failed", rollback: false)
            return ("batch \(batch.index) (\(members.count))", [segment], failed > 0 ? "\(failed) failed" : nil)
        }
        let slowest = report.targets.sorted { ($0.seconds ?? 0) > ($1.seconds ?? 0) }.prefix(10)
        rows += slowest.map { ("slowest: \($0.target)", $0.segments, $0.outcome == "failed" ? $0.message : nil) }
        return rows
    }

    static func svg(_ report: DeployReport, standalone: Bool) -> String {
        let rows = rows(report)
        let labelWidth = 170.0, chartWidth = 760.0, rowHeight = 18.0, top = 28.0
        let total = max(report.seconds, 0.001)
        func x(_ t: Double) -> Double { labelWidth + t / total * chartWidth }
        let timelineHeight = top + Double(rows.count) * rowHeight + 8
        let capacityTop = timelineHeight + 24, capacityHeight = 90.0
        let height = capacityTop + capacityHeight + 64
        let width = labelWidth + chartWidth + 70
        var out: [String] = []
        out.append(
            "<svg\(standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "") viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" "
                + "height=\"\(Int(height))\" font-family=\"system-ui, sans-serif\" font-size=\"11\" role=\"img\" "
                + "aria-label=\"Timeline of deploy \(escape(report.deployID))\">")
        if standalone { out.append("<title>\(escape("Deploy of \(report.version) to \(report.environment)"))</title>") }
        // Time axis.
        let ticks = 6
        for index in 0...ticks {
            let t = total * Double(index) / Double(ticks)
            out.append(
                "<line x1=\"\(f(x(t)))\" y1=\"\(f(top - 6))\" x2=\"\(f(x(t)))\" y2=\"\(f(timelineHeight))\" stroke=\"#e3e6ea\"/>"
                    + "<text x=\"\(f(x(t)))\" y=\"\(f(top - 10))\" text-anchor=\"middle\" fill=\"#555\">\(escape(duration(t)))</text>")
        }
        // Batch boundaries.
        for batch in report.batches {
            out.append(
                "<line x1=\"\(f(x(batch.start)))\" y1=\"\(f(top - 4))\" x2=\"\(f(x(batch.start)))\" y2=\"\(f(timelineHeight))\" "
                    + "stroke=\"#888\" stroke-dasharray=\"3 3\"><title>batch \(batch.index): \(escape(batch.targets.joined(separator: ", ")))</title></line>")
        }
        // Canary bakes, behind the rows of their targets.
        for bake in report.bakes {
            let end = bake.end ?? report.seconds
            for (index, row) in rows.enumerated() where bake.targets.contains(row.label) {
                let y = top + Double(index) * rowHeight + 3
                let verdict = bake.passed.map { $0 ? "passed" : "FAILED" } ?? "baking"
                out.append(
                    "<rect x=\"\(f(x(bake.start)))\" y=\"\(f(y))\" width=\"\(f(max(1, x(end) - x(bake.start))))\" height=\"\(f(rowHeight - 6))\" "
                        + "fill=\"\(colors["canary"] ?? "")\" opacity=\"0.55\"><title>canary bake: \(verdict)"
                        + "\(escape(bake.reason.map { ": \($0)" } ?? ""))</title></rect>")
            }
        }
        for (index, row) in rows.enumerated() {
            let y = top + Double(index) * rowHeight
            out.append(
                "<text x=\"\(f(labelWidth - 6))\" y=\"\(f(y + 12))\" text-anchor=\"end\" fill=\"\(row.note == nil ? "#222" : "#b00020")\">"
                    + "\(escape(row.label))</text>")
            for segment in row.segments {
                let end = segment.end ?? report.seconds
                let failed = segment.ok == false
                let tip = "\(segment.rollback ? "rollback: " : "")\(segment.step)\(segment.pool.map { " on \($0)" } ?? ""), "
                    + "\(duration(end - segment.start))" + (failed ? " — FAILED" : "") + (segment.message.map { ": \($0)" } ?? "")
                out.append(
                    "<rect x=\"\(f(x(segment.start)))\" y=\"\(f(y + 3))\" width=\"\(f(max(1.5, x(end) - x(segment.start))))\" "
                        + "height=\"\(f(rowHeight - 6))\" fill=\"\(colors[segment.step] ?? "#999")\""
                        + (segment.rollback ? " fill-opacity=\"0.55\" stroke=\"#444\" stroke-dasharray=\"2 1\"" : "")
                        + (failed ? " stroke=\"#b00020\" stroke-width=\"2\"" : "") + "><title>\(escape(tip))</title></rect>")
                if failed {
                    out.append(
                        "<text x=\"\(f(x(end) + 3))\" y=\"\(f(y + 12))\" fill=\"#b00020\" font-weight=\"bold\">✕<title>\(escape(tip))</title></text>")
                }
            }
        }
        // Capacity: targets in service over time, against the floor.
        let fleet = Double(max(report.fleetSize ?? report.targets.count, 1))
        func cy(_ count: Int) -> Double { capacityTop + capacityHeight - Double(count) / fleet * capacityHeight }
        out.append("<text x=\"\(f(labelWidth - 6))\" y=\"\(f(capacityTop + 10))\" text-anchor=\"end\" fill=\"#222\">in service</text>")
        out.append(
            "<rect x=\"\(f(labelWidth))\" y=\"\(f(capacityTop))\" width=\"\(f(chartWidth))\" height=\"\(f(capacityHeight))\" fill=\"none\" stroke=\"#ccc\"/>")
        var points: [String] = []
        for (index, point) in report.capacity.enumerated() {
            let next = index + 1 < report.capacity.count ? report.capacity[index + 1].at : report.seconds
            points.append("\(f(x(point.at))),\(f(cy(point.inService)))")
            points.append("\(f(x(next))),\(f(cy(point.inService)))")
        }
        out.append("<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"#2fa86a\" stroke-width=\"2\"/>")
        out.append("<text x=\"\(f(labelWidth + chartWidth + 4))\" y=\"\(f(cy(Int(fleet)) + 4))\" fill=\"#555\">\(Int(fleet))</text>")
        if let floor = report.minInService {
            out.append(
                "<line x1=\"\(f(labelWidth))\" y1=\"\(f(cy(floor)))\" x2=\"\(f(labelWidth + chartWidth))\" y2=\"\(f(cy(floor)))\" "
                    + "stroke=\"#b00020\" stroke-dasharray=\"6 3\"><title>floor: min-in-service \(floor)</title></line>"
                    + "<text x=\"\(f(labelWidth + chartWidth + 4))\" y=\"\(f(cy(floor) + 4))\" fill=\"#b00020\">floor \(floor)</text>")
        }
        // Legend.
        var lx = labelWidth
        let ly = capacityTop + capacityHeight + 24
        for step in legendOrder {
            out.append("<rect x=\"\(f(lx))\" y=\"\(f(ly - 9))\" width=\"12\" height=\"10\" fill=\"\(colors[step] ?? "")\"/>")
            out.append("<text x=\"\(f(lx + 16))\" y=\"\(f(ly))\" fill=\"#333\">\(step == "canary" ? "canary bake" : step)</text>")
            lx += Double(step.count) * 6.5 + 34
        }
        out.append(
            "<text x=\"\(f(labelWidth))\" y=\"\(f(ly + 18))\" fill=\"#555\">red outline ✕: a failed step; dashed: a rollback; "
                + "grey dashed lines: batches; hover a segment for its details</text>")
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    // MARK: HTML

    static func html(_ report: DeployReport) -> String {
        var rows = ""
        for (key, value) in header(report) {
            rows += "<tr><th>\(escape(key))</th><td>\(escape(value))</td></tr>\n"
        }
        if let lowest = report.lowestInService {
            rows += "<tr><th>capacity</th><td>at least \(lowest) target(s) in service"
                + (report.minInService.map { " (floor \($0))" } ?? "") + "</td></tr>\n"
        }
        var targets = ""
        for target in report.targets {
            let steps = target.segments.map { segment in
                let end = segment.end.map { duration($0 - segment.start) } ?? "unfinished"
                let failed = segment.ok == false
                return "<li class=\"\(failed ? "failed" : "")\">\(segment.rollback ? "rollback: " : "")\(escape(segment.step))"
                    + "\(segment.pool.map { " on \(escape($0))" } ?? "") at \(duration(segment.start)), \(end)"
                    + (segment.message.map { ": \(escape($0))" } ?? "") + "</li>"
            }.joined()
            targets += "<tr class=\"\(target.outcome == "failed" ? "failed" : "")\"><td>\(escape(target.target))</td>"
                + "<td>\(target.batch.map(String.init) ?? "")</td><td>\(escape(targetResult(target)))</td>"
                + "<td>\(target.seconds.map(duration) ?? "")</td><td>\(duration(target.outOfService))</td>"
                + "<td><ul>\(steps)</ul></td></tr>\n"
        }
        let extras = (report.bakes.map { bake in
            "<li>canary \(escape(bake.targets.joined(separator: ", "))): "
                + (bake.passed.map { $0 ? "passed" : "<strong class=\"failed\">FAILED</strong>" } ?? "baking")
                + (bake.reason.map { " — \(escape($0))" } ?? "") + "</li>"
        } + report.hooks.map { "<li>\(escape($0))</li>" }).joined()
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escape("Deploy of \(report.version) to \(report.environment)"))</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; color: #222; margin: 24px; max-width: 1000px; }
            h1 { font-size: 20px; margin: 0 0 12px; }
            table { border-collapse: collapse; margin: 12px 0 20px; }
            th, td { text-align: left; vertical-align: top; padding: 3px 10px 3px 0; }
            .summary th { color: #555; font-weight: normal; padding-right: 16px; }
            .targets th { border-bottom: 1px solid #ccc; }
            .targets td { border-bottom: 1px solid #eee; }
            .targets ul { margin: 0; padding-left: 16px; font-size: 12px; color: #444; }
            .failed, tr.failed td:first-child { color: #b00020; }
            svg { max-width: 100%; height: auto; }
            @media print { body { margin: 0; } .targets { page-break-inside: auto; } tr { page-break-inside: avoid; } }
            </style>
            </head>
            <body>
            <h1>\(escape("Deploy of \(report.version) to \(report.environment)")) — \(escape(report.outcome ?? "unfinished"))</h1>
            <table class="summary">
            \(rows)</table>
            \(svg(report, standalone: false))
            \(extras.isEmpty ? "" : "<ul>\(extras)</ul>")
            <table class="targets">
            <tr><th>target</th><th>batch</th><th>result</th><th>took</th><th>out of service</th><th>steps</th></tr>
            \(targets)</table>
            </body>
            </html>

            """
    }
}
