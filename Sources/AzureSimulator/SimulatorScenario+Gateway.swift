import JSONDocument
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

        /// The traffic the gateway sends each backend server, from which its Azure Monitor metrics
        /// (`BackendResponseStatus`, `BackendLastByteResponseTime`) are computed.
        public struct Traffic: Sendable, Equatable, Decodable {
            /// Requests each serving backend server answers per second.
            public var requestsPerSecond: Double
            /// A server's mean response time, in milliseconds; 4 times as long on an instance
            /// whose deploy tag ends in `-slow`.
            public var responseMilliseconds: Double
            /// The share of requests answered with a 5xx by an instance whose deploy tag ends in `-faulty`.
            public var faultyErrorRate: Double

            /// Traffic: 20 requests per second per server, 20 ms, one in five failing on a `-faulty` version.
            public init(requestsPerSecond: Double = 20, responseMilliseconds: Double = 20, faultyErrorRate: Double = 0.2) {
                self.requestsPerSecond = requestsPerSecond
                self.responseMilliseconds = responseMilliseconds
                self.faultyErrorRate = faultyErrorRate
            }

            enum CodingKeys: String, CodingKey {
                case requestsPerSecond = "requests-per-second"
                case responseTime = "response-time"
                case faultyErrorRate = "faulty-error-rate"
            }

            /// Decodes the YAML/JSON form; absent keys take their documented defaults.
            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                let defaults = Traffic()
                requestsPerSecond = try container.decodeIfPresent(Double.self, forKey: .requestsPerSecond) ?? defaults.requestsPerSecond
                faultyErrorRate = try container.decodeIfPresent(Double.self, forKey: .faultyErrorRate) ?? defaults.faultyErrorRate
                responseMilliseconds = defaults.responseMilliseconds
                if let text = try container.decodeIfPresent(String.self, forKey: .responseTime) {
                    guard let seconds = ScenarioKeys.seconds(text) else {
                        throw DecodingError.dataCorruptedError(
                            forKey: .responseTime, in: container, debugDescription: "'\(text)' is not a duration (write e.g. 20ms)")
                    }
                    responseMilliseconds = seconds * 1000
                }
                guard requestsPerSecond >= 0, responseMilliseconds >= 0, (0...1).contains(faultyErrorRate) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .faultyErrorRate, in: container,
                        debugDescription: "requests-per-second and response-time must not be negative, faulty-error-rate must be from 0 to 1")
                }
            }

            /// What a server whose instance runs `tag` (nil: not an instance) answers.
            func behaviour(tag: String?) -> TrafficLedger.Behaviour {
                let tag = tag ?? ""
                return TrafficLedger.Behaviour(
                    rate: requestsPerSecond, errorShare: tag.hasSuffix("-faulty") ? faultyErrorRate : 0,
                    milliseconds: tag.hasSuffix("-slow") ? responseMilliseconds * 4 : responseMilliseconds)
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
        /// The traffic its servers see.
        public var traffic: Traffic

        /// A gateway; drain timeout 60 s, concurrent PUTs supersede.
        public init(
            resourceGroup: String, name: String, drainTimeout: Int = 60, concurrentPut: ConcurrentPut = .supersede,
            pools: [Pool] = [], traffic: Traffic = Traffic()
        ) {
            self.resourceGroup = resourceGroup
            self.name = name
            self.drainTimeout = drainTimeout
            self.concurrentPut = concurrentPut
            self.pools = pools
            self.traffic = traffic
        }

        enum CodingKeys: String, CodingKey {
            case name, pools, traffic
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
            traffic = try container.decodeIfPresent(Traffic.self, forKey: .traffic) ?? Traffic()
        }
    }
}
