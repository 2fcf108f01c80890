public import Foundation
import JSONDocument

/// Where Azure is and who deployer is to it, from the environment variables Azure users already set:
/// `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET` (a service principal), a managed identity
/// (`AZURE_POD_IDENTITY_AUTHORITY_HOST` or `IDENTITY_ENDPOINT` for its endpoint), or the Azure CLI's
/// login; `AZURE_SUBSCRIPTION_ID`; `AZURE_AUTHORITY_HOST`; and `DEPLOYER_ARM_ENDPOINT` for another
/// Resource Manager (a sovereign cloud, or `deployer simulate azure` on 127.0.0.1).
public struct AzureSettings: Sendable {
    public enum Credential: String, Sendable, CaseIterable {
        case clientSecret = "client-secret"
        case managedIdentity = "managed-identity"
        case azureCLI = "azure-cli"
    }

    public var endpoint: URL
    public var authority: URL
    public var subscription: String?
    public var credential: Credential
    public var tenant: String?
    public var clientID: String?
    var clientSecret: String?
    public var managedIdentityBase: URL

    public static let defaultEndpoint = "https://management.azure.com"

    /// Reads the settings; throws `AzureAuthError` with what to set when they cannot work.
    public static func fromEnvironment(_ variables: [String: String]) throws -> AzureSettings {
        func value(_ name: String) -> String? { variables[name].flatMap { $0.isEmpty ? nil : $0 } }
        let endpoint = try url(value("DEPLOYER_ARM_ENDPOINT") ?? defaultEndpoint, "DEPLOYER_ARM_ENDPOINT")
        let authority = try url(value("AZURE_AUTHORITY_HOST") ?? "https://login.microsoftonline.com", "AZURE_AUTHORITY_HOST")
        let imds = value("AZURE_POD_IDENTITY_AUTHORITY_HOST") ?? value("IDENTITY_ENDPOINT").map { _ in "http://169.254.169.254" }
            ?? "http://169.254.169.254"
        guard let imdsURL = URL(string: imds), imdsURL.host != nil else {
            throw AzureAuthError("AZURE_POD_IDENTITY_AUTHORITY_HOST is not a URL: \(imds)")
        }
        let credential: Credential
        if let chosen = value("DEPLOYER_AZURE_CREDENTIAL") {
            guard let parsed = Credential(rawValue: chosen) else {
                throw AzureAuthError(
                    "DEPLOYER_AZURE_CREDENTIAL is \(chosen); use one of " + Credential.allCases.map(\.rawValue).joined(separator: ", "))
            }
            credential = parsed
        } else if value("AZURE_CLIENT_SECRET") != nil {
            credential = .clientSecret
        } else if value("AZURE_POD_IDENTITY_AUTHORITY_HOST") != nil || value("IDENTITY_ENDPOINT") != nil {
            credential = .managedIdentity
        } else {
            credential = .azureCLI
        }
        if credential == .clientSecret {
            let missing = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"].filter { value($0) == nil }
            if !missing.isEmpty {
                throw AzureAuthError("a client-secret login needs \(missing.joined(separator: ", ")) to be set as well")
            }
        }
        return AzureSettings(
            endpoint: endpoint, authority: authority, subscription: value("AZURE_SUBSCRIPTION_ID"), credential: credential,
            tenant: value("AZURE_TENANT_ID"), clientID: value("AZURE_CLIENT_ID"), clientSecret: value("AZURE_CLIENT_SECRET"),
            managedIdentityBase: imdsURL)
    }

    /// A URL a token is sent to: https, or http only to this machine's loopback (the simulator).
    static func url(_ text: String, _ variable: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw AzureAuthError("\(variable) is not a URL: \(text)")
        }
        if scheme == "https" { return url }
        if scheme == "http", isLoopback(host) { return url }
        throw AzureAuthError(
            "\(variable) is \(text): tokens are only sent over https (plain http only to 127.0.0.1, localhost or ::1)")
    }

    /// 127.0.0.0/8, localhost or ::1.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    /// Resource Manager's audience: the scope (client credentials) and resource (managed identity, az)
    /// of its tokens are made from it.
    public static let resourceManager = "https://management.azure.com"
    /// Azure Storage's audience (blob data-plane tokens).
    public static let storage = "https://storage.azure.com"

    /// The token source these settings name, for tokens of `audience`.
    public func tokenSource(transport: any HTTPTransport, audience: String = resourceManager) -> any AzureTokenSource {
        switch credential {
        case .clientSecret:
            return ClientSecretCredential(
                tenant: tenant ?? "", clientID: clientID ?? "", secret: clientSecret ?? "", authority: authority,
                scope: audience + "/.default", transport: transport)
        case .managedIdentity:
            return ManagedIdentityCredential(base: managedIdentityBase, clientID: clientID, resource: audience + "/", transport: transport)
        case .azureCLI:
            return AzureCLICredential(resource: audience + "/")
        }
    }
}
