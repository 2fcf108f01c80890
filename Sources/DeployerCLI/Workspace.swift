import Deployer
import Foundation
import Manifests
import Providers

/// An environment loaded from its file, with its state directory and the providers that reach it.
struct Workspace {
    let environment: Environment
    let warnings: [Diagnostic]
    /// This environment's state directory.
    let stateDir: String

    var lockPath: String { stateDir + "/lock.json" }
    var journalDir: String { stateDir + "/journal" }
    var fleetPath: String { stateDir + "/simulated-fleet.json" }
    var abortMarker: String { stateDir + "/abort-requested" }
    var auditLog: String { stateDir + "/audit.log" }

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
        return Workspace(
            environment: loaded.environment, warnings: loaded.warnings,
            stateDir: root + "/" + loaded.environment.name)
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

    /// The environment's deploy lock: tags on the scale set for Azure (seen from every machine), a file
    /// in the state directory otherwise.
    func lock() throws -> any DeployLock {
        if case .vmss = environment.targets { return try context(events: DiscardingEventSink()).lock }
        return FileDeployLock(path: lockPath)
    }

    /// Wires the environment's providers into a deploy context.
    /// - Parameter version: the version being deployed, for `{{ version }}` in health URLs.
    func context(events: any EventSink, control: DeployControl = DeployControl(), version: String? = nil) throws -> DeployContext {
        let lock = FileDeployLock(path: lockPath)
        switch environment.targets {
        case .simulated(let spec):
            let world = try simulatedWorld(spec)
            return DeployContext(
                fleet: world, traffic: world, health: world, lock: lock, events: events, control: control,
                pollInterval: .milliseconds(250))
        case .hosts(let hosts):
            do {
                return try InventoryHostsProvider.context(
                    environment, hosts: hosts, lock: lock, events: events, control: control,
                    versionFile: stateDir + "/versions.json", version: version,
                    ssh: SSHSettings.fromEnvironment(
                        ProcessInfo.processInfo.environment, user: Identity.user, options: environment.ssh))
            } catch let error as InventoryHostsProvider.SetupError {
                throw CommandFailure("error: \(error.message)", code: error.badInput ? .badInput : .failed)
            }
        case .vmss(let spec):
            do {
                let settings = try AzureSettings.fromEnvironment(ProcessInfo.processInfo.environment)
                return try AzureProvider.context(
                    environment, scaleSet: spec, settings: settings, events: events, control: control,
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
        let store = SimulatedStore(path: fleetPath)
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

    /// The journal of the deploy that has not finished, if any. Only the newest journal can be: a new
    /// deploy is refused while one is unfinished, and deploy ids sort by time.
    func unfinishedJournal() throws -> (path: String, replay: JournalReplay)? {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: journalDir)) ?? [])
            .filter { $0.hasSuffix(".jsonl") }
        guard let newest = files.max() else { return nil }
        let path = journalDir + "/" + newest
        guard let replay = JournalReplay(try FileJournal.read(path: path)), !replay.isFinished else { return nil }
        return (path, replay)
    }

    /// A new journal file for a deploy.
    func newJournal(deployID: String, onDurable: @escaping @Sendable (Int) -> Void) throws -> FileJournal {
        try FileManager.default.createDirectory(atPath: journalDir, withIntermediateDirectories: true)
        return try FileJournal(path: "\(journalDir)/\(deployID).jsonl", onDurable: onDurable)
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

    /// Whether the lock's holder is known to be gone: a deploy, drain or restore whose process on this
    /// machine no longer runs. A manual lock, or a holder on another machine, is never known to be gone.
    static func isGone(_ holder: LockInfo) -> Bool {
        !holder.manual && holder.pid > 0 && holder.host == ProcessInfo.processInfo.hostName
            && !ProcessLiveness.isAlive(holder.pid)
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
