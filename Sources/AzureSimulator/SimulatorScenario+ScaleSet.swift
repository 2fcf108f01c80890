import JSONDocument
extension SimulatorScenario {
    /// One virtual machine scale set and its instances.
    public struct ScaleSet: Sendable, Equatable, Decodable {
        /// How model changes reach instances (`upgradePolicy.mode`).
        public enum UpgradeMode: String, Sendable, Equatable, Decodable, CaseIterable {
            /// Instances go stale until someone calls manualupgrade.
            case manual = "Manual"
            /// Every instance takes a model change at once.
            case automatic = "Automatic"
            /// The platform rolls the change itself (reported by rollingUpgrades/latest).
            case rolling = "Rolling"
        }

        /// `orchestrationMode`.
        public enum Orchestration: String, Sendable, Equatable, Decodable {
            /// The mode manualupgrade and latestModelApplied belong to.
            case uniform = "Uniform"
            /// Reported as is; deployer refuses it.
            case flexible = "Flexible"
        }

        /// The extension the deploy re-runs by changing its `forceUpdateTag`.
        public struct Extension: Sendable, Equatable, Decodable {
            /// The extension's name in the model (the path segment of `…/extensions/{name}`).
            public var name: String
            /// Its handler type, e.g. CustomScript.
            public var type: String
            /// Its publisher, e.g. Microsoft.Azure.Extensions.
            public var publisher: String
            /// `typeHandlerVersion`.
            public var version: String
            /// The tag every instance starts on.
            public var forceUpdateTag: String
            /// `settings.commandToExecute`.
            public var command: String

            /// An extension; the defaults are a CustomScript running ./deploy.sh.
            public init(
                name: String = "CustomScript", type: String = "CustomScript",
                publisher: String = "Microsoft.Azure.Extensions", version: String = "2.1",
                forceUpdateTag: String = "v6.21.17", command: String = "./deploy.sh"
            ) {
                self.name = name
                self.type = type
                self.publisher = publisher
                self.version = version
                self.forceUpdateTag = forceUpdateTag
                self.command = command
            }

            enum CodingKeys: String, CodingKey {
                case name, type, publisher, version, command
                case forceUpdateTag = "force-update-tag"
            }

            /// Decodes the YAML/JSON form; absent keys take their documented defaults.
            public init(from decoder: any Decoder) throws {
                let defaults = Extension()
                let container = try decoder.container(keyedBy: CodingKeys.self)
                name = try container.decodeIfPresent(String.self, forKey: .name) ?? defaults.name
                type = try container.decodeIfPresent(String.self, forKey: .type) ?? defaults.type
                publisher = try container.decodeIfPresent(String.self, forKey: .publisher) ?? defaults.publisher
                version = try container.decodeIfPresent(String.self, forKey: .version) ?? defaults.version
                forceUpdateTag = try container.decodeIfPresent(String.self, forKey: .forceUpdateTag) ?? defaults.forceUpdateTag
                command = try container.decodeIfPresent(String.self, forKey: .command) ?? defaults.command
            }
        }

        /// Resource group holding the scale set.
        public var resourceGroup: String
        /// The scale set's name.
        public var name: String
        /// Number of instances, ids "0" … "capacity-1".
        public var capacity: Int
        /// `upgradePolicy.mode`.
        public var upgradeMode: UpgradeMode
        /// `orchestrationMode`.
        public var orchestration: Orchestration
        /// The subnet instances' primary private IPs come from (from .4 upwards, as Azure does).
        public var subnet: String
        /// Whether the model declares ApplicationHealthLinux, so instances report `vmHealth`.
        public var healthExtension: Bool
        /// `GATEWAY/POOL` when the NICs join that pool by reference instead of by IP.
        public var gatewayPoolByNIC: String?
        /// The deploy extension.
        public var `extension`: Extension
        /// A rolling upgrade reported in progress by `rollingUpgrades/latest` (e.g. RollingForward).
        public var rollingUpgrade: String?
        /// Resource tags.
        public var tags: [String: String]

        /// A scale set; the defaults are four Manual, Uniform instances in 10.0.1.0/24.
        public init(
            resourceGroup: String, name: String, capacity: Int = 4, upgradeMode: UpgradeMode = .manual,
            orchestration: Orchestration = .uniform, subnet: String = "10.0.1.0/24", healthExtension: Bool = true,
            gatewayPoolByNIC: String? = nil, extension: Extension = Extension(), rollingUpgrade: String? = nil,
            tags: [String: String] = [:]
        ) {
            self.resourceGroup = resourceGroup
            self.name = name
            self.capacity = capacity
            self.upgradeMode = upgradeMode
            self.orchestration = orchestration
            self.subnet = subnet
            self.healthExtension = healthExtension
            self.gatewayPoolByNIC = gatewayPoolByNIC
            self.extension = `extension`
            self.rollingUpgrade = rollingUpgrade
            self.tags = tags
        }

        enum CodingKeys: String, CodingKey {
            case name, capacity, orchestration, subnet, `extension`, tags
            case resourceGroup = "resource-group"
            case upgradeMode = "upgrade-mode"
            case healthExtension = "health-extension"
            case gatewayPoolByNIC = "gateway-pool-by-nic"
            case rollingUpgrade = "rolling-upgrade"
        }

        /// Decodes the YAML/JSON form; absent keys take their documented defaults.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = ScaleSet(resourceGroup: "", name: "")
            resourceGroup = try container.decode(String.self, forKey: .resourceGroup)
            name = try container.decode(String.self, forKey: .name)
            capacity = try container.decodeIfPresent(Int.self, forKey: .capacity) ?? defaults.capacity
            upgradeMode = try container.decodeIfPresent(UpgradeMode.self, forKey: .upgradeMode) ?? defaults.upgradeMode
            orchestration = try container.decodeIfPresent(Orchestration.self, forKey: .orchestration) ?? defaults.orchestration
            subnet = try container.decodeIfPresent(String.self, forKey: .subnet) ?? defaults.subnet
            healthExtension = try container.decodeIfPresent(Bool.self, forKey: .healthExtension) ?? defaults.healthExtension
            gatewayPoolByNIC = try container.decodeIfPresent(String.self, forKey: .gatewayPoolByNIC)
            self.extension = try container.decodeIfPresent(Extension.self, forKey: .extension) ?? defaults.extension
            rollingUpgrade = try container.decodeIfPresent(String.self, forKey: .rollingUpgrade)
            tags = try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:]
        }

        func problem() -> String? {
            if name.isEmpty || resourceGroup.isEmpty { return "name and resource-group must not be empty" }
            if capacity < 0 || capacity > 1000 { return "capacity must be 0…1000 (got \(capacity))" }
            guard let range = SubnetRange(cidr: subnet) else {
                return "subnet '\(subnet)' is not an IPv4 CIDR (write e.g. 10.0.1.0/24)"
            }
            if range.usable < capacity { return "subnet \(subnet) has room for \(range.usable) instances, not \(capacity)" }
            return nil
        }
    }
}

/// An IPv4 subnet; addresses are handed out from .4 upwards, as Azure reserves the first four.
struct SubnetRange: Sendable, Equatable {
    let network: UInt32
    let prefix: Int

    init?(cidr: String) {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let prefix = Int(parts[1]), (8...29).contains(prefix) else { return nil }
        let octets = parts[0].split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        let address = octets.reduce(UInt32(0)) { $0 << 8 | $1 }
        let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
        network = address & mask
        self.prefix = prefix
    }

    /// Addresses from .4 to the one before broadcast.
    var usable: Int { (1 << (32 - prefix)) - 5 }

    func address(_ index: Int) -> String {
        let value = network + 4 + UInt32(index)
        return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }
}
