import JSONDocument
/// What a request path addresses. Matching ignores case, as ARM does: az sends
/// `microsoft.Compute`, the SDK `Microsoft.Compute`, and names may arrive in any case.
enum ARMRoute: Equatable {
    /// Children of a scale set.
    enum ScaleSetChild: Equatable {
        case model
        /// The scale set's own instance view (statuses, and a summary of its instances and extensions).
        case scaleSetInstanceView
        case extensions
        case `extension`(String)
        case virtualMachines
        case virtualMachine(String)
        case instanceView(String)
        case instanceNICs(String)
        case instanceNIC(String, String)
        case networkInterfaces
        case manualUpgrade
        case rollingUpgradeLatest
    }

    /// Which resource provider answers an operation-status URL.
    enum Provider: String, Equatable {
        case compute = "Microsoft.Compute"
        case network = "Microsoft.Network"
    }

    case control([String])
    case cloudMetadata
    case imdsToken
    case token(tenant: String)
    case openIDConfiguration(tenant: String)
    case subscriptions
    case subscription(String)
    case operation(subscription: String, provider: Provider, location: String, id: String, resultForm: Bool)
    case scaleSet(subscription: String, group: String, name: String, child: ScaleSetChild)
    case gateway(subscription: String, group: String, name: String)
    /// VM extension images of a publisher in a location: its types (type nil), a type's versions
    /// (version nil), or one version — what az looks up before `vmss extension set` without `--version`.
    /// (The publishers of a location, publisher nil.)
    case extensionImages(subscription: String, location: String, publisher: String?, type: String?, version: String?)
    /// A gateway's Azure Monitor metrics (`…/providers/Microsoft.Insights/metrics`).
    case gatewayMetrics(subscription: String, group: String, name: String)
    /// A storage account (`listKeys` for its POST …/listKeys).
    case storageAccount(subscription: String, group: String, name: String, listKeys: Bool)
    /// The Blob service of a scenario storage account, path-style.
    case blob(BlobAddress)
    /// Under /subscriptions but nothing the simulator models.
    case unknownARM
    case unknown

    init(segments: [String]) {
        let lower = segments.map { $0.lowercased() }
        switch lower.first {
        case "_simulator":
            self = .control(Array(lower.dropFirst()))
        case "metadata":
            if lower == ["metadata", "endpoints"] {
                self = .cloudMetadata
            } else if lower == ["metadata", "identity", "oauth2", "token"] {
                self = .imdsToken
            } else {
                self = .unknown
            }
        case "subscriptions":
            self = Self.arm(segments, lower)
        default:
            if lower.count == 4, lower[1] == "oauth2", lower[2] == "v2.0", lower[3] == "token" {
                self = .token(tenant: segments[0])
            } else if lower.count == 4, lower[1] == "v2.0", lower[2] == ".well-known", lower[3] == "openid-configuration" {
                self = .openIDConfiguration(tenant: segments[0])
            } else {
                self = .unknown
            }
        }
    }

    var isARM: Bool {
        switch self {
        case .subscriptions, .subscription, .operation, .scaleSet, .gateway, .gatewayMetrics, .storageAccount, .extensionImages,
            .unknownARM:
            return true
        default: return false
        }
    }

    /// Blob service routes get Blob's error shapes, headers and faults.
    var isBlob: Bool {
        if case .blob = self { return true }
        return false
    }

    private static func arm(_ segments: [String], _ lower: [String]) -> ARMRoute {
        if lower.count == 1 { return .subscriptions }
        let subscription = segments[1]
        if lower.count == 2 { return .subscription(subscription) }
        // /subscriptions/{sub}/providers/{ns}/locations/{loc}/operations|operationResults/{id}
        if lower.count == 8, lower[2] == "providers", lower[4] == "locations",
            lower[6] == "operations" || lower[6] == "operationresults"
        {
            let provider: Provider? =
                lower[3] == "microsoft.compute" ? .compute : lower[3] == "microsoft.network" ? .network : nil
            guard let provider else { return .unknownARM }
            return .operation(
                subscription: subscription, provider: provider, location: segments[5], id: segments[7],
                resultForm: lower[6] == "operationresults")
        }
        // /subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/publishers
        if lower.count == 7, lower[2] == "providers", lower[3] == "microsoft.compute", lower[4] == "locations", lower[6] == "publishers" {
            return .extensionImages(subscription: subscription, location: segments[5], publisher: nil, type: nil, version: nil)
        }
        // /subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/publishers/{pub}/artifacttypes/vmextension/types[/{type}/versions[/{v}]]
        if lower.count >= 11, lower[2] == "providers", lower[3] == "microsoft.compute", lower[4] == "locations", lower[6] == "publishers",
            lower[8] == "artifacttypes", lower[9] == "vmextension", lower[10] == "types"
        {
            switch lower.count {
            case 11: return .extensionImages(subscription: subscription, location: segments[5], publisher: segments[7], type: nil, version: nil)
            case 13 where lower[12] == "versions":
                return .extensionImages(subscription: subscription, location: segments[5], publisher: segments[7], type: segments[11], version: nil)
            case 14 where lower[12] == "versions":
                return .extensionImages(
                    subscription: subscription, location: segments[5], publisher: segments[7], type: segments[11], version: segments[13])
            default: return .unknownARM
            }
        }
        guard lower.count >= 8, lower[2] == "resourcegroups", lower[4] == "providers" else { return .unknownARM }
        let group = segments[3]
        let name = segments[7]
        if lower[5] == "microsoft.network", lower[6] == "applicationgateways", lower.count == 8 {
            return .gateway(subscription: subscription, group: group, name: name)
        }
        if lower[5] == "microsoft.network", lower[6] == "applicationgateways", lower.count == 11,
            Array(lower[8...]) == ["providers", "microsoft.insights", "metrics"]
        {
            return .gatewayMetrics(subscription: subscription, group: group, name: name)
        }
        if lower[5] == "microsoft.storage", lower[6] == "storageaccounts" {
            if lower.count == 8 { return .storageAccount(subscription: subscription, group: group, name: name, listKeys: false) }
            if lower.count == 9, lower[8] == "listkeys" {
                return .storageAccount(subscription: subscription, group: group, name: name, listKeys: true)
            }
            return .unknownARM
        }
        guard lower[5] == "microsoft.compute", lower[6] == "virtualmachinescalesets" else { return .unknownARM }
        let rest = Array(lower.dropFirst(8))
        let original = Array(segments.dropFirst(8))
        let child: ScaleSetChild?
        switch rest.count {
        case 0: child = .model
        case 1:
            child = [
                "extensions": .extensions, "virtualmachines": .virtualMachines, "networkinterfaces": .networkInterfaces,
                "manualupgrade": .manualUpgrade, "instanceview": .scaleSetInstanceView,
            ][rest[0]]
        case 2:
            if rest[0] == "extensions" {
                child = .extension(original[1])
            } else if rest[0] == "virtualmachines" {
                child = .virtualMachine(original[1])
            } else if rest == ["rollingupgrades", "latest"] {
                child = .rollingUpgradeLatest
            } else {
                child = nil
            }
        case 3 where rest[0] == "virtualmachines":
            child = rest[2] == "instanceview" ? .instanceView(original[1]) : rest[2] == "networkinterfaces" ? .instanceNICs(original[1]) : nil
        case 4 where rest[0] == "virtualmachines" && rest[2] == "networkinterfaces":
            child = .instanceNIC(original[1], original[3])
        default:
            child = nil
        }
        guard let child else { return .unknownARM }
        return .scaleSet(subscription: subscription, group: group, name: name, child: child)
    }

    /// The resource type named in a NoRegisteredProviderFound message.
    var resourceType: String {
        switch self {
        case .gateway: return "applicationGateways"
        case .gatewayMetrics: return "metrics"
        case .extensionImages: return "locations/publishers/artifacttypes/types/versions"
        case .storageAccount: return "storageAccounts"
        case .operation(_, _, _, _, _): return "locations/operations"
        case .scaleSet(_, _, _, let child):
            switch child {
            case .instanceNICs, .instanceNIC: return "virtualMachineScaleSets/virtualMachines/networkInterfaces"
            case .networkInterfaces: return "virtualMachineScaleSets/networkInterfaces"
            case .virtualMachines, .virtualMachine, .instanceView: return "virtualMachineScaleSets/virtualMachines"
            case .extensions, .extension: return "virtualMachineScaleSets/extensions"
            default: return "virtualMachineScaleSets"
            }
        default: return "subscriptions"
        }
    }

    /// The instance ids a request names in its path (for the `vanished` fault).
    var instanceID: String? {
        guard case .scaleSet(_, _, _, let child) = self else { return nil }
        switch child {
        case .virtualMachine(let id), .instanceView(let id), .instanceNICs(let id), .instanceNIC(let id, _): return id
        default: return nil
        }
    }
}
