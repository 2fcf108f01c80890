import AzureSimulator
import Foundation
import Testing

/// The platform's Azure Pipelines steps run unchanged with the real az CLI (azure-cli, in
/// .venv-az) against `deployer simulate azure --tls`: each step's exit code and the state change
/// it must cause (Tests/Conformance/az_pipeline_conformance.py).
@Suite(.tags(.conformance), .serialized) struct AzCLIConformanceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let az = root + "/.venv-az/bin/az"
    static let script = root + "/Tests/Conformance/az_pipeline_conformance.py"
    static let expectedChecks = 20
    static var available: Bool { FileManager.default.isExecutableFile(atPath: az) }

    @Test(.enabled(if: available, "skipped: the az CLI is not in .venv-az (scripts/az-venv.sh installs azure-cli from PyPI; make test runs it)"))
    func thePipelineStepsRunUnchangedWithAz() async throws {
        let scratch = try Scratch(yaml: "{}")
        defer { scratch.remove() }
        let scenario = try String(contentsOfFile: Self.root + "/scenarios/azure-platform.yml", encoding: .utf8)
        let server = try await SimulatorProcess.start(scenario: scenario, in: scratch.path, tls: true)
        defer { server.stop() }
        let tlsPort = try #require(server.tlsPort)
        let result = try await Task.detached {
            try DeployerProcess.run(
                [
                    Self.script, "--az", Self.az, "--base-url", "https://127.0.0.1:\(tlsPort)", "--control-url", server.baseURL,
                    "--ca", server.certificate, "--config-dir", scratch.path + "/az-config", "--secret", "sim-secret",
                ], in: scratch.path, binary: "/usr/bin/python3", timeout: 300)
        }.value
        let summary = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(result.status == 0 && summary == "\(Self.expectedChecks) passed, 0 failed", "\(result.stdout)\n\(result.stderr)")
        // az's own requests reached the simulator, over HTTPS, with az's api-versions.
        let log = try await server.requests()
        #expect(log.contains { $0.path.lowercased().hasSuffix("/artifacttypes/vmextension/types/customscript/versions") })
        #expect(log.contains { $0.path.lowercased().hasSuffix("/manualupgrade") && $0.status == 202 })
    }
}
