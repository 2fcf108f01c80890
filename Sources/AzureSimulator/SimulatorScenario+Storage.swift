import JSONDocument
extension SimulatorScenario {
    /// One storage account whose Blob service the simulator serves (path-style:
    /// `{base}/{name}/{container}/{blob}`), with containers that exist from the start.
    public struct StorageAccount: Sendable, Equatable, Decodable {
        /// Resource group holding the account.
        public var resourceGroup: String
        /// The account name: 3–24 lowercase letters and digits, unique in the scenario.
        public var name: String
        /// Containers created when the simulator starts.
        public var containers: [String]

        /// An account with no containers unless given.
        public init(resourceGroup: String, name: String, containers: [String] = []) {
            self.resourceGroup = resourceGroup
            self.name = name
            self.containers = containers
        }

        enum CodingKeys: String, CodingKey {
            case name, containers
            case resourceGroup = "resource-group"
        }

        /// Decodes the YAML/JSON form; absent keys take their documented defaults.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            resourceGroup = try container.decode(String.self, forKey: .resourceGroup)
            name = try container.decode(String.self, forKey: .name)
            containers = try container.decodeIfPresent([String].self, forKey: .containers) ?? []
        }

        /// First path segments that mean something else to the simulator, so no account may take them.
        static let reservedNames: Set<String> = ["subscriptions", "metadata", "organizations", "common"]

        /// What is wrong with the account's names, if anything.
        func problem() -> String? {
            let validName = (3...24).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) }
            guard validName else {
                return "name: '\(name)' is not a storage account name (3–24 lowercase letters and digits, e.g. stdeployerstate)"
            }
            if Self.reservedNames.contains(name) {
                return "name: '\(name)' is a path the simulator already serves; pick another account name"
            }
            var seen = Set<String>()
            for (index, container) in containers.enumerated() {
                if let problem = BlobNames.containerProblem(container) { return "containers[\(index)]: \(problem)" }
                if !seen.insert(container).inserted { return "containers[\(index)]: '\(container)' is listed twice" }
            }
            return nil
        }
    }
}

/// The naming rules of the Blob service.
enum BlobNames {
    /// Why `name` cannot name a container (3–63 lowercase letters, digits and single hyphens,
    /// starting and ending with a letter or digit), or nil.
    static func containerProblem(_ name: String) -> String? {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        guard (3...63).contains(name.count), allowed, name.first != "-", name.last != "-", !name.contains("--") else {
            return "'\(name)' is not a container name (3–63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit)"
        }
        return nil
    }
}
