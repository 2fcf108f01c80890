import AzureSimulator
import Foundation
import LabSupport
import Testing

extension Tag {
    /// Tests that drive the ARM simulator with the real Azure SDKs for Python (run alone:
    /// `swift test --filter AzureConformance`).
    @Tag static var conformance: Self
}

/// The real azure-identity, azure-mgmt-compute, azure-mgmt-network, azure-mgmt-storage and
/// azure-storage-blob against the ARM simulator (`deployer simulate azure`) and its Blob service,
/// over the simulator's own HTTPS (`--tls`; the SDK only sends tokens over https).
@Suite(.tags(.conformance), .serialized) struct AzureConformanceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let python = root + "/.venv-conformance/bin/python"
    static let script = root + "/Tests/Conformance/azure_sdk_conformance.py"
    /// Checks the script makes with a scale set of two instances (30) and one storage account (38).
    static let expectedChecks = 79

    static let scenario = """
        page-size: 1
        timing: {mode: real, retry-after: 1, extension-update: 200ms, manual-upgrade: 500ms, gateway-update: 200ms, health-settle: 500ms}
        scale-sets:
          - {resource-group: rg-backend-prod, name: vmss-backend-prod, capacity: 2}
        gateways:
          - resource-group: rg-backend-prod
            name: appgw-backend-prod
            pools: [{name: backend-pool-prod, from-scale-set: vmss-backend-prod}]
        storage-accounts:
          - {resource-group: rg-platform-state, name: stdeployerstate}
        """

    @Test func realAzureSDKsRunTheRollingDeployFlow() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            Issue.record(
                "\(Self.python) is missing: run scripts/conformance-venv.sh once (make test creates it) to install the Azure SDKs from PyPI")
            return
        }
        let scratch = NSTemporaryDirectory() + "deployer-conformance-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // HTTPS from the simulator itself (`--tls`), with the self-signed certificate it made, which
        // the SDK is told to trust.
        let server = try await SimulatorProcess.start(scenario: Self.scenario, in: scratch, tls: true)
        defer { server.stop() }
        let tlsPort = try #require(server.tlsPort)

        let started = Date()
        let result = try await Self.runOffPool(
            Self.python, [Self.script, "--base-url", "https://127.0.0.1:\(tlsPort)", "--ca", server.certificate],
            in: scratch, environment: ["NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "HTTPS_PROXY": "", "https_proxy": ""],
            timeout: 180)
        let seconds = Date().timeIntervalSince(started)

        let summary = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(result.status == 0, "the SDK flow failed (\(String(format: "%.1f", seconds)) s):\n\(result.stdout)\n\(result.stderr)")
        #expect(summary == "\(Self.expectedChecks) passed, 0 failed", "\(result.stdout)\n\(result.stderr)")
        // The SDK's own api-versions reached the simulator: the VMSS-NIC call is pinned to 2018-10-01.
        let log = try await server.requests()
        #expect(log.contains { $0.path.hasSuffix("/networkInterfaces") && $0.query.contains("api-version=2018-10-01") })
        #expect(log.contains { $0.path.lowercased().hasSuffix("/manualupgrade") && $0.status == 202 })
        // The Blob SDK reached the Blob service path-style, signed and with tokens, and met its lease and append rules.
        #expect(log.contains { $0.path == "/stdeployerstate/state-sharedkey" && $0.query.contains("restype=container") && $0.status == 201 })
        #expect(log.contains { $0.path == "/stdeployerstate/state-forged" && $0.status == 403 })
        #expect(log.filter { $0.path == "/stdeployerstate/state-token/deploys/lock" && $0.method == "PUT" && $0.status == 412 }.count == 1)
        #expect(log.filter { $0.path.hasSuffix("/journal.log") && $0.query.contains("comp=appendblock") && $0.status == 412 }.count == 2)
    }

    /// Runs a program to completion, waiting on a thread of its own so that the simulator's
    /// server keeps the few cooperative threads (the machine has two cores).
    static func runOffPool(
        _ binary: String, _ arguments: [String], in directory: String, environment: [String: String] = [:], timeout: Double
    ) async throws -> DeployerProcess.Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(
                        returning: try DeployerProcess.run(arguments, in: directory, environment: environment, binary: binary, timeout: timeout))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// A port nothing listens on right now.
    static func freePort() throws -> Int {
        guard let port = Loopback.freePort() else { throw PortError() }
        return port
    }

    /// Polls a TCP connect to 127.0.0.1:port until it succeeds, for at most `seconds`.
    static func waitUntilListening(_ port: Int, seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if Loopback.accepts(port) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw NotListening(port: port, seconds: seconds)
    }

    struct PortError: Error, CustomStringConvertible {
        var description: String { "cannot find a free port on 127.0.0.1" }
    }

    struct NotListening: Error, CustomStringConvertible {
        var port: Int
        var seconds: Double
        var description: String { "haproxy did not listen on 127.0.0.1:\(port) within \(seconds) s" }
    }
}
