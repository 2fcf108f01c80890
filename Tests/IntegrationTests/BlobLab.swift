import AzureSimulator
import Deployer
import Foundation
import JSONDocument
import Providers
import Testing

/// `deployer simulate azure` with one storage account, and deploy-state backends on it as separate
/// machines would make them: each finds the blob endpoint through Resource Manager, then signs with
/// the account key or carries a token for Azure Storage from the client-secret login.
struct BlobLab {
    let simulator: SimulatorProcess
    let directory: String
    let secret: String
    /// The account key, as `listKeys` gives it (what `state.azure-blob.key-env` would hold).
    let key: String

    static let subscription = "00000000-0000-0000-0000-000000000001"
    static let tenant = "00000000-0000-0000-0000-0000000000aa"
    static let account = "stdeployerstate"
    static let resourceGroup = "rg-platform-state"

    static func start(extraScenario: String = "") async throws -> BlobLab {
        let directory = NSTemporaryDirectory() + "deployer-blob-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let secret = "blob-lab-\(UUID().uuidString.prefix(8))"
        let scenario = """
            subscription: \(subscription)
            tenant: \(tenant)
            location: westeurope
            credentials:
              - {client-id: deployer-ci, client-secret: \(secret)}
            storage-accounts:
              - {resource-group: \(resourceGroup), name: \(account)}

            """ + extraScenario
        let simulator = try await SimulatorProcess.start(scenario: scenario, in: directory)
        let arm = Self.arm(simulator.baseURL, secret: secret)
        let keys = try await arm.call(
            "POST", "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/Microsoft.Storage/storageAccounts/\(account)/listKeys",
            apiVersion: "2023-05-01", retry: .idempotent)
        let key = try #require(keys.body?.member("keys").array.first?.member("value").string, "listKeys gave no key")
        return BlobLab(simulator: simulator, directory: directory, secret: secret, key: key)
    }

    static func arm(_ base: String, secret: String, audience: String = AzureSettings.resourceManager) -> ARMClient {
        let transport = URLSessionTransport()
        return ARMClient(endpoint: URL(string: base)!, tokens: tokens(base, secret: secret, audience: audience), transport: transport)
    }

    static func tokens(_ base: String, secret: String, audience: String) -> TokenCache {
        TokenCache(
            ClientSecretCredential(
                tenant: tenant, clientID: "deployer-ci", secret: secret, authority: URL(string: base)!, scope: audience + "/.default",
                transport: URLSessionTransport()))
    }

    /// Makes backends on the account, as new machines would (Sendable: it holds only where and how).
    struct Access: Sendable {
        let base: String
        let secret: String
        let key: String

        /// A backend on the account's `deployer-state` container under `prefix`.
        func backend(prefix: String, sharedKey: Bool) -> BlobStateBackend {
            let (base, secret, key) = (self.base, self.secret, self.key)
            return BlobStateBackend(
                account: BlobLab.account, container: "deployer-state", prefix: prefix,
                endpoint: .resourceManager(
                    BlobLab.arm(base, secret: secret),
                    accountPath: "/subscriptions/\(BlobLab.subscription)/resourceGroups/\(BlobLab.resourceGroup)/providers/Microsoft.Storage/storageAccounts/\(BlobLab.account)"),
                transport: URLSessionTransport(timeout: BlobStateBackend.requestTimeout)
            ) {
                sharedKey
                    ? .sharedKey(account: BlobLab.account, key: Array(Data(base64Encoded: key) ?? Data()))
                    : .bearer(BlobLab.tokens(base, secret: secret, audience: AzureSettings.storage))
            }
        }
    }

    var access: Access { Access(base: simulator.baseURL, secret: secret, key: key) }

    /// A backend on the account's `deployer-state` container under `prefix`, as a new machine makes it.
    func backend(prefix: String, sharedKey: Bool) -> BlobStateBackend { access.backend(prefix: prefix, sharedKey: sharedKey) }

    /// The variables deployer needs to keep its state here (client-secret login, the simulator as ARM).
    var environment: [String: String] {
        [
            "DEPLOYER_ARM_ENDPOINT": simulator.baseURL, "AZURE_AUTHORITY_HOST": simulator.baseURL, "AZURE_TENANT_ID": Self.tenant,
            "AZURE_CLIENT_ID": "deployer-ci", "AZURE_CLIENT_SECRET": secret, "AZURE_SUBSCRIPTION_ID": Self.subscription,
        ]
    }

    /// `state:` for an environment file, under `prefix`.
    static func stateSection(prefix: String, keyVariable: String? = nil) -> String {
        "state:\n  azure-blob: {account: \(account), resource-group: \(resourceGroup), prefix: \(prefix)"
            + (keyVariable.map { ", key-env: \($0)" } ?? "") + "}\n"
    }

    func stop() {
        simulator.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
