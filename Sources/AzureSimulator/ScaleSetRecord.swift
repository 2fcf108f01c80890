import Foundation
import JSONDocument

/// A scale set as the simulator keeps it: the model document as clients last wrote it, plus the
/// instances and the bookkeeping ARM computes (etag, provisioning states).
struct ScaleSetRecord: Sendable {
    var spec: SimulatorScenario.ScaleSet
    let subscription: String
    let uniqueID: String
    /// The stored document: name, location, tags, sku and properties, without read-only fields.
    var document: JSONValue
    var etagCounter = 1
    /// Bumped whenever `virtualMachineProfile` changes; instances on an older number are stale.
    var modelVersion = 1
    var provisioningState = "Succeeded"
    /// Per extension (lower-cased name): Succeeded, Updating, Creating or Failed.
    var extensionStates: [String: String] = [:]
    var instances: [InstanceRecord]
    var rollingUpgrade: String?

    init(spec: SimulatorScenario.ScaleSet, subscription: String, location: String) {
        self.spec = spec
        self.subscription = subscription
        uniqueID = UUID().uuidString.lowercased()
        rollingUpgrade = spec.rollingUpgrade
        let subnet = SubnetRange(cidr: spec.subnet) ?? SubnetRange(cidr: "10.0.1.0/24")!
        instances = (0..<max(0, spec.capacity)).map { index in
            InstanceRecord(
                id: String(index), ip: subnet.address(index), vmID: UUID().uuidString.lowercased(), modelVersion: 1,
                appliedTag: spec.extension.forceUpdateTag,
                health: .steady(spec.healthExtension ? InstanceRecord.healthy : nil))
        }
        document = Self.initialDocument(spec: spec, subscription: subscription, location: location)
    }

    var id: String {
        "/subscriptions/\(subscription)/resourceGroups/\(spec.resourceGroup)/providers/Microsoft.Compute/virtualMachineScaleSets/\(spec.name)"
    }

    var etag: String { "\"\(etagCounter)\"" }

    var nicName: String {
        document[path: ["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"]]?
            .arrayValue?.first?["name"]?.stringValue ?? "nic"
    }

    var ipConfigurationName: String {
        primaryIPConfiguration?["name"]?.stringValue ?? "ipconfig1"
    }

    var primaryIPConfiguration: JSONValue? {
        document[path: ["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"]]?
            .arrayValue?.first?[path: ["properties", "ipConfigurations"]]?.arrayValue?.first
    }

    /// Gateway pool ids the model's primary ipConfiguration joins by NIC reference.
    var referencedPools: [String] {
        primaryIPConfiguration?[path: ["properties", "applicationGatewayBackendAddressPools"]]?.arrayValue?
            .compactMap { $0["id"]?.stringValue } ?? []
    }

    var extensions: [JSONValue] {
        document[path: ["properties", "virtualMachineProfile", "extensionProfile", "extensions"]]?.arrayValue ?? []
    }

    func extensionIndex(_ name: String) -> Int? {
        extensions.firstIndex { $0["name"]?.stringValue?.lowercased() == name.lowercased() }
    }

    /// The deploy extension's `forceUpdateTag` in the current model.
    var modelTag: String {
        let deploy = extensionIndex(spec.extension.name).map { extensions[$0] }
            ?? extensions.first { $0[path: ["properties", "type"]]?.stringValue == spec.extension.type }
        return deploy?[path: ["properties", "forceUpdateTag"]]?.stringValue ?? ""
    }

    var upgradeMode: SimulatorScenario.ScaleSet.UpgradeMode {
        document[path: ["properties", "upgradePolicy", "mode"]]?.stringValue
            .flatMap { mode in SimulatorScenario.ScaleSet.UpgradeMode.allCases.first { $0.rawValue.lowercased() == mode.lowercased() } }
            ?? spec.upgradeMode
    }

    func instanceIndex(_ id: String) -> Int? { instances.firstIndex { $0.id == id } }

    func computerName(_ instance: InstanceRecord) -> String {
        let prefix = String(spec.name.filter { $0.isLetter || $0.isNumber }.prefix(9))
        let number = String(Int(instance.id) ?? 0, radix: 36)
        return prefix + String(repeating: "0", count: max(0, 6 - number.count)) + number
    }

    func nicID(_ instance: InstanceRecord) -> String {
        "\(id)/virtualMachines/\(instance.id)/networkInterfaces/\(nicName)"
    }

    func ipConfigurationID(_ instance: InstanceRecord) -> String {
        "\(nicID(instance))/ipConfigurations/\(ipConfigurationName)"
    }

    private static func initialDocument(spec: SimulatorScenario.ScaleSet, subscription: String, location: String) -> JSONValue {
        let group = "/subscriptions/\(subscription)/resourceGroups/\(spec.resourceGroup)/providers"
        var pools: [JSONValue] = []
        if let reference = spec.gatewayPoolByNIC {
            let parts = reference.split(separator: "/").map(String.init)
            if parts.count == 2 {
                pools = [["id": .string("\(group)/Microsoft.Network/applicationGateways/\(parts[0])/backendAddressPools/\(parts[1])")]]
            }
        }
        var extensions: [JSONValue] = [
            [
                "name": .string(spec.extension.name),
                "properties": [
                    "publisher": .string(spec.extension.publisher), "type": .string(spec.extension.type),
                    "typeHandlerVersion": .string(spec.extension.version), "autoUpgradeMinorVersion": true,
                    "forceUpdateTag": .string(spec.extension.forceUpdateTag),
                    "settings": ["commandToExecute": .string(spec.extension.command)],
                ],
            ]
        ]
        if spec.healthExtension {
            extensions.append([
                "name": "HealthExtension",
                "properties": [
                    "publisher": "Microsoft.ManagedServices", "type": "ApplicationHealthLinux", "typeHandlerVersion": "2.0",
                    "autoUpgradeMinorVersion": true,
                    "settings": ["protocol": "http", "port": 80, "requestPath": "/health", "intervalInSeconds": 5, "numberOfProbes": 1],
                ],
            ])
        }
        var tags: [String: JSONValue] = [:]
        for (key, value) in spec.tags { tags[key] = .string(value) }
        return [
            "name": .string(spec.name),
            "location": .string(location),
            "tags": .object(tags),
            "sku": ["name": "Standard_D2s_v3", "tier": "Standard", "capacity": .int(spec.capacity)],
            "properties": [
                "orchestrationMode": .string(spec.orchestration.rawValue),
                "singlePlacementGroup": true,
                "overprovision": false,
                "upgradePolicy": ["mode": .string(spec.upgradeMode.rawValue)],
                "virtualMachineProfile": [
                    "osProfile": [
                        "computerNamePrefix": .string(String(spec.name.prefix(9))), "adminUsername": "azureuser",
                        "linuxConfiguration": ["disablePasswordAuthentication": true],
                    ],
                    "storageProfile": [
                        "imageReference": [
                            "publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest",
                        ],
                        "osDisk": ["createOption": "FromImage", "caching": "ReadWrite", "managedDisk": ["storageAccountType": "Premium_LRS"]],
                    ],
                    "networkProfile": [
                        "networkInterfaceConfigurations": [
                            [
                                "name": .string("nic-\(spec.name)"),
                                "properties": [
                                    "primary": true,
                                    "enableAcceleratedNetworking": false,
                                    "ipConfigurations": [
                                        [
                                            "name": "ipconfig1",
                                            "properties": [
                                                "primary": true, "privateIPAddressVersion": "IPv4",
                                                "subnet": .string("\(group)/Microsoft.Network/virtualNetworks/vnet-\(spec.resourceGroup)/subnets/default").asID,
                                                "applicationGatewayBackendAddressPools": .array(pools),
                                            ],
                                        ]
                                    ],
                                ],
                            ]
                        ]
                    ],
                    "extensionProfile": ["extensions": .array(extensions)],
                ],
            ],
        ]
    }
}


extension JSONValue {
    /// `{"id": self}`, the shape ARM uses for references.
    var asID: JSONValue { ["id": self] }
}

/// One scale-set instance.
struct InstanceRecord: Sendable {
    static let healthy = "HealthState/healthy"
    static let initializing = "HealthState/initializing"

    /// What `vmHealth` reports: a steady code (nil = absent), or `initializing` until a moment
    /// (real timing) or a number of reads (virtual timing), then `then`.
    enum Health: Sendable {
        case steady(String?)
        case settling(until: Date, reads: Int, then: String?)
    }

    let id: String
    let ip: String
    let vmID: String
    var modelVersion: Int
    var appliedTag: String
    var provisioningState = "Succeeded"
    var extensionFailed = false
    var health: Health
    /// The running operation that holds this instance (a second manualupgrade gets 409).
    var operation: String?

    init(id: String, ip: String, vmID: String, modelVersion: Int, appliedTag: String, health: Health) {
        self.id = id
        self.ip = ip
        self.vmID = vmID
        self.modelVersion = modelVersion
        self.appliedTag = appliedTag
        self.health = health
    }
}
