import Deployer
import Foundation
import Manifests
import Providers

/// An environment loaded from its file, with where its deploy state lives and the providers that reach it.
struct Workspace: Sendable {
    let environment: Environment
    let warnings: [Diagnostic]
    /// This machine's directory for the environment: the simulated fleet, the ARM request log, and the
    /// deploy state itself when it is local.
    let stateDir: String
    /// The lock, journals, audit log and versions, wherever `state:` says (shared, or this machine's).
    let store: StateStore

    var fleetPath: String { stateDir + "/simulated-fleet.json" }

    /// Finds and loads the environment named by `options`.
    static func load(_ options: EnvironmentOptions) throws -> Workspace {
        let path = try resolve(options.environment)
        let loaded: (environment: Environment, warnings: [Diagnostic])
        do {
            loaded = try EnvironmentLoader.load(path: path)
        } catch {
            throw CommandFailure(
                DiagnosticRenderer.text(
                    error.diagnostics, sources: { try? String(contentsOfFile: $0, encoding: .utf8) },
                    color: Console.stderrIsTerminal && Console.colorAllowed)
                    + "\n\(path): the environment has errors; fix them and try again (`deployer validate \(path)`)",
                code: .badInput)
        }
        let environmentVariables = ProcessInfo.processInfo.environment
        let root =
            options.stateDir ?? environmentVariables["DEPLOYER_STATE_DIR"]
            ?? ((path as NSString).deletingLastPathComponent.nonEmpty ?? ".") + "/.deployer"
        let stateDir = root + "/" + loaded.environment.name
        let backend: any StateBackend
        switch loaded.environment.state {
        case .local(let directory):
            backend = LocalStateBackend(directory: directory ?? stateDir)
        case .ssh(let spec):
            let settings = sshSettings(loaded.environment)
            let shell: any RemoteShell =
                switch settings.transport {
                case .libssh2: LibSSH2Shell(connections: SSHConnections(), settings: settings)
                case .openssh: OpenSSHShell(settings: settings)
                }
            backend = SSHStateBackend(
                shell: shell, host: RemoteHost(address: spec.address, vars: spec.vars), hostName: spec.host,
                directory: spec.directory)
        case .azureBlob(let spec):
            backend = blobBackend(spec, environment: loaded.environment, stateDir: stateDir)
        case .etcd(let spec):
            let transport: SocketHTTPTransport
            if spec.isTLS {
                func expanded(_ path: String?) -> String? { path.map { ($0 as NSString).expandingTildeInPath } }
                do {
                    transport = try SocketHTTPTransport(
                        timeout: .seconds(10), tls: TLSClientFiles(ca: expanded(spec.ca), certificate: expanded(spec.certificate), key: expanded(spec.key)))
                } catch {
                    throw CommandFailure(
                        "error: \(path): state.etcd: \(error); fix `ca`, `cert` or `key` and try again", code: .badInput)
                }
            } else {
                transport = SocketHTTPTransport(timeout: .seconds(10))
            }
            backend = EtcdStateBackend(
                endpoints: spec.endpoints.compactMap(URL.init(string:)), prefix: spec.prefix, user: spec.user,
                password: spec.passwordVariable.flatMap { environmentVariables[$0] }, transport: transport)
        }
        return Workspace(
            environment: loaded.environment, warnings: loaded.warnings, stateDir: stateDir, store: StateStore(backend))
    }

    /// The state container of `spec`: its endpoint found through Resource Manager and its requests
    /// authorised on first use, so that `plan` and `validate` need no credentials.
    static func blobBackend(_ spec: AzureBlobStateSpec, environment: Environment, stateDir: String) -> BlobStateBackend {
        let variables = ProcessInfo.processInfo.environment
        let transport = URLSessionTransport(timeout: BlobStateBackend.requestTimeout)
        let settings = Result { try AzureSettings.fromEnvironment(variables) }
        var vmssSubscription: String?
        if case .vmss(let scaleSet) = environment.targets { vmssSubscription = scaleSet.subscription }
        let subscription = spec.subscription ?? vmssSubscription ?? variables["AZURE_SUBSCRIPTION_ID"] ?? ""
        let accountPath =
            "/subscriptions/\(subscription)/resourceGroups/\(spec.resourceGroup)/providers/Microsoft.Storage/storageAccounts/\(spec.account)"
        let endpoint: BlobStateBackend.Endpoint
        if case .success(let settings) = settings, !subscription.isEmpty {
            let arm = ARMClient(
                endpoint: settings.endpoint, tokens: TokenCache(settings.tokenSource(transport: transport)), transport: transport,
                trace: ARMRequestLog(path: stateDir + "/arm-requests.log").append)
            endpoint = .resourceManager(arm, accountPath: accountPath)
        } else {
            // Azure's public cloud, where an account key is all it takes.
            endpoint = .known(URL(string: "https://\(spec.account).blob.core.windows.net/")!)
        }
        let storageTokens = (try? settings.get()).map { TokenCache($0.tokenSource(transport: transport, audience: AzureSettings.storage)) }
        return BlobStateBackend(
            account: spec.account, container: spec.container, prefix: spec.prefix, endpoint: endpoint, transport: transport
        ) {
            if let name = spec.keyVariable {
                guard let text = variables[name], !text.isEmpty else {
                    throw AzureAuthError("\(name) is not set: it should hold the storage account key of \(spec.account) (`state.azure-blob.key-env`)")
                }
                guard let key = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw AzureAuthError("\(name) does not hold a storage account key (base64)")
                }
                return .sharedKey(account: spec.account, key: Array(key))
            }
            _ = try settings.get()
            guard let storageTokens, !subscription.isEmpty else {
                throw AzureAuthError(
                    "no Azure subscription to find the state account \(spec.account) in: set AZURE_SUBSCRIPTION_ID, or "
                        + "`subscription:` under state.azure-blob")
            }
            return .bearer(storageTokens)
        }
    }

    static func sshSettings(_ environment: Environment) -> SSHSettings {
        SSHSettings.fromEnvironment(ProcessInfo.processInfo.environment, user: Identity.user, options: environment.ssh)
    }

    /// Where the deploy state lives and who sees it, as `plan` and `state show` print it.
    var stateLines: [String] {
        let state = stateDescription
        return [
            "Deploy state: \(state.location)" + (environment.stateIsDefault ? " (the default; see `state:` in docs/environment.md)" : "")
        ] + (state.warning.map { ["warning: \($0)"] } ?? [])
    }

    /// Where the deploy state lives, for `plan` and `status`, and a warning when only this machine sees it.
    var stateDescription: (location: String, warning: String?) {
        let backend = store.backend
        // A simulated fleet lives in this machine's state directory itself: nothing to share.
        if backend.isShared { return (backend.location, nil) }
        if case .simulated = environment.targets { return (backend.location, nil) }
        if case .vmss = environment.targets {
            return (
                backend.location,
                "the journal and audit log are on this machine only (the lock is on the scale set): a deploy that dies "
                    + "here can only be resumed or aborted from here")
        }
        return (
            backend.location,
            "the deploy state is on this machine only: deploys, drains and restores from other machines do not see its "
                + "lock or journal (see `state:` in docs/environment.md)")
    }

    /// An environment argument: an existing file, or a name in the inventories directory.
    static func resolve(_ argument: String) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            return argument
        }
        let directory = ProcessInfo.processInfo.environment["DEPLOYER_INVENTORIES"] ?? "inventories"
        for candidate in ["\(directory)/\(argument).yml", "\(directory)/\(argument).yaml"]
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }
            .filter { name in
                let text = (try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)) ?? ""
                return text.contains("\ntargets:") || text.hasPrefix("targets:")
            }
            .map { ($0 as NSString).deletingPathExtension }
            .sorted()
        let list = known.isEmpty ? "" : " Known environments: \(known.joined(separator: ", "))."
        throw CommandFailure(
            "error: no environment \"\(argument)\": not a file, and not in \(directory)/.\(list)", code: .badInput)
    }

    /// The environment's deploy lock: tags on the scale set for Azure (seen from every machine), in the
    /// deploy state otherwise.
    func lock() throws -> any DeployLock {
        if !lockIsInStore { return try context(events: DiscardingEventSink()).lock }
        return store.lock
    }

    /// Whether the lock is in the deploy state: everywhere but a scale set whose state is local (its
    /// lock is then tags on the scale set, the one place every machine sees).
    var lockIsInStore: Bool {
        if case .vmss = environment.targets, !store.backend.isShared { return false }
        return true
    }

    /// Wires the environment's providers and hooks into a deploy context.
    /// - Parameter version: the version being deployed, for `{{ version }}` in health URLs.
    func context(events: any EventSink, control: DeployControl = DeployControl(), version: String? = nil) throws -> DeployContext {
        var context = try providerContext(events: events, control: control, version: version)
        context.hooks = hooks
        return context
    }

    /// The environment's hooks, run in its file's directory.
    var hooks: LocalHooks? {
        guard !environment.hooks.isEmpty else { return nil }
        var secrets: [String] = []
        if case .azureBlob(let spec) = environment.state, let name = spec.keyVariable { secrets.append(name) }
        if case .etcd(let spec) = environment.state, let name = spec.passwordVariable { secrets.append(name) }
        let directory = (environment.file as NSString).deletingLastPathComponent
        return LocalHooks(spec: environment.hooks, directory: directory.isEmpty ? "." : directory, secrets: secrets)
    }

    private func providerContext(events: any EventSink, control: DeployControl, version: String?) throws -> DeployContext {
        let lock = store.lock
        switch environment.targets {
        case .simulated(let spec):
            let world = try simulatedWorld(spec)
            return DeployContext(
                fleet: world, traffic: world, health: world, lock: lock, events: events, control: control,
                pollInterval: .milliseconds(250), metrics: world)
        case .hosts(let hosts):
            do {
                return try InventoryHostsProvider.context(
                    environment, hosts: hosts, lock: lock, events: events, control: control, versions: store,
                    version: version, ssh: Self.sshSettings(environment))
            } catch let error as InventoryHostsProvider.SetupError {
                throw CommandFailure("error: \(error.message)", code: error.badInput ? .badInput : .failed)
            }
        case .vmss(let spec):
            do {
                let settings = try AzureSettings.fromEnvironment(ProcessInfo.processInfo.environment)
                return try AzureProvider.context(
                    environment, scaleSet: spec, settings: settings, events: events, control: control,
                    lock: lockIsInStore ? lock : nil,
                    trace: ARMRequestLog(path: stateDir + "/arm-requests.log").append,
                    // ARM on this machine (the simulator) answers in milliseconds; Azure is polled gently.
                    pollInterval: AzureSettings.isLoopback(settings.endpoint.host ?? "") ? .milliseconds(250) : .seconds(2))
            } catch let error as AzureAuthError {
                throw CommandFailure("error: \(error.message)", code: .badInput)
            } catch let error as AzureProvider.SetupError {
                throw CommandFailure("error: \(error.message)", code: error.badInput ? .badInput : .failed)
            }
        }
    }

    private func simulatedWorld(_ spec: SimulatedFleetSpec) throws -> SimulatedWorld {
        let pools = environment.loadBalancers.map { PoolID($0.name) }
        let store = SimulatedStore(path: spec.fleetFile ?? fleetPath)
        let state = try store.create(
            SimulatedFleetState(
                names: spec.targetNames, version: spec.initialVersion, pools: pools,
                sessionsPerTarget: spec.sessionsPerTarget, sessionSeconds: spec.sessionDuration.seconds))
        var faults = SimulatedFaults(seed: UInt64.random(in: 0...UInt64.max))
        if case .simulated(let update) = environment.action {
            faults.updateDuration = update.duration
            faults.updateFailureRate = update.failureRate
            faults.unhealthyRate = update.unhealthyRate
        }
        if let seed = ProcessInfo.processInfo.environment["DEPLOYER_SIMULATION_SEED"].flatMap(UInt64.init) {
            faults.seed = seed
        }
        return SimulatedWorld(state: state, clock: SystemClock(), faults: faults, store: store)
    }

    /// The deploy request for this environment.
    func request(version: String, strategy: Strategy, deployID: String, command: String) -> DeployRequest {
        DeployRequest(
            environment: environment.name, version: version, strategy: strategy,
            hasPrepare: environment.prepare != nil,
            // A batch given with --batch was not written in the file: point at neither.
            batchLocation: strategy.batches == environment.strategy.batches ? environment.locations["strategy.batch"] : nil,
            deployID: deployID, holder: Identity.current(deployID: deployID, command: command))
    }

    /// The same workspace with its deploy state read at once (`StateStore.snapshot`: one request on
    /// etcd), for a command that only reads it.
    func readingStateAtOnce() async throws -> Workspace {
        Workspace(environment: environment, warnings: warnings, stateDir: stateDir, store: try await store.snapshot())
    }

    /// The deploy that has not finished, if any, with its journal.
    func unfinishedJournal() async throws -> (deployID: String, replay: JournalReplay)? {
        try await store.unfinished()
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

/// Who is running deployer: the lock holder and the audit log's "who".
enum Identity {
    /// Who runs deployer: `DEPLOYER_USER`, else the login name.
    static var user: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["DEPLOYER_USER"] ?? environment["USER"] ?? environment["LOGNAME"]
            ?? getpwuid(geteuid()).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
    }

    /// The holder record of this process. A manual lock records no pid: it outlives the command that took it.
    static func current(deployID: String?, command: String, message: String? = nil, manual: Bool = false) -> LockInfo {
        LockInfo(
            user: user, host: ProcessInfo.processInfo.hostName, pid: manual ? 0 : getpid(), since: Date(),
            deployID: deployID, command: command, message: message, manual: manual)
    }

    /// A holder on another machine whose heartbeat is older than this is taken to be gone.
    static let heartbeatTimeout: TimeInterval = 30
    /// How often a command holding the lock beats.
    static let heartbeatInterval: Duration = .seconds(5)

    /// Whether the lock's holder is known to be gone: a deploy, drain or restore whose process on this
    /// machine no longer runs, or whose process elsewhere has not beaten for `heartbeatTimeout`. A
    /// manual lock is never gone.
    static func isGone(_ holder: LockInfo, in store: StateStore) async -> Bool {
        guard !holder.manual, holder.pid > 0 else { return false }
        if holder.host == ProcessInfo.processInfo.hostName { return !ProcessLiveness.isAlive(holder.pid) }
        // Its heartbeat is in the state it shares with us; with state only this machine sees (a scale
        // set's lock is shared, its journal is not), a holder elsewhere can never be judged gone.
        guard store.backend.isShared else { return false }
        if await goneSince(holder, in: store) != nil { return true }
        let last = (try? await store.lastBeat(of: holder)) ?? nil
        return Date().timeIntervalSince(last ?? holder.since) > heartbeatTimeout
    }

    /// Since when a holder on another machine is known gone, where the state's heartbeats expire by
    /// themselves (etcd: its lease ran out); nil otherwise.
    static func goneSince(_ holder: LockInfo, in store: StateStore) async -> Date? {
        guard !holder.manual, holder.pid > 0, store.backend.isShared else { return nil }
        return (try? await store.heartbeatExpiry(of: holder)) ?? nil
    }

    /// " since 2026-12-04T10:31:05Z (its heartbeat's lease ran out)", or "" when that is not known.
    static func goneSinceText(_ holder: LockInfo, in store: StateStore) async -> String {
        guard let since = await goneSince(holder, in: store) else { return "" }
        return " since \(since.formatted(.iso8601)) (its heartbeat's lease ran out)"
    }

    /// "last heard from 3 s ago", for a holder on another machine; nil for this machine's or a manual lock.
    static func lastHeard(_ holder: LockInfo, in store: StateStore) async -> String? {
        guard !holder.manual, holder.host != ProcessInfo.processInfo.hostName, store.backend.isShared else { return nil }
        guard let last = (try? await store.lastBeat(of: holder)) ?? nil else { return "never heard from" }
        return "last heard from \(max(0, Int(Date().timeIntervalSince(last).rounded()))) s ago"
    }

    /// A new deploy id: sortable by time, unique enough for one environment, always 25 characters
    /// (`20261121T095837Z-0b06cc4f`).
    static func newDeployID() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(formatter.string(from: Date()))-\(String(repeating: "0", count: 8 - suffix.count))\(suffix)"
    }
}
