import Foundation
import JSONDocument
import Yams

/// The world the simulator starts with: subscription, credentials, timing, scale sets, gateways
/// and faults armed from the start. Decoded from YAML with kebab-case keys (see `deployer simulate
/// azure --help` for the schema); every key has a default, so an empty file is a valid scenario.
public struct SimulatorScenario: Sendable, Equatable, Decodable {
    /// The subscription id every ARM path must name.
    public var subscription: String
    /// The tenant the token endpoints serve and tokens carry as `tid`.
    public var tenant: String
    /// The Azure region reported on resources and used in operation-status URLs.
    public var location: String
    /// Client credentials the token endpoint accepts (client-credentials flow).
    public var credentials: [Credential]
    /// How long operations take and what polling headers say.
    public var timing: Timing
    /// Items per page of list responses (`nextLink` carries the rest).
    public var pageSize: Int
    /// The virtual machine scale sets.
    public var scaleSets: [ScaleSet]
    /// The application gateways.
    public var gateways: [Gateway]
    /// Faults armed when the simulator starts.
    public var faults: [FaultSpec]
    /// Storage accounts whose Blob service is served too.
    public var storageAccounts: [StorageAccount]

    /// A scenario from its parts; every argument has the default a YAML file without the key gets.
    public init(
        subscription: String = "00000000-0000-0000-0000-000000000001",
        tenant: String = "00000000-0000-0000-0000-0000000000aa",
        location: String = "westeurope",
        credentials: [Credential] = [Credential(clientID: "deployer-ci", clientSecret: "sim-secret")],
        timing: Timing = Timing(),
        pageSize: Int = 100,
        scaleSets: [ScaleSet] = [],
        gateways: [Gateway] = [],
        faults: [FaultSpec] = [],
        storageAccounts: [StorageAccount] = []
    ) {
        self.subscription = subscription
        self.tenant = tenant
        self.location = location
        self.credentials = credentials
        self.timing = timing
        self.pageSize = pageSize
        self.scaleSets = scaleSets
        self.gateways = gateways
        self.faults = faults
        self.storageAccounts = storageAccounts
    }

    enum CodingKeys: String, CodingKey {
        case subscription, tenant, location, credentials, timing, faults, gateways
        case pageSize = "page-size"
        case scaleSets = "scale-sets"
        case storageAccounts = "storage-accounts"
    }

    /// Decodes the YAML/JSON form; absent keys take their documented defaults.
    public init(from decoder: any Decoder) throws {
        let defaults = SimulatorScenario()
        let container = try decoder.container(keyedBy: CodingKeys.self)
        subscription = try container.decodeIfPresent(String.self, forKey: .subscription) ?? defaults.subscription
        tenant = try container.decodeIfPresent(String.self, forKey: .tenant) ?? defaults.tenant
        location = try container.decodeIfPresent(String.self, forKey: .location) ?? defaults.location
        credentials = try container.decodeIfPresent([Credential].self, forKey: .credentials) ?? defaults.credentials
        timing = try container.decodeIfPresent(Timing.self, forKey: .timing) ?? defaults.timing
        pageSize = try container.decodeIfPresent(Int.self, forKey: .pageSize) ?? defaults.pageSize
        scaleSets = try container.decodeIfPresent([ScaleSet].self, forKey: .scaleSets) ?? []
        gateways = try container.decodeIfPresent([Gateway].self, forKey: .gateways) ?? []
        faults = try container.decodeIfPresent([FaultSpec].self, forKey: .faults) ?? []
        storageAccounts = try container.decodeIfPresent([StorageAccount].self, forKey: .storageAccounts) ?? []
    }

    /// Reads and checks a scenario file. Errors name the file and the key at fault.
    public static func load(path: String) throws -> SimulatorScenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SimulatorError(file: path, "cannot read the scenario file (does it exist, and is it readable?)")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses and checks scenario YAML; `file` only labels errors.
    public static func parse(yaml: String, file: String = "scenario") throws -> SimulatorScenario {
        let tree: Any?
        do {
            tree = try Yams.load(yaml: yaml)
        } catch {
            throw SimulatorError(file: file, "not valid YAML: \(error)")
        }
        if tree == nil { return SimulatorScenario() }
        if let problem = ScenarioKeys.unknownKey(in: tree as Any) {
            throw SimulatorError(file: file, problem)
        }
        let scenario: SimulatorScenario
        do {
            scenario = try YAMLDecoder().decode(SimulatorScenario.self, from: yaml)
        } catch let error as DecodingError {
            throw SimulatorError(file: file, ScenarioKeys.describe(error))
        } catch let error as SimulatorError {
            throw SimulatorError(file: file, error.message)
        } catch {
            throw SimulatorError(file: file, "cannot be read as a scenario: \(error)")
        }
        if let problem = scenario.problem() { throw SimulatorError(file: file, problem) }
        return scenario
    }

    /// The first inconsistency between sections (dangling references, duplicates, bad numbers).
    func problem() -> String? {
        if pageSize < 1 { return "page-size must be at least 1 (got \(pageSize))" }
        if let problem = timing.problem() { return problem }
        var seen = Set<String>()
        for (index, scaleSet) in scaleSets.enumerated() {
            let key = (scaleSet.resourceGroup + "/" + scaleSet.name).lowercased()
            if !seen.insert(key).inserted { return "scale-sets[\(index)]: \(scaleSet.name) in \(scaleSet.resourceGroup) is declared twice" }
            if let problem = scaleSet.problem() { return "scale-sets[\(index)]: \(problem)" }
            if let reference = scaleSet.gatewayPoolByNIC {
                let parts = reference.split(separator: "/").map(String.init)
                guard parts.count == 2,
                    let gateway = gateways.first(where: { $0.name.lowercased() == parts[0].lowercased() }),
                    gateway.pools.contains(where: { $0.name.lowercased() == parts[1].lowercased() })
                else {
                    return "scale-sets[\(index)].gateway-pool-by-nic: '\(reference)' names no pool of a declared gateway (write GATEWAY/POOL)"
                }
            }
        }
        seen = []
        for (index, gateway) in gateways.enumerated() {
            let key = (gateway.resourceGroup + "/" + gateway.name).lowercased()
            if !seen.insert(key).inserted { return "gateways[\(index)]: \(gateway.name) in \(gateway.resourceGroup) is declared twice" }
            if gateway.drainTimeout < 1 || gateway.drainTimeout > 3600 {
                return "gateways[\(index)].drain-timeout must be 1…3600 seconds (got \(gateway.drainTimeout))"
            }
            for (poolIndex, pool) in gateway.pools.enumerated() {
                if let source = pool.fromScaleSet, !scaleSets.contains(where: { $0.name.lowercased() == source.lowercased() }) {
                    return "gateways[\(index)].pools[\(poolIndex)].from-scale-set: no scale set is named '\(source)'"
                }
            }
        }
        seen = []
        for (index, account) in storageAccounts.enumerated() {
            if let problem = account.problem() { return "storage-accounts[\(index)].\(problem)" }
            if !seen.insert(account.name).inserted {
                return "storage-accounts[\(index)]: the account name \(account.name) is declared twice (account names are global, whatever the resource group)"
            }
        }
        for (index, fault) in faults.enumerated() {
            if let problem = fault.problem() { return "faults[\(index)]: \(problem)" }
        }
        return nil
    }

    /// The built-in scenario `deployer simulate azure` serves without `--scenario`: one Manual,
    /// Uniform scale set of four instances behind one IP-based gateway pool.
    public static var demo: SimulatorScenario {
        SimulatorScenario(
            scaleSets: [ScaleSet(resourceGroup: "rg-backend-prod", name: "vmss-backend-prod")],
            gateways: [
                Gateway(
                    resourceGroup: "rg-backend-prod", name: "appgw-backend-prod",
                    pools: [Gateway.Pool(name: "backend-pool-prod", fromScaleSet: "vmss-backend-prod")])
            ])
    }
}

extension SimulatorScenario {
    /// A client id and secret the token endpoint accepts.
    public struct Credential: Sendable, Equatable, Decodable {
        /// `client_id` of the token request.
        public var clientID: String
        /// `client_secret` of the token request (a simulator credential, not a real secret).
        public var clientSecret: String

        /// A credential pair.
        public init(clientID: String, clientSecret: String) {
            self.clientID = clientID
            self.clientSecret = clientSecret
        }

        enum CodingKeys: String, CodingKey {
            case clientID = "client-id"
            case clientSecret = "client-secret"
        }
    }
}
