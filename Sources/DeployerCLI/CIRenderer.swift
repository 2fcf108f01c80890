import Deployer
import Foundation
import Manifests
import Synchronization

/// Plain lines, with the CI's own commands around them: a collapsible group per batch, progress, an
/// issue for every failed target, warning and failed canary, and the outcome in the CI's terms.
/// Azure Pipelines: `##[group]`, `##vso[task.setprogress]`, `##vso[task.logissue]`,
/// `##vso[task.complete result=SucceededWithIssues]` for exit 3, and the summary as markdown through
/// `##vso[task.uploadsummary]` (written to `$AGENT_TEMPDIRECTORY`). GitHub Actions: `::group::`,
/// `::error::` / `::warning::`, and the summary as markdown appended to `$GITHUB_STEP_SUMMARY`.
final class CIRenderer: EventSink {
    enum Kind { case azurePipelines, github }

    private let kind: Kind
    private let lines = PlainRenderer()
    private let groupOpen = Mutex(false)

    init(_ kind: Kind) { self.kind = kind }

    func emit(_ event: DeployEvent) {
        switch event {
        case .batchStarted(let index, let count, let targets):
            closeGroup()
            let title = "batch \(index)/\(count): \(targets.map(\.rawValue).joined(separator: ", "))"
            switch kind {
            case .azurePipelines:
                Console.out("##vso[task.setprogress value=\(max(0, min(100, (index - 1) * 100 / max(count, 1))));]deploying")
                Console.out("##[group]\(title)")
            case .github:
                Console.out("::group::\(DiagnosticRenderer.escapeData(title))")
            }
            groupOpen.withLock { $0 = true }
            lines.emit(event)
        case .targetFinished(let result):
            lines.emit(event)
            if result.outcome == .failed { issue(error: true, "\(result.target): \(result.message ?? "failed")") }
        case .notice(let notice):
            lines.emit(event)
            if notice.level == .warning { issue(error: false, notice.message) }
        case .canaryFinished(let verdict):
            lines.emit(event)
            if !verdict.passed { issue(error: true, "the canary failed: \(verdict.reason)") }
        case .finished(let summary):
            closeGroup()
            lines.emit(event)
            finish(summary)
        default:
            lines.emit(event)
        }
    }

    private func closeGroup() {
        let open = groupOpen.withLock { open in
            defer { open = false }
            return open
        }
        guard open else { return }
        Console.out(kind == .azurePipelines ? "##[endgroup]" : "::endgroup::")
    }

    private func issue(error: Bool, _ message: String) {
        switch kind {
        case .azurePipelines:
            Console.out("##vso[task.logissue type=\(error ? "error" : "warning");]\(DiagnosticRenderer.azureData(message))")
        case .github:
            Console.out("::\(error ? "error" : "warning")::\(DiagnosticRenderer.escapeData(message))")
        }
    }

    private func finish(_ summary: DeploySummary) {
        switch kind {
        case .azurePipelines:
            Console.out("##vso[task.setprogress value=100;]deploying")
            // The summary as markdown on the run's Extensions tab: a file the agent reads after the step.
            let folder = ProcessInfo.processInfo.environment["AGENT_TEMPDIRECTORY"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
            let file = (folder as NSString).appendingPathComponent("deployer-\(summary.deployID).md")
            if (try? Reports.markdown(summary).write(toFile: file, atomically: true, encoding: .utf8)) != nil {
                Console.out("##vso[task.uploadsummary]\(DiagnosticRenderer.azureData(file))")
            }
            if summary.outcome == .completedWithFailures {
                Console.out(
                    "##vso[task.complete result=SucceededWithIssues;]\(summary.failed.count) target(s) failed within max-failures")
            }
        case .github:
            guard let path = ProcessInfo.processInfo.environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else { return }
            let markdown = Reports.markdown(summary)
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data(markdown.utf8))
                try? handle.close()
            } else {
                _ = FileManager.default.createFile(atPath: path, contents: Data(markdown.utf8))
            }
        }
    }
}
