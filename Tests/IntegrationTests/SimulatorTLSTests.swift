import Foundation
import Testing

/// `deployer simulate azure --tls`: HTTPS on 127.0.0.1 with a self-signed certificate it makes,
/// trusted by a client given that certificate, with https URLs in what it hands out.
@Suite struct SimulatorTLSTests {
    /// GETs `url` with Python's ssl module trusting only `certificate`; (status, body).
    static func fetch(_ url: String, trusting certificate: String, in directory: String) throws -> (status: Int32, body: String) {
        let script = """
            import ssl, sys, urllib.request, urllib.error
            context = ssl.create_default_context(cafile=sys.argv[2])
            try:
                print(urllib.request.urlopen(sys.argv[1], context=context, timeout=10).read().decode())
            except urllib.error.HTTPError as error:
                print(error.read().decode())
            """
        let result = try DeployerProcess.run(["-c", script, url, certificate], in: directory, binary: "/usr/bin/python3", timeout: 30)
        return (result.status, result.stdout + result.stderr)
    }

    @Test func httpsWithASelfSignedCertificateAndHTTPSURLs() async throws {
        let scratch = try Scratch(yaml: "{}")
        defer { scratch.remove() }
        let server = try await SimulatorProcess.start(scenario: "subscription: 00000000-0000-0000-0000-000000000001\n", in: scratch.path, tls: true)
        defer { server.stop() }
        let port = try #require(server.tlsPort)
        #expect(port != server.port, "plain HTTP stays on its own port")
        let banner = server.running.stdout()
        #expect(banner.contains("export REQUESTS_CA_BUNDLE=\(server.certificate)"), "\(banner)")
        #expect(banner.contains("az cloud register --name DeployerSimulator --endpoint-resource-manager https://127.0.0.1:\(port)/"))
        #expect(banner.contains("az config set core.instance_discovery=false"))

        let endpoints = try Self.fetch("https://127.0.0.1:\(port)/metadata/endpoints?api-version=2022-09-01", trusting: server.certificate, in: scratch.path)
        #expect(endpoints.status == 0 && endpoints.body.contains("\"resourceManager\":\"https://127.0.0.1:\(port)/\""), "\(endpoints.body)")
        let byName = try Self.fetch("https://localhost:\(port)/subscriptions?api-version=2022-09-01", trusting: server.certificate, in: scratch.path)
        #expect(byName.body.contains("AuthenticationFailed"), "the certificate is good for localhost too: \(byName.body)")
        // A client that does not trust the certificate is refused by its own TLS check.
        let untrusted = try Self.fetch("https://127.0.0.1:\(port)/metadata/endpoints", trusting: "/etc/ssl/certs/ca-certificates.crt", in: scratch.path)
        #expect(untrusted.body.contains("CERTIFICATE_VERIFY_FAILED"), "\(untrusted.body)")
        // Plain HTTP is still served, with http URLs.
        let plain = try Self.fetch("http://127.0.0.1:\(server.port)/metadata/endpoints", trusting: server.certificate, in: scratch.path)
        #expect(plain.body.contains("\"resourceManager\":\"http://127.0.0.1:\(server.port)/\""), "\(plain.body)")
    }

    @Test func aCertificateWithoutItsKeyIsRefused() throws {
        let result = try DeployerProcess.run(["simulate", "azure", "--tls", "--cert", "/etc/hostname"], in: NSTemporaryDirectory())
        #expect(result.status == 2)
        #expect(result.stderr.contains("--cert and --key go together"), "\(result.stderr)")
    }
}
