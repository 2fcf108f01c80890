extension SimulatorScenario {
    /// One application gateway.
    public struct Gateway: Sendable, Equatable, Decodable {
        /// What a second PUT does while one is still running.
        public enum ConcurrentPut: String, Sendable, Equatable, Decodable {
            /// The second PUT wins; the first operation ends Canceled (CanceledAndSupersededDueToAnotherOperation).
            case supersede
            /// The second PUT is refused: 429 RetryableErrorDueToAnotherOperation with Retry-After.
            case busy
        }

        /// A backend address pool.
        public struct Pool: Sendable, Equatable, Decodable {
            /// The pool's name.
            public var name: String
            /// A scale set whose instance IPs fill the pool initially.
            public var fromScaleSet: String?
            /// Explicit members: IPv4 addresses or FQDNs.
            public var addresses: [String]

            /// A pool.
            public init(name: String, fromScaleSet: String? = nil, addresses: [String] = []) {
                self.name = name
                self.fromScaleSet = fromScaleSet
                self.addresses = addresses
            }

            enum CodingKeys: String, CodingKey {
                case name, addresses
                case fromScaleSet = "from-scale-set"
            }

            /// Decodes the YAML/JSON form; absent keys take their documented defaults.
            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                name = try container.decode(String.self, forKey: .name)
                fromScaleSet = try container.decodeIfPresent(String.self, forKey: .fromScaleSet)
                addresses = try container.decodeIfPresent([String].self, forKey: .addresses) ?? []
            }
        }

        /// Resource group holding the gateway.
        public var resourceGroup: String
        /// The gateway's name.
        public var name: String
        /// `connectionDraining.drainTimeoutInSec` of the backend HTTP settings.
        public var drainTimeout: Int
        /// What a second PUT does while one is in flight.
        public var concurrentPut: ConcurrentPut
        /// The backend pools.
        public var pools: [Pool]

        /// A gateway; drain timeout 60 s, concurrent PUTs supersede.
        public init(
            resourceGroup: String, name: String, drainTimeout: Int = 60, concurrentPut: ConcurrentPut = .supersede,
            pools: [Pool] = []
        ) {
            self.resourceGroup = resourceGroup
            self.name = name
            self.drainTimeout = drainTimeout
            self.concurrentPut = concurrentPut
            self.pools = pools
        }

        enum CodingKeys: String, CodingKey {
            case name, pools
            case resourceGroup = "resource-group"
            case drainTimeout = "drain-timeout"
            case concurrentPut = "concurrent-put"
        }

        /// Decodes the YAML/JSON form; absent keys take their documented defaults.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            resourceGroup = try container.decode(String.self, forKey: .resourceGroup)
            name = try container.decode(String.self, forKey: .name)
            drainTimeout = try container.decodeIfPresent(Int.self, forKey: .drainTimeout) ?? 60
            concurrentPut = try container.decodeIfPresent(ConcurrentPut.self, forKey: .concurrentPut) ?? .supersede
            pools = try container.decodeIfPresent([Pool].self, forKey: .pools) ?? []
        }
    }
}
