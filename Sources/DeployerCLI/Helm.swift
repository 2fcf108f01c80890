import ArgumentParser
import Foundation
import Manifests

struct Helm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work on Helm charts.",
        subcommands: [Bump.self])

    struct Bump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bump a chart's version and image tag in place.",
            discussion: """
                Sets Chart.yaml `appVersion` and values.yaml's image tag (`image.tag`, or the only \
                `tag:` under an `image:` mapping) to --image-tag, and increases Chart.yaml `version`. \
                Only those values change: comments, quoting, key order and blank lines are kept byte for \
                byte, and each new value is quoted the way the old one was.

                The chart is validated first (as `deployer validate` does); if it has errors they are \
                printed and nothing is changed. Files are replaced atomically.

                Example, in a release pipeline:

                  deployer helm bump manifests/helm/promo-service --image-tag v0.2.36
                  Chart.yaml: version 0.2.35 → 0.2.36
                  Chart.yaml: appVersion v0.2.35 → v0.2.36
                  values.yaml: image.tag v0.2.35 → v0.2.36

                --version minor turns 0.2.35 into 0.3.0, major into 1.0.0; a pre-release is followed by its \
                release (0.2.0-rc.1 → 0.2.0). --dry-run prints the diff and writes nothing.

                Exit status: 0 bumped, 1 the chart has errors or no image tag, 2 usage or I/O error.
                """)

        @Argument(help: "The chart directory (the one holding Chart.yaml).")
        var chart: String

        @Option(help: "The image tag to deploy; becomes appVersion and the image tag.")
        var imageTag: String

        @Option(help: "patch, minor, major, or an exact X.Y.Z greater than the current version.")
        var version = "patch"

        @Flag(help: "Print the diff of what would change, and write nothing.")
        var dryRun = false

        func validate() throws {
            _ = try versionChange()
        }

        private func versionChange() throws -> HelmBump.VersionChange {
            if let part = SemanticVersion.Part(rawValue: version) { return .bump(part) }
            if let exact = SemanticVersion(strict: version) { return .exact(exact) }
            throw ValidationError("--version must be patch, minor, major or a SemVer version such as 1.4.0, not `\(version)`")
        }

        func run() throws {
            let bump: HelmBump
            do {
                bump = try HelmBump.plan(chartDirectory: chart, imageTag: imageTag, version: versionChange())
            } catch let error as HelmBumpError {
                if !error.diagnostics.isEmpty {
                    Console.out(DiagnosticRenderer.text(
                        error.diagnostics, sources: { try? String(contentsOfFile: $0, encoding: .utf8) },
                        color: Console.stdoutIsTerminal && Console.colorAllowed))
                }
                switch error.reason {
                case .invalidChart, .notFound: throw CommandFailure("error: \(error.message)", code: .failed)
                case .usage, .io: throw CommandFailure("error: \(error.message)", code: .badInput)
                }
            }
            if !bump.warnings.isEmpty {
                Console.error(DiagnosticRenderer.text(
                    bump.warnings, sources: { try? String(contentsOfFile: $0, encoding: .utf8) },
                    color: Console.stderrIsTerminal && Console.colorAllowed))
            }
            if dryRun {
                Console.out(bump.diff())
                Console.error("Dry run: nothing was written.")
                return
            }
            do {
                try bump.write()
            } catch {
                throw CommandFailure("error: \(error.message)", code: .badInput)
            }
            Console.out(bump.changes.map(\.description).joined(separator: "\n"))
        }
    }
}
