public import Foundation
import JSONDocument

extension SimulatorScenario {
    /// How long long-running operations take, and the polling hints sent with them.
    public struct Timing: Sendable, Equatable, Decodable {
        /// `real`: durations are wall-clock; `virtual`: each operation finishes after `polls` polls.
        public enum Mode: String, Sendable, Equatable, Decodable {
            /// Operations end when their duration has elapsed.
            case real
            /// Operations end after a fixed number of status polls, whatever the clock says.
            case virtual
        }

        /// Real or virtual time.
        public var mode: Mode
        /// Virtual mode: how many status polls answer `InProgress` before the terminal status;
        /// likewise how many instance-view reads report `initializing` after an upgrade.
        public var polls: Int
        /// Seconds sent as `Retry-After` on 202s, `InProgress` polls and retryable errors. Never 0
        /// unless set explicitly, because clients treat 0 as absent and fall back to 30 s.
        public var retryAfter: Int
        /// How long an extension PUT or scale-set model PUT runs.
        public var extensionUpdate: TimeInterval
        /// How long a manualupgrade runs.
        public var manualUpgrade: TimeInterval
        /// How long a gateway PUT runs.
        public var gatewayUpdate: TimeInterval
        /// How long an upgraded instance reports `HealthState/initializing` before its final health.
        public var healthSettle: TimeInterval
        /// Lifetime of the tokens the simulator mints.
        public var tokenLifetime: TimeInterval

        /// Timing with the defaults of a YAML file that omits the keys.
        public init(
            mode: Mode = .real, polls: Int = 2, retryAfter: Int = 1, extensionUpdate: TimeInterval = 1,
            manualUpgrade: TimeInterval = 2, gatewayUpdate: TimeInterval = 1, healthSettle: TimeInterval = 1,
            tokenLifetime: TimeInterval = 3600
        ) {
            self.mode = mode
            self.polls = polls
            self.retryAfter = retryAfter
            self.extensionUpdate = extensionUpdate
            self.manualUpgrade = manualUpgrade
            self.gatewayUpdate = gatewayUpdate
            self.healthSettle = healthSettle
            self.tokenLifetime = tokenLifetime
        }

        /// Every operation finishes at its first status poll and health settles at once: for
        /// fast tests.
        public static var instant: Timing {
            Timing(mode: .real, extensionUpdate: 0, manualUpgrade: 0, gatewayUpdate: 0, healthSettle: 0)
        }

        enum CodingKeys: String, CodingKey {
            case mode, polls
            case retryAfter = "retry-after"
            case extensionUpdate = "extension-update"
            case manualUpgrade = "manual-upgrade"
            case gatewayUpdate = "gateway-update"
            case healthSettle = "health-settle"
            case tokenLifetime = "token-lifetime"
        }

        /// Decodes the YAML/JSON form; absent keys take their documented defaults.
        public init(from decoder: any Decoder) throws {
            let defaults = Timing()
            let container = try decoder.container(keyedBy: CodingKeys.self)
            mode = try container.decodeIfPresent(Mode.self, forKey: .mode) ?? defaults.mode
            polls = try container.decodeIfPresent(Int.self, forKey: .polls) ?? defaults.polls
            retryAfter = try container.decodeIfPresent(Int.self, forKey: .retryAfter) ?? defaults.retryAfter
            func duration(_ key: CodingKeys, _ fallback: TimeInterval) throws -> TimeInterval {
                guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return fallback }
                guard let seconds = ScenarioKeys.seconds(text) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: container,
                        debugDescription: "'\(text)' is not a duration (write e.g. 500ms, 2s, 1m)")
                }
                return seconds
            }
            extensionUpdate = try duration(.extensionUpdate, defaults.extensionUpdate)
            manualUpgrade = try duration(.manualUpgrade, defaults.manualUpgrade)
            gatewayUpdate = try duration(.gatewayUpdate, defaults.gatewayUpdate)
            healthSettle = try duration(.healthSettle, defaults.healthSettle)
            tokenLifetime = try duration(.tokenLifetime, defaults.tokenLifetime)
        }

        func problem() -> String? {
            if polls < 0 || polls > 1000 { return "timing.polls must be 0…1000 (got \(polls))" }
            if retryAfter < 0 || retryAfter > 3600 { return "timing.retry-after must be 0…3600 seconds (got \(retryAfter))" }
            if tokenLifetime < 60 { return "timing.token-lifetime must be at least 60s" }
            let durations = [extensionUpdate, manualUpgrade, gatewayUpdate, healthSettle]
            if durations.contains(where: { $0 > 86_400 }) { return "timing durations must be at most 24h" }
            return nil
        }
    }
}
