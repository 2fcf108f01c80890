public import Foundation
import JSONDocument
import Manifests

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A bearer token for Azure Resource Manager. Its text is never printed, logged or journaled.
public struct AccessToken: Sendable {
    public var value: String
    public var expiresOn: Date

    public init(value: String, expiresOn: Date) {
        self.value = value
        self.expiresOn = expiresOn
    }
}

/// Where tokens come from: a service principal's secret, the machine's managed identity, or `az`.
public protocol AzureTokenSource: Sendable {
    /// How the user would name this source in an error: "client secret of AZURE_CLIENT_ID 1234…".
    var name: String { get }
    /// Asks for a new token. Throws `AzureAuthError` with what to do.
    func fetch() async throws -> AccessToken
}

/// A token request that failed, written for the user (never with the secret or the token).
public struct AzureAuthError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Keeps the current token until five minutes before it expires, so a deploy asks once an hour, not
/// once a request. One fetch at a time.
public actor TokenCache {
    private let source: any AzureTokenSource
    private var current: AccessToken?
    private var fetching: Task<AccessToken, any Error>?
    private let now: @Sendable () -> Date

    public init(_ source: any AzureTokenSource, now: @escaping @Sendable () -> Date = { Date() }) {
        self.source = source
        self.now = now
    }

    /// A token valid for at least five more minutes.
    public func token() async throws -> AccessToken {
        if let current, current.expiresOn.timeIntervalSince(now()) > 300 { return current }
        if let fetching { return try await fetching.value }
        let task = Task { try await source.fetch() }
        fetching = task
        defer { fetching = nil }
        let token = try await task.value
        current = token
        return token
    }

    /// Drops the cached token (ARM answered 401 to it), so the next call fetches a new one.
    public func invalidate(_ token: AccessToken) {
        if current?.value == token.value { current = nil }
    }
}

/// The client-credentials flow: a form POST to `{authority}/{tenant}/oauth2/v2.0/token`.
public struct ClientSecretCredential: AzureTokenSource {
    public let tenant: String
    public let clientID: String
    let secret: String
    public let authority: URL
    public let scope: String
    let transport: any HTTPTransport

    public init(tenant: String, clientID: String, secret: String, authority: URL, scope: String, transport: any HTTPTransport) {
        self.tenant = tenant
        self.clientID = clientID
        self.secret = secret
        self.authority = authority
        self.scope = scope
        self.transport = transport
    }

    public var name: String { "client secret of AZURE_CLIENT_ID \(clientID) (tenant \(tenant))" }

    public func fetch() async throws -> AccessToken {
        let url = authority.appendingPathComponent(tenant).appendingPathComponent("oauth2/v2.0/token")
        let form = [
            ("client_id", clientID), ("client_secret", secret), ("grant_type", "client_credentials"), ("scope", scope),
        ]
        .map { "\($0.0)=\(FormEncoding.encode($0.1))" }.joined(separator: "&")
        let response: HTTPExchangeResponse
        do {
            response = try await transport.send(
                HTTPExchangeRequest(
                    method: "POST", url: url, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"],
                    body: Data(form.utf8)))
        } catch {
            throw AzureAuthError("could not reach \(authority.absoluteString) for a token: \(error)")
        }
        let body = JSONValue.parse(response.body) ?? .null
        guard response.status == 200, let token = body.member("access_token").string else {
            let reason = body.member("error_description").string ?? body.member("error").string ?? "HTTP \(response.status)"
            throw AzureAuthError(
                "\(name) was refused: \(reason.split(separator: "\n").first.map(String.init) ?? reason). "
                    + "Check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.")
        }
        let lifetime = body.member("expires_in").number ?? 3600
        return AccessToken(value: token, expiresOn: Date().addingTimeInterval(lifetime))
    }
}

/// The managed identity of the machine deployer runs on (IMDS), at `AZURE_POD_IDENTITY_AUTHORITY_HOST`
/// when set (as azure-identity and az read it), else the instance metadata address.
public struct ManagedIdentityCredential: AzureTokenSource {
    public let base: URL
    public let clientID: String?
    public let resource: String
    let transport: any HTTPTransport

    public init(base: URL, clientID: String?, resource: String, transport: any HTTPTransport) {
        self.base = base
        self.clientID = clientID
        self.resource = resource
        self.transport = transport
    }

    public var name: String { "managed identity (\(base.absoluteString))" + (clientID.map { ", client id \($0)" } ?? "") }

    public func fetch() async throws -> AccessToken {
        var components = URLComponents(url: base.appendingPathComponent("metadata/identity/oauth2/token"), resolvingAgainstBaseURL: false)
        var items = [URLQueryItem(name: "api-version", value: "2018-02-01"), URLQueryItem(name: "resource", value: resource)]
        if let clientID { items.append(URLQueryItem(name: "client_id", value: clientID)) }
        components?.queryItems = items
        guard let url = components?.url else { throw AzureAuthError("bad managed identity address \(base)") }
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPExchangeResponse
            do {
                response = try await transport.send(HTTPExchangeRequest(method: "GET", url: url, headers: ["Metadata": "true"]))
            } catch {
                throw AzureAuthError(
                    "no managed identity endpoint answered at \(base.absoluteString) (\(error)); on a machine without a "
                        + "managed identity, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or log in with `az login`")
            }
            let body = JSONValue.parse(response.body) ?? .null
            if response.status == 200, let token = body.member("access_token").string {
                let expires = body.member("expires_on").number.map { Date(timeIntervalSince1970: $0) }
                    ?? Date().addingTimeInterval(body.member("expires_in").number ?? 3600)
                return AccessToken(value: token, expiresOn: expires)
            }
            // IMDS asks callers to back off on 429 and 5xx; three tries, a second apart.
            if [429, 500, 503].contains(response.status), attempt < 3 {
                try await Task.sleep(for: .seconds(1))
                continue
            }
            let reason = body.member("error_description").string ?? body.member("error").string ?? "HTTP \(response.status)"
            throw AzureAuthError("\(name) gave no token: \(reason)")
        }
    }
}

/// The token of the Azure CLI's logged-in account: `az account get-access-token`.
public struct AzureCLICredential: AzureTokenSource {
    public let resource: String
    public let timeout: Duration

    public init(resource: String, timeout: Duration = .seconds(30)) {
        self.resource = resource
        self.timeout = timeout
    }

    public var name: String { "the Azure CLI's login (az account get-access-token)" }

    public func fetch() async throws -> AccessToken {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["az", "account", "get-access-token", "--resource", resource, "--output", "json"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw AzureAuthError("could not run az: \(error.localizedDescription)")
        }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw AzureAuthError("az account get-access-token did not answer within \(Int(timeout.seconds)) s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            if process.terminationStatus == 127 || errors.contains("No such file") {
                throw AzureAuthError(
                    "no Azure credential: az is not installed, and neither AZURE_CLIENT_SECRET nor a managed identity "
                        + "was configured (see docs/environment.md, Azure)")
            }
            let first = errors.split(separator: "\n").first { $0.contains("ERROR") || !$0.isEmpty }.map(String.init) ?? ""
            throw AzureAuthError("az gave no token: \(first) (run `az login`, or set AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)")
        }
        let body = JSONValue.parse(output) ?? .null
        guard let token = body.member("accessToken").string else { throw AzureAuthError("az account get-access-token printed no accessToken") }
        let expires = body.member("expires_on").number.map { Date(timeIntervalSince1970: $0) } ?? Date().addingTimeInterval(1800)
        return AccessToken(value: token, expiresOn: expires)
    }
}

/// `application/x-www-form-urlencoded` values.
enum FormEncoding {
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
