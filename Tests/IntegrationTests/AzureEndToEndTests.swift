import AzureSimulator
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// deployer against the ARM simulator on 127.0.0.1: both strategies of the platform's pipelines, the
/// manual drain and restore, the lock kept in Azure, and every fault of the ARM fact sheet, each with
/// the outcome the client checklist calls for. After every run, an instance that is out of the
/// gateway pool must be named in deployer's output: none is left out unknowingly.
@Suite(.serialized) struct AzureEndToEndTests {
    /// Every instance out of the pool is named in the output.
    static func expectOutOfPoolReported(_ lab: AzureLab, _ output: String) async throws {
        for (id, ip) in try await lab.outOfPool() {
            #expect(output.contains("web_\(id)"), "web_\(id) (\(ip)) is out of the pool but deployer did not say so:\n\(output)")
        }
    }

    static func expectFullyRolled(_ lab: AzureLab, version: String = "v2") async throws {
        let web = try await lab.state().scaleSet("web")
        #expect(web?.modelTag == version)
        for instance in web?.instances ?? [] {
            #expect(instance.latestModelApplied && instance.appliedTag == version, "\(instance)")
        }
        let out = try await lab.outOfPool()
        #expect(out.isEmpty, "out of the pool: \(out)")
    }

    @Test func gracefulRollDrainsEachInstanceFromTheGatewayAndPutsItBack() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        let plan = try await lab.deployer(["plan", "prod", "--version", "v2"])
        #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        #expect(plan.stdout.contains("manualupgrade"), "\(plan.stdout)")
        #expect(try await lab.requests().allSatisfy { $0.method == "GET" || $0.method == "POST" && $0.path.contains("oauth2") }, "plan changed nothing")

        let deploy = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        #expect(deploy.status == 0, "\(deploy.stdout)\n\(deploy.stderr)")
        try await Self.expectFullyRolled(lab)
        let requests = try await lab.requests()
        let gatewayPuts = requests.filter { $0.method == "PUT" && $0.path.lowercased().hasSuffix("/applicationgateways/agw") }
        #expect(gatewayPuts.count == 8, "one removal and one re-add per instance")
        #expect(gatewayPuts.allSatisfy { $0.ifMatch != nil }, "every gateway write carries If-Match")
        #expect(requests.filter { $0.path.lowercased().hasSuffix("/manualupgrade") }.count == 4)
        #expect(requests.filter { $0.method == "PUT" && $0.path.lowercased().hasSuffix("/extensions/customscript") }.count == 1)
        // The drain lasted the gateway's own connection-draining timeout (1 s), not a fixed 60 s.
        #expect(deploy.stdout.contains("4 updated") || deploy.stdout.contains("updated: 4") || deploy.stdout.contains("4 of 4"), "\(deploy.stdout)")

        let status = try await lab.deployer(["status", "prod"])
        #expect(status.stdout.contains("latest"), "\(status.stdout)")
        #expect(!status.stdout.contains("older"), "\(status.stdout)")
        let banner = lab.simulator.running.stdout()
        #expect(banner.contains("export AZURE_CLIENT_ID=deployer-ci"), "the banner says how to sign in: \(banner)")
        let everything = deploy.stdout + deploy.stderr + status.stdout + plan.stdout + lab.armRequestLog() + banner
        #expect(!everything.contains(lab.secret), "the client secret leaked")
        #expect(lab.armRequestLog().contains("x-ms-request-id="), "every ARM call is logged with its request id")
        #expect(!lab.armRequestLog().contains("Bearer"), "no token in the request log")

        let again = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        #expect(again.status == 0)
        #expect(try await lab.requests().filter { $0.path.lowercased().hasSuffix("/manualupgrade") }.count == 4, "nothing left to do")
    }

    /// A canary judged by the gateway's own metrics (Azure Monitor, served by the simulator from its
    /// traffic): a good version passes and rolls on; a `-faulty` one fails at the first sample with
    /// enough requests, and its instance is put back on the good version, the rest untouched.
    @Test func aCanaryJudgedByTheGatewayMetricsPassesOrIsRolledBack() async throws {
        let environment = AzureLab.prod.replacingOccurrences(
            of: "on-drain-timeout: proceed}",
            with: "on-drain-timeout: proceed, canary: {targets: 1, bake: 3s, interval: 500ms, min-requests: 25, max-error-rate: 5%}}")
        let lab = try await AzureLab.start(environment: environment)
        defer { lab.stop() }
        let plan = try await lab.deployer(["plan", "prod", "--version", "v2"])
        #expect(plan.status == 0 && plan.stdout.lowercased().contains("canary"), "\(plan.stdout)\n\(plan.stderr)")
        let good = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
        #expect(good.stdout.contains("canary passed"), "\(good.stdout)")
        try await Self.expectFullyRolled(lab)
        let metricReads = try await lab.requests().filter { $0.path.lowercased().hasSuffix("/providers/microsoft.insights/metrics") }
        #expect(metricReads.count >= 4, "the bake read the gateway's metrics at every sample: \(metricReads.count)")

        let faulty = try await lab.deployer(["deploy", "prod", "--version", "v3-faulty", "--yes", "--output", "json"])
        #expect(faulty.status == 7, "the canary failed: \(faulty.stdout.suffix(3000))\n\(faulty.stderr)")
        let lines = faulty.stdout.split(separator: "\n")
        let verdict = lines.first { $0.contains("\"event\":\"canary-finished\"") } ?? ""
        #expect(verdict.contains("\"passed\":false") && verdict.contains("error rate"), "\(verdict)")
        #expect(lines.contains { $0.contains("\"event\":\"canary-sample\"") }, "each sample is an event")
        let web = try await lab.state().scaleSet("web")
        #expect(web?.modelTag == "v2", "the model is back on the good version")
        #expect((web?.instances ?? []).allSatisfy { $0.appliedTag == "v2" }, "every instance runs v2: \(web?.instances ?? [])")
        #expect(try await lab.outOfPool().isEmpty, "every instance is back in the pool")
        try await Self.expectOutOfPoolReported(lab, faulty.stdout + faulty.stderr)
    }

    @Test func simpleRollUpdatesInPlaceWithoutTouchingAnyGateway() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        let deploy = try await lab.deployer(["deploy", "test", "--version", "v7", "--yes"])
        #expect(deploy.status == 0, "\(deploy.stdout)\n\(deploy.stderr)")
        let test = try await lab.state().scaleSet("test")
        #expect(test?.instances.allSatisfy { $0.latestModelApplied && $0.appliedTag == "v7" } == true, "\(String(describing: test))")
        #expect(try await lab.requests().allSatisfy { !$0.path.lowercased().contains("applicationgateways") })
    }

    @Test func drainAndRestoreOneInstance() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        let drain = try await lab.deployer(["drain", "prod", "web_2"])
        #expect(drain.status == 0, "\(drain.stdout)\n\(drain.stderr)")
        #expect(try await lab.outOfPool().map(\.id) == ["2"])
        let status = try await lab.deployer(["status", "prod"])
        #expect(status.stdout.contains("web_2"), "\(status.stdout)")
        #expect(status.stdout.contains("In service: 3 of 4"), "\(status.stdout)")
        let restore = try await lab.deployer(["restore", "prod", "web_2"])
        #expect(restore.status == 0, "\(restore.stdout)\n\(restore.stderr)")
        #expect(try await lab.outOfPool().isEmpty)
    }

    @Test func lockLivesInAzureSoAnotherMachineSeesIt() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        let take = try await lab.deployer(["lock", "acquire", "prod", "--message", "db migration"], extra: ["DEPLOYER_USER": "alice"])
        #expect(take.status == 0, "\(take.stdout)\n\(take.stderr)")
        #expect(try await lab.state().scaleSet("web")?.tags["deployer-lock-user"] == "alice")
        // Another machine: its own state directory, another user.
        let other = lab.scratch.path + "/elsewhere"
        let deploy = try await lab.deployer(
            ["deploy", "prod", "--version", "v2", "--yes"], extra: ["DEPLOYER_USER": "bob", "DEPLOYER_STATE_DIR": other])
        #expect(deploy.status == 4, "\(deploy.stdout)\n\(deploy.stderr)")
        #expect((deploy.stdout + deploy.stderr).contains("alice"))
        #expect(try await lab.requests().allSatisfy { !$0.path.lowercased().hasSuffix("/manualupgrade") })
        let release = try await lab.deployer(["lock", "release", "prod"], extra: ["DEPLOYER_USER": "alice"])
        #expect(release.status == 0, "\(release.stdout)\n\(release.stderr)")
        #expect(try await lab.state().scaleSet("web")?.tags["deployer-lock-user"] == nil)
    }

    @Test func poolJoinedByNICReferenceIsRefusedBeforeAnythingChanges() async throws {
        let lab = try await AzureLab.start(byNIC: true)
        defer { lab.stop() }
        let deploy = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        #expect(deploy.status != 0)
        #expect(deploy.stderr.contains("NIC reference"), "\(deploy.stderr)")
        #expect(try await lab.requests().allSatisfy { $0.method == "GET" || $0.path.contains("oauth2") || $0.method == "PATCH" })
        #expect(try await lab.state().scaleSet("web")?.modelTag == "v1")
    }

    @Test(arguments: ["Automatic", "Rolling"])
    func scaleSetNotInManualModeIsRefused(mode: String) async throws {
        let lab = try await AzureLab.start(upgradeMode: mode)
        defer { lab.stop() }
        let deploy = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        #expect(deploy.status != 0)
        #expect(deploy.stderr.contains("upgradePolicy.mode \(mode)"), "\(deploy.stderr)")
        #expect(try await lab.state().scaleSet("web")?.modelTag == "v1")
    }

    /// Faults the client rides out: the deploy finishes and every instance is back in the pool.
    @Test(arguments: [
        FaultSpec(method: "GET", path: "/virtualMachines", kind: .throttle, count: 2),
        FaultSpec(method: "GET", path: "/virtualMachines", kind: .throttle, count: 1, unwrapped: true),
        FaultSpec(method: "GET", path: "/virtualMachineScaleSets/web", kind: .subscriptionThrottle),
        FaultSpec(method: "GET", path: "/applicationGateways/agw", kind: .serverError, count: 2),
        FaultSpec(method: "GET", path: "/networkInterfaces", kind: .unavailable),
        FaultSpec(method: "GET", path: "/virtualMachines", kind: .reset),
        FaultSpec(method: "GET", path: "/virtualMachineScaleSets/web", kind: .delay, seconds: 0.5),
        FaultSpec(method: "PUT", path: "/applicationGateways/agw", kind: .busy),
        FaultSpec(method: "PUT", path: "/applicationGateways/agw", kind: .etagMismatch),
        FaultSpec(method: "PUT", path: "/applicationGateways/agw", kind: .superseded),
        FaultSpec(method: "PUT", path: "/applicationGateways/agw", kind: .lostUpdate),
        FaultSpec(method: "POST", path: "/manualupgrade", kind: .conflict),
        FaultSpec(method: "POST", path: "/manualupgrade", kind: .preempted),
        FaultSpec(path: "/virtualMachineScaleSets/web", kind: .unauthorized),
        FaultSpec(method: "PUT", path: "/applicationGateways/agw", kind: .ratelimitHeadroom, count: 8),
    ])
    func faultTheDeployRidesOut(_ fault: FaultSpec) async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        try await lab.arm(fault)
        let deploy = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        #expect(deploy.status == 0, "\(fault.kind): \(deploy.stdout)\n\(deploy.stderr)")
        try await Self.expectFullyRolled(lab)
        let requests = try await lab.requests()
        #expect(requests.contains { $0.fault == fault.kind.rawValue }, "the fault was applied")
        if [.busy, .etagMismatch, .superseded, .lostUpdate].contains(fault.kind) {
            // A gateway write that did not land as sent is never re-sent blindly: a read comes first.
            let gateway = requests.filter { $0.path.lowercased().hasSuffix("/applicationgateways/agw") }
            if let hit = gateway.firstIndex(where: { $0.fault == fault.kind.rawValue }), hit + 1 < gateway.count {
                #expect(gateway[hit + 1].method == "GET", "after \(fault.kind) came \(gateway[hit + 1].method)")
            }
        }
        if fault.kind == .lostUpdate {
            #expect((deploy.stdout + deploy.stderr).contains("another writer"), "\(deploy.stdout)")
        }
    }

    /// Faults that must stop the roll: the instance is left out of the pool and reported, the others
    /// are back in it, and deployer exits non-zero.
    @Test(arguments: [
        FaultSpec(method: "POST", path: "/manualupgrade", kind: .lroFailed),
        FaultSpec(method: "POST", path: "/manualupgrade", kind: .unhealthy, health: .unhealthy),
        FaultSpec(method: "POST", path: "/manualupgrade", kind: .unhealthy, health: .absent),
        FaultSpec(method: "POST", path: "/manualupgrade", kind: .stuck),
        FaultSpec(method: "POST", path: "/manualupgrade", kind: .vanished),
    ])
    func faultThatStopsTheDeployLeavesTheInstanceOutAndSaysSo(_ fault: FaultSpec) async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        try await lab.arm(fault)
        let deploy = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        let output = deploy.stdout + deploy.stderr
        #expect(deploy.status != 0, "\(fault.kind): \(output)")
        try await Self.expectOutOfPoolReported(lab, "\(output)")
        let out = try await lab.outOfPool()
        #expect(out.count <= 1, "one instance at most is left out: \(out)")
        switch fault.kind {
        case .lroFailed: #expect(output.contains("VMExtensionProvisioningError"), "\(output)")
        case .stuck: #expect(output.contains("OperationTimedOut"), "\(output)")
        case .vanished: #expect(output.contains("no longer exists"), "\(output)")
        default: #expect(output.contains("not healthy"), "\(output)")
        }
        #expect(!output.contains(lab.secret))
    }

    @Test func wrongAPIVersionFailsFastAndChangesNothing() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        try await lab.arm(FaultSpec(method: "GET", path: "/networkInterfaces", kind: .wrongAPIVersion, count: 100))
        let deploy = try await lab.deployer(["deploy", "prod", "--version", "v2", "--yes"])
        #expect(deploy.status != 0)
        #expect((deploy.stdout + deploy.stderr).contains("NoRegisteredProviderFound"), "\(deploy.stderr)")
        #expect(try await lab.requests().allSatisfy { $0.method == "GET" || $0.path.contains("oauth2") || $0.method == "PATCH" })
        #expect(try await lab.outOfPool().isEmpty)
    }

    @Test func managedIdentityTokenComesFromIMDS() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        let status = try await lab.deployer(
            ["status", "prod"], extra: ["AZURE_CLIENT_SECRET": "", "AZURE_POD_IDENTITY_AUTHORITY_HOST": lab.endpoint])
        #expect(status.status == 0, "\(status.stdout)\n\(status.stderr)")
        #expect(status.stdout.contains("In service: 4 of 4"), "\(status.stdout)")
        #expect(try await lab.requests().contains { $0.path.hasSuffix("/metadata/identity/oauth2/token") && $0.status == 200 })
    }

    @Test func azureCLITokenIsUsedWhenNothingElseIsSet() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        // A token from the simulator, handed out by an `az` of the test's own, as az prints it.
        var request = URLRequest(url: URL(string: lab.endpoint + "/00000000-0000-0000-0000-0000000000aa/oauth2/v2.0/token")!)
        request.httpMethod = "POST"
        request.httpBody = Data(
            "grant_type=client_credentials&client_id=deployer-ci&client_secret=\(lab.secret)&scope=https%3A%2F%2Fmanagement.azure.com%2F.default".utf8)
        let (data, _) = try await SimulatorProcess.session.data(for: request)
        let token = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["access_token"] as? String)
        let bin = lab.scratch.path + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let expires = Int(Date().timeIntervalSince1970) + 3600
        try """
            #!/bin/sh
            [ "$1 $2" = "account get-access-token" ] || { echo "ERROR: unexpected az $*" >&2; exit 2; }
            echo '{"accessToken": "\(token)", "expiresOn": "2026-01-01 00:00:00.000000", "expires_on": \(expires), "subscription": "00000000-0000-0000-0000-000000000001", "tenant": "00000000-0000-0000-0000-0000000000aa", "tokenType": "Bearer"}'
            """.write(toFile: bin + "/az", atomically: true, encoding: .utf8)
        chmod(bin + "/az", 0o755)
        let path = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let status = try await lab.deployer(["status", "prod"], extra: ["AZURE_CLIENT_SECRET": "", "PATH": path])
        #expect(status.status == 0, "\(status.stdout)\n\(status.stderr)")
        #expect(!(status.stdout + status.stderr + lab.armRequestLog()).contains(token), "the token was printed")
        let gone = try await lab.deployer(["status", "prod"], extra: ["AZURE_CLIENT_SECRET": "", "PATH": "/nonexistent"])
        #expect(gone.status != 0)
        #expect(gone.stderr.contains("az"), "\(gone.stderr)")
    }

    @Test func refusedSecretIsOneClearErrorWithoutTheSecret() async throws {
        let lab = try await AzureLab.start()
        defer { lab.stop() }
        let deploy = try await lab.deployer(
            ["deploy", "prod", "--version", "v2", "--yes"], extra: ["AZURE_CLIENT_SECRET": "wrong-secret-value"])
        #expect(deploy.status != 0)
        #expect(deploy.stderr.contains("AZURE_CLIENT_SECRET"), "\(deploy.stderr)")
        #expect(!deploy.stderr.contains("wrong-secret-value"))
        #expect(try await lab.outOfPool().isEmpty)
    }
}
