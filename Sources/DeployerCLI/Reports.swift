import Deployer
import Foundation
import Manifests

/// Text reports: a plan, a summary, a status table.
enum Reports {
    /// The canary stage in words, for `plan`.
    static func canaryLine(_ canary: CanarySpec, size: Int) -> String {
        func percent(_ value: Double) -> String { String(format: value * 100 == (value * 100).rounded() ? "%.0f%%" : "%.1f%%", value * 100) }
        var line = "canary: \(size) target(s) first (\(canary.targets)), baking \(canary.bake.manifestText), sampled every "
            + "\(canary.interval.manifestText); fails above \(percent(canary.maxErrorRate)) errors and "
            + "\(CanaryJudge.format(canary.maxErrorRatio)) × the baseline's"
        if let latency = canary.maxLatencyRatio { line += ", or above \(CanaryJudge.format(latency)) × its response time" }
        line += "; verdict after \(canary.minRequests) requests (no verdict: \(canary.noVerdict.rawValue)"
            + (canary.noVerdict == .wait ? ", up to \(canary.maxBake.manifestText)" : "") + ")"
            + (canary.everyBatch ? "; every batch judged the same way" : "") + "; a failed canary is rolled back (exit 7)"
        return line
    }

    static func plan(_ plan: DeployPlan, strategy: Strategy) -> String {
        var out: [String] = []
        let limits = plan.limits
        out.append("Plan: deploy \(plan.version) to \(plan.environment)")
        out.append(
            "  fleet \(limits.fleetSize) target(s)"
                + (plan.pools.isEmpty ? ", no load balancer" : " behind \(plan.pools.map(\.rawValue).joined(separator: ", "))"))
        out.append(
            "  batches of \(limits.batchSizes.map(String.init).joined(separator: ", then "))"
                + " (strategy: \(strategy.batches.map(\.description).joined(separator: ", ")))"
                + "; max-unavailable \(limits.maxUnavailable); min-in-service \(limits.minInService)"
                + "; max-failures \(limits.maxFailures); on-failure \(strategy.onFailure.rawValue)")
        out.append(
            "  drain-timeout \(strategy.drainTimeout.manifestText) (then \(strategy.onDrainTimeout.rawValue))"
                + ", health-timeout \(strategy.healthTimeout.manifestText)"
                + (strategy.pause > .zero ? ", pause \(strategy.pause.manifestText) between batches" : ""))
        if let canary = strategy.canary {
            out.append("  " + canaryLine(canary, size: limits.batchSizes.first ?? 1))
        }
        out.append("")
        if plan.batches.isEmpty {
            out.append("Nothing to deploy: every target already runs \(plan.version).")
        } else {
            out.append("Steps for each target: \(plan.steps.map(\.rawValue).joined(separator: " → "))")
            let versions = Dictionary(uniqueKeysWithValues: plan.targets.map { ($0.id, $0.version) })
            for (index, batch) in plan.batches.enumerated() {
                let items = batch.map { "\($0) (\((versions[$0] ?? nil) ?? "?"))" }
                let gated = strategy.canary.map { index == 0 || $0.everyBatch } ?? false
                out.append(
                    "  batch \(index + 1)\(strategy.canary != nil && index == 0 ? " (canary)" : ""): \(items.joined(separator: ", "))"
                        + (gated ? " — then judged by its traffic" : ""))
            }
            for group in plan.commands {
                out.append("Update of \(group.targets.map(\.rawValue).joined(separator: ", ")):")
                for command in group.commands { out.append("  \(command)") }
            }
        }
        let skipped = plan.targets.filter { $0.action == .skipCurrent }
        if !skipped.isEmpty {
            out.append("Already on \(plan.version), skipped: \(skipped.map(\.id.rawValue).joined(separator: ", "))")
        }
        let blocked = plan.targets.filter { $0.action == .blocked }
        if !blocked.isEmpty {
            out.append("Blocked by capacity: \(blocked.map(\.id.rawValue).joined(separator: ", "))")
        }
        for note in plan.notes { out.append("note: \(note)") }
        for blocker in plan.blockers { out.append("error: \(blocker)") }
        return out.joined(separator: "\n")
    }

    /// The summary's first line.
    static func title(_ summary: DeploySummary) -> String {
        let title: String
        switch summary.outcome {
        case .succeeded: title = "Deployed \(summary.version) to \(summary.environment)"
        case .completedWithFailures: title = "Deployed \(summary.version) to \(summary.environment), with failures"
        case .stopped: title = "Deploy of \(summary.version) to \(summary.environment) STOPPED"
        case .canaryFailed: title = "Deploy of \(summary.version) to \(summary.environment) STOPPED: the canary failed and was rolled back"
        case .interrupted: title = "Deploy of \(summary.version) to \(summary.environment) interrupted"
        case .aborted: title = "Deploy of \(summary.version) to \(summary.environment) aborted"
        case .nothingToDo: title = "Nothing to do: \(summary.environment) already runs \(summary.version)"
        }
        return title
    }

    /// The summary as markdown, for `$GITHUB_STEP_SUMMARY`: the title, a table of targets, the totals,
    /// the capacity and what to do next.
    static func markdown(_ summary: DeploySummary) -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = ["### \(cell(title(summary)))", ""]
        if !summary.targets.isEmpty {
            out += ["| target | result |", "| --- | --- |"]
            out += summary.targets.map { "| \(cell($0.target.rawValue)) | \(cell(Format.outcome($0))) |" }
            out.append("")
        }
        let updated = summary.targets.filter { $0.outcome == .updated }.count
        out.append(
            "Deploy `\(summary.deployID)`: \(Format.seconds(summary.seconds)), \(updated) updated, \(summary.failed.count) failed, "
                + "\(summary.skipped.count) already current; at least \(summary.lowestInService) target(s) in service throughout "
                + "(floor \(summary.minInService)).")
        for step in summary.nextSteps { out.append("- \(cell(step))") }
        return out.joined(separator: "\n") + "\n\n"
    }

    static func summary(_ summary: DeploySummary) -> String {
        var out: [String] = ["", title(summary)]
        if !summary.targets.isEmpty {
            out += Format.table([["target", "result"]] + summary.targets.map { [$0.target.rawValue, Format.outcome($0)] })
        }
        if !summary.skipped.isEmpty {
            out.append("  already current: \(summary.skipped.map(\.rawValue).joined(separator: ", "))")
        }
        let updated = summary.targets.filter { $0.outcome == .updated }.count
        let failed = summary.failed.count
        out.append(
            "Total \(Format.seconds(summary.seconds)): \(updated) updated, \(failed) failed, \(summary.skipped.count) skipped.")
        if summary.outcome != .nothingToDo {
            let kept = summary.lowestInService >= summary.minInService
            out.append(
                "Capacity: at least \(summary.lowestInService) target(s) in service throughout (floor \(summary.minInService))"
                    + (kept ? "." : " — below the floor because of targets that were already out."))
        }
        for step in summary.nextSteps { out.append("next: \(step)") }
        return out.joined(separator: "\n")
    }
}
