import ArgumentParser
import AzureSimulator
import Foundation

/// `deployer simulate …`: local stand-ins for the cloud APIs deployer drives, for tests and demos.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a local stand-in for a cloud API (for tests, demos and trying deployer out).",
        subcommands: [Azure.self])

    struct Azure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a simulated Azure Resource Manager on 127.0.0.1 until Ctrl-C.",
            discussion: """
                Serves plain HTTP on 127.0.0.1 only (never another interface), and with --tls HTTPS too:
                  ARM       scale sets: GET/PUT/PATCH, extensions, instances ($filter,
                            $expand, paging), instance views, manualupgrade,
                            rollingUpgrades/latest, NICs; application gateways: GET,
                            PUT with If-Match and weak etags; compute and network
                            operation status; GET /subscriptions; /metadata/endpoints.
                            A bearer token is required; any api-version of the form
                            YYYY-MM-DD[-preview] is accepted.
                            Storage accounts: GET, POST listKeys.
                            Extension images (what az reads before `vmss extension
                            set` without --version): GET …/locations/{loc}/publishers/
                            {pub}/artifacttypes/vmextension/types[/{type}/versions[/{v}]],
                            from the scale sets' extensions.
                            Gateway metrics (Azure Monitor): GET {gateway}/providers/
                            Microsoft.Insights/metrics, BackendResponseStatus and
                            BackendLastByteResponseTime by BackendServer, BackendPool,
                            HttpStatusGroup; timespan, interval (PT1M… or FULL),
                            aggregation, $filter, top, rollupby.
                  Blob      path-style at /{account}/ (the account's
                            primaryEndpoints.blob): containers, block and append
                            blobs (ranges, Append Block with appendpos), metadata,
                            leases, If-Match/If-None-Match; Shared Key or a token
                            for https://storage.azure.com; List Blobs with paging.
                  Identity  POST /{tenant}/oauth2/v2.0/token (client credentials),
                            GET /{tenant}/v2.0/.well-known/openid-configuration,
                            IMDS GET /metadata/identity/oauth2/token (Metadata: true).
                Polling URLs and nextLinks are absolute, built from the Host header
                and X-Forwarded-Proto (https on the --tls port): the Azure SDK and az
                send tokens over https only, so give them the --tls port.

                Scenario file (YAML; every key optional). Without --scenario the
                built-in demo: rg-backend-prod/vmss-backend-prod, 4 instances behind
                appgw-backend-prod/backend-pool-prod.
                  subscription, tenant, location, page-size (100)
                  credentials: [{client-id, client-secret}]  (deployer-ci/sim-secret)
                  timing: mode (real|virtual), polls, retry-after, extension-update,
                    manual-upgrade, gateway-update, health-settle, token-lifetime
                    (durations: 500ms, 2s, 1m; virtual: operations end after
                    `polls` status polls)
                  scale-sets: [{resource-group, name, capacity, upgrade-mode
                    (Manual|Automatic|Rolling), orchestration (Uniform|Flexible),
                    subnet, health-extension, gateway-pool-by-nic (GATEWAY/POOL),
                    rolling-upgrade, tags, extension: {name, type, publisher,
                    version, force-update-tag, command}}]
                  gateways: [{resource-group, name, drain-timeout, concurrent-put
                    (supersede|busy), pools: [{name, from-scale-set, addresses}],
                    traffic: {requests-per-second (20, per server), response-time
                    (20ms), faulty-error-rate (0.2)}}]  (an instance whose deploy
                    tag ends in -faulty answers that share with 5xx; -slow: 4x slower)
                  storage-accounts: [{resource-group, name (3-24 a-z0-9),
                    containers: [names]}]  (each gets a random key: listKeys)
                  faults: [FAULT]  (armed from the start)

                FAULT: {method?, path (case-insensitive substring), kind, count (1),
                retry-after?, seconds?, health? (unhealthy|unknown|absent), polls?,
                unwrapped?, status?, service? (blob|arm: only that side)}. Kinds: throttle, subscription-throttle, busy,
                superseded, conflict, etag-mismatch, lost-update, lro-failed,
                preempted, unhealthy, stuck, reset, server-error, unavailable, delay,
                wrong-api-version, vanished, unauthorized, imds-error,
                ratelimit-headroom.

                Control API (same port, no auth):
                  GET /_simulator/state        instances, gateways, pools, operations
                  GET /_simulator/requests     requests answered (DELETE clears)
                  POST /_simulator/faults      arm one FAULT given as JSON
                                               (GET lists them, DELETE disarms all)
                  POST /_simulator/break-lease?account=A&container=C&blob=B
                                               break a blob's lease, as someone else

                Example:
                  deployer simulate azure --port 8480 &
                  curl -s localhost:8480/_simulator/state
                  curl -s localhost:8480/_simulator/faults \\
                       -d '{"path": "manualupgrade", "kind": "lro-failed"}'
                """)

        @Option(help: ArgumentHelp("TCP port on 127.0.0.1 (0 picks a free one).", valueName: "port"))
        var port: UInt16 = 0

        @Option(help: ArgumentHelp("Scenario YAML file (default: the built-in demo).", valueName: "file"))
        var scenario: String?

        @Option(help: ArgumentHelp("Write the port number to this file once listening (for scripts).", valueName: "path"))
        var portFile: String?

        @Flag(help: "Log one line per request to stderr (method, path, status; never headers or bodies).")
        var verbose = false

        @Flag(
            help: ArgumentHelp(
                "Also serve HTTPS on 127.0.0.1 (for az and the Azure SDKs, which send tokens over https only).",
                discussion: "Plain HTTP stays on --port. Without --cert/--key, a self-signed certificate for 127.0.0.1 and localhost is made in --tls-dir."))
        var tls = false

        @Option(help: ArgumentHelp("HTTPS port on 127.0.0.1 with --tls (0 picks a free one).", valueName: "port"))
        var tlsPort: UInt16 = 0

        @Option(help: ArgumentHelp("Write the HTTPS port number to this file once listening.", valueName: "path"))
        var tlsPortFile: String?

        @Option(help: ArgumentHelp("PEM certificate (chain) to serve HTTPS with, instead of a self-signed one.", valueName: "file"))
        var cert: String?

        @Option(help: ArgumentHelp("PEM private key of --cert.", valueName: "file"))
        var key: String?

        @Option(
            help: ArgumentHelp(
                "Where the self-signed certificate is made (default: ~/.cache/deployer/simulator-tls).", valueName: "dir"))
        var tlsDir: String?

        func run() async throws {
            let loaded: SimulatorScenario
            if let scenario {
                do {
                    loaded = try SimulatorScenario.load(path: scenario)
                } catch let error as SimulatorError {
                    throw CommandFailure(
                        "\(error)\nFix the scenario file (keys: deployer simulate azure --help), or leave out --scenario to serve the built-in demo.",
                        code: .badInput)
                }
            } else {
                loaded = .demo
            }
            let simulator = ARMSimulator(scenario: loaded)
            let server: ARMSimulatorServer
            do {
                server = try await ARMSimulatorServer.start(simulator, port: port, verbose: verbose)
            } catch let error as SimulatorError {
                throw CommandFailure("\(error)", code: .failed)
            }
            var https: ARMSimulatorServer.HTTPS?
            var certificatePath: String?
            if tls {
                do {
                    let (certificate, privateKey) = try certificateAndKey()
                    certificatePath = certificate
                    https = try await ARMSimulatorServer.startTLS(
                        simulator, port: tlsPort, certificate: certificate, key: privateKey, verbose: verbose)
                } catch let failure as CommandFailure {
                    await server.stop()
                    throw failure
                } catch {
                    await server.stop()
                    throw CommandFailure("error: \(error)", code: .failed)
                }
            }
            for (file, port) in [(portFile, server.port), (tlsPortFile, https?.port)] {
                guard let file, let port else { continue }
                do {
                    try "\(port)\n".write(toFile: file, atomically: true, encoding: .utf8)
                } catch {
                    await server.stop()
                    await https?.stop()
                    throw CommandFailure("error: cannot write the port to \(file): \(error.localizedDescription)", code: .failed)
                }
            }
            Console.out(Self.banner(loaded, base: server.baseURL, source: scenario))
            if let https, let certificatePath { Console.out(Self.tlsBanner(loaded, base: https.baseURL, certificate: certificatePath)) }
            await Self.waitForSignal()
            Console.error("Stopping the ARM simulator.")
            await https?.stop()
            await server.stop()
        }

        /// The certificate and key to serve HTTPS with: --cert/--key, or a self-signed pair for 127.0.0.1
        /// and localhost made now (by `openssl req`) in --tls-dir.
        func certificateAndKey() throws -> (certificate: String, key: String) {
            switch (cert, key) {
            case (let cert?, let key?):
                for file in [cert, key] where !FileManager.default.isReadableFile(atPath: file) {
                    throw CommandFailure("error: cannot read \(file) (--cert and --key are PEM files)", code: .badInput)
                }
                return (cert, key)
            case (nil, nil):
                break
            default:
                throw CommandFailure("error: --cert and --key go together (or leave both out for a self-signed certificate)", code: .badInput)
            }
            let home = FileManager.default.homeDirectoryForCurrentUser.path
            let directory = tlsDir ?? home + "/.cache/deployer/simulator-tls"
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw CommandFailure("error: cannot create \(directory): \(error.localizedDescription)", code: .failed)
            }
            let certificate = directory + "/cert.pem", privateKey = directory + "/key.pem"
            let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let openssl else {
                throw CommandFailure(
                    "error: openssl is not installed, so no certificate can be made (Debian: apt-get install openssl), or pass --cert and --key",
                    code: .failed)
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", privateKey, "-out", certificate,
            ]
            process.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            process.standardError = errors
            do {
                try process.run()
            } catch {
                throw CommandFailure("error: cannot run \(openssl): \(error.localizedDescription)", code: .failed)
            }
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CommandFailure("error: openssl could not make a certificate in \(directory): \(message)", code: .failed)
            }
            chmod(privateKey, 0o600)
            return (certificate, privateKey)
        }

        static func tlsBanner(_ scenario: SimulatorScenario, base: String, certificate: String) -> String {
            let clientID = scenario.credentials.first?.clientID ?? "deployer-ci"
            return [
                "",
                "HTTPS on \(base) (certificate \(certificate), for 127.0.0.1 and localhost). For az and the Azure SDKs:",
                "  export REQUESTS_CA_BUNDLE=\(certificate)",
                "  az cloud register --name DeployerSimulator --endpoint-resource-manager \(base)/ \\",
                "      --endpoint-active-directory \(base) --endpoint-active-directory-resource-id https://management.azure.com/",
                "  az cloud set --name DeployerSimulator",
                "  az config set core.instance_discovery=false",
                "  az login --service-principal --username \(clientID) --password \"$AZURE_CLIENT_SECRET\" --tenant \(scenario.tenant)",
                "  (Python SDKs: base_url=\"\(base)\", ClientSecretCredential(authority=\"\(base)\", disable_instance_discovery=True))",
            ].joined(separator: "\n")
        }

        static func banner(_ scenario: SimulatorScenario, base: String, source: String?) -> String {
            let sets = scenario.scaleSets.map { "\($0.resourceGroup)/\($0.name) (\($0.capacity))" }.joined(separator: ", ")
            let gateways = scenario.gateways.map { "\($0.resourceGroup)/\($0.name)" }.joined(separator: ", ")
            var lines = [
                "ARM simulator listening on \(base) (subscription \(scenario.subscription), tenant \(scenario.tenant))",
                "Scenario: \(source ?? "built-in demo"); scale sets: \(sets.isEmpty ? "none" : sets); gateways: \(gateways.isEmpty ? "none" : gateways)",
            ]
            for account in scenario.storageAccounts {
                lines.append(
                    "Storage account \(account.resourceGroup)/\(account.name): Blob service at \(base)/\(account.name)/ "
                        + "(its key, never shown here: POST …/storageAccounts/\(account.name)/listKeys)")
            }
            lines += [
                "",
                "Point deployer at it:",
                "  export DEPLOYER_ARM_ENDPOINT=\(base)",
                "  export AZURE_AUTHORITY_HOST=\(base)",
                "  export AZURE_SUBSCRIPTION_ID=\(scenario.subscription)",
                "  export AZURE_TENANT_ID=\(scenario.tenant)",
            ]
            if let credential = scenario.credentials.first {
                // Never printed: a scenario may hold a secret someone reuses, and banners end up in CI logs.
                let place = source.map { "`credentials[0].client-secret` in \($0)" } ?? "the built-in demo's, in `deployer simulate azure --help`"
                lines.append("  export AZURE_CLIENT_ID=\(credential.clientID)")
                lines.append("  export AZURE_CLIENT_SECRET=…   # not shown: \(place)")
            }
            lines += [
                "  (managed identity instead: export AZURE_POD_IDENTITY_AUTHORITY_HOST=\(base))",
                "The Azure SDK and az send tokens over https only: start with --tls for HTTPS (or put a TLS",
                "terminator in front that sets X-Forwarded-Proto: https).",
                "Control API: \(base)/_simulator/state, /_simulator/requests, /_simulator/faults. Ctrl-C stops.",
            ]
            return lines.joined(separator: "\n")
        }

        /// Returns on the first SIGINT or SIGTERM.
        static func waitForSignal() async {
            let (stream, continuation) = AsyncStream<Int32>.makeStream()
            var sources: [any DispatchSourceSignal] = []
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                sources.append(source)
            }
            for await _ in stream { break }
            sources.forEach { $0.cancel() }
        }
    }
}
