import JSONDocument
/// What the simulated world looks like at one moment, as `GET /_simulator/state` returns it.
public struct SimulatorState: Sendable, Equatable, Codable {
    /// One scale set.
    public struct ScaleSet: Sendable, Equatable, Codable {
        /// Resource group.
        public var resourceGroup: String
        /// Name.
        public var name: String
        /// `upgradePolicy.mode`.
        public var upgradeMode: String
        /// The model's deploy-extension `forceUpdateTag`.
        public var modelTag: String
        /// The scale set's etag.
        public var etag: String
        /// Resource tags.
        public var tags: [String: String]
        /// Instances, by id.
        public var instances: [Instance]
    }

    /// One scale-set instance.
    public struct Instance: Sendable, Equatable, Codable {
        /// Instance id ("0", "1", …).
        public var id: String
        /// Primary private IP.
        public var ip: String
        /// Whether it runs the scale set's current model.
        public var latestModelApplied: Bool
        /// The deploy-extension tag it last ran.
        public var appliedTag: String
        /// Succeeded, Updating or Failed.
        public var provisioningState: String
        /// `HealthState/…` code, nil when no health is reported.
        public var health: String?
    }

    /// One application gateway.
    public struct Gateway: Sendable, Equatable, Codable {
        /// Resource group.
        public var resourceGroup: String
        /// Name.
        public var name: String
        /// Current weak etag.
        public var etag: String
        /// Succeeded or Updating.
        public var provisioningState: String
        /// Backend pools.
        public var pools: [Pool]
    }

    /// One backend pool.
    public struct Pool: Sendable, Equatable, Codable {
        /// Name.
        public var name: String
        /// Its `backendAddresses`: IPs or FQDNs.
        public var addresses: [String]
        /// Its read-only `backendIPConfigurations` ids (NIC-based members).
        public var ipConfigurations: [String]
    }

    /// One long-running operation.
    public struct Operation: Sendable, Equatable, Codable {
        /// Operation id (the last segment of its status URL).
        public var id: String
        /// What it does, e.g. `manualupgrade vmss-backend-prod [0]`.
        public var description: String
        /// InProgress, Succeeded, Failed or Canceled.
        public var status: String
    }

    /// Scale sets in scenario order.
    public var scaleSets: [ScaleSet]
    /// Gateways in scenario order.
    public var gateways: [Gateway]
    /// Operations, oldest first.
    public var operations: [Operation]
    /// Storage accounts in scenario order.
    public var storageAccounts: [StorageAccount] = []

    /// The scale set with this name (case-insensitive).
    public func scaleSet(_ name: String) -> ScaleSet? {
        scaleSets.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The gateway with this name (case-insensitive).
    public func gateway(_ name: String) -> Gateway? {
        gateways.first { $0.name.lowercased() == name.lowercased() }
    }
}

extension SimulatorState {
    /// One storage account.
    public struct StorageAccount: Sendable, Equatable, Codable {
        /// Resource group.
        public var resourceGroup: String
        /// Account name.
        public var name: String
        /// Containers, by name.
        public var containers: [Container]

        /// The container with this name.
        public func container(_ name: String) -> Container? {
            containers.first { $0.name == name }
        }
    }

    /// One blob container.
    public struct Container: Sendable, Equatable, Codable {
        /// Name.
        public var name: String
        /// Blobs, by name.
        public var blobs: [Blob]

        /// The blob with this name.
        public func blob(_ name: String) -> Blob? {
            blobs.first { $0.name == name }
        }
    }

    /// One blob.
    public struct Blob: Sendable, Equatable, Codable {
        /// Name (may contain `/`).
        public var name: String
        /// BlockBlob or AppendBlob.
        public var type: String
        /// Content length in bytes.
        public var size: Int
        /// Its quoted ETag.
        public var etag: String
        /// available, leased, expired, breaking or broken.
        public var leaseState: String
        /// Metadata (x-ms-meta-*), by name.
        public var metadata: [String: String]
    }

    /// The storage account with this name.
    public func storageAccount(_ name: String) -> StorageAccount? {
        storageAccounts.first { $0.name == name }
    }
}
