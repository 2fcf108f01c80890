import Foundation
import JSONDocument

/// Bearer checks on ARM paths, and the identity endpoints: AAD client credentials with OIDC
/// discovery, IMDS managed identity, and cloud metadata (§2.12, §3).
extension ARMSimulator {
    /// 401 unless the request carries an unexpired, well-formed bearer JWT.
    func authenticate(_ request: SimulatedRequest) -> SimulatedResponse? {
        let challenge = ["WWW-Authenticate": wwwAuthenticate(request, error: "invalid_token")]
        guard let header = request.header("Authorization"), !header.isEmpty else {
            return CloudError.response(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", headers: challenge)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return CloudError.response(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                headers: challenge)
        }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        switch SimulatorToken.check(token) {
        case .valid:
            // ARM takes tokens for any management audience; one minted for storage is refused as Azure does.
            if let audience = SimulatorToken.audience(of: token), Self.isStorageAudience(audience) {
                return CloudError.response(
                    401, "InvalidAuthenticationToken",
                    "The access token has been obtained for wrong audience or resource '\(audience)'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.",
                    headers: challenge)
            }
            return nil
        case .malformed:
            return CloudError.response(401, "InvalidAuthenticationToken", "The access token is invalid.", headers: challenge)
        case .expired(let expiry):
            return CloudError.response(
                401, "InvalidAuthenticationToken",
                "The access token expiry UTC time '\(OperationRecord.timestamp(expiry))' is earlier than current UTC time '\(OperationRecord.timestamp(Date()))'.",
                headers: challenge)
        }
    }

    private func knowsTenant(_ tenant: String) -> Bool {
        [scenario.tenant.lowercased(), "organizations", "common"].contains(tenant.lowercased())
    }

    /// An AADSTS-style error, as the v2.0 token endpoint sends them.
    private func aadError(_ status: Int, _ error: String, _ code: Int, _ description: String) -> SimulatedResponse {
        let trace = UUID().uuidString.lowercased()
        let correlation = UUID().uuidString.lowercased()
        let now = OperationRecord.timestamp(Date())
        return .json(
            status,
            [
                "error": .string(error),
                "error_description": .string("AADSTS\(code): \(description) Trace ID: \(trace) Correlation ID: \(correlation) Timestamp: \(now)"),
                "error_codes": [.int(code)], "timestamp": .string(now), "trace_id": .string(trace),
                "correlation_id": .string(correlation), "error_uri": .string("https://login.microsoftonline.com/error?code=\(code)"),
            ])
    }

    /// POST /{tenant}/oauth2/v2.0/token, client-credentials flow.
    func issueToken(_ request: SimulatedRequest, tenant: String) -> SimulatedResponse {
        guard request.method == "POST" else {
            return aadError(405, "invalid_request", 900561, "The endpoint only accepts POST requests.")
        }
        guard knowsTenant(tenant) else {
            return aadError(400, "invalid_request", 90002, "Tenant '\(tenant)' not found.")
        }
        let form = request.formItems
        guard form["grant_type"] == "client_credentials" else {
            return aadError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '\(form["grant_type"] ?? "")'; this endpoint serves client_credentials only.")
        }
        guard let scope = form["scope"], scope.hasSuffix("/.default") else {
            return aadError(
                400, "invalid_scope", 1_002_012,
                "The provided value for scope '\(form["scope"] ?? "")' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
        }
        let clientID = form["client_id"] ?? ""
        guard let credential = scenario.credentials.first(where: { $0.clientID == clientID }) else {
            return aadError(
                401, "invalid_client", 700_016,
                "Application with identifier '\(clientID)' was not found in the directory '\(tenant)'. Use a client-id the simulator's scenario lists under credentials.")
        }
        guard form["client_secret"] == credential.clientSecret else {
            return aadError(
                401, "invalid_client", 7_000_215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(clientID)'.")
        }
        var audience = String(scope.dropLast("/.default".count))
        if audience.hasSuffix("/") { audience.removeLast() }
        let lifetime = scenario.timing.tokenLifetime
        let token = SimulatorToken.mint(
            audience: audience, issuer: "https://sts.windows.net/\(scenario.tenant)/", tenant: scenario.tenant,
            appID: clientID, lifetime: lifetime)
        return .json(
            200,
            ["token_type": "Bearer", "expires_in": .int(Int(lifetime)), "ext_expires_in": .int(Int(lifetime)), "access_token": .string(token)])
    }

    /// GET /{tenant}/v2.0/.well-known/openid-configuration: where MSAL finds the token endpoint.
    func openIDConfiguration(_ request: SimulatedRequest, tenant: String) -> SimulatedResponse {
        guard knowsTenant(tenant) else {
            return aadError(400, "invalid_tenant", 90002, "Tenant '\(tenant)' not found.")
        }
        let base = request.baseURL
        let authority = "\(base)/\(tenant)"
        return .json(
            200,
            [
                "token_endpoint": .string("\(authority)/oauth2/v2.0/token"),
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": .string("\(authority)/discovery/v2.0/keys"),
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": .string("\(authority)/v2.0"),
                "request_uri_parameter_supported": false,
                "userinfo_endpoint": .string("\(base)/oidc/userinfo"),
                "authorization_endpoint": .string("\(authority)/oauth2/v2.0/authorize"),
                "device_authorization_endpoint": .string("\(authority)/oauth2/v2.0/devicecode"),
                "http_logout_supported": true, "frontchannel_logout_supported": true,
                "end_session_endpoint": .string("\(authority)/oauth2/v2.0/logout"),
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
                "tenant_region_scope": "EU", "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net", "msgraph_host": "graph.microsoft.com",
            ])
    }

    /// GET /metadata/identity/oauth2/token (IMDS, §3.2): every field a string, `Metadata: true` required.
    func imdsToken(_ request: SimulatedRequest) -> SimulatedResponse {
        guard request.method == "GET" else {
            return .json(405, ["error": "invalid_request", "error_description": "Only GET is supported."])
        }
        guard request.header("Metadata")?.lowercased() == "true" else {
            return .json(400, ["error": "invalid_request", "error_description": "Required metadata header not specified"])
        }
        guard request.queryValue("api-version") != nil else {
            return .json(400, ["error": "invalid_request", "error_description": "Required query variable 'api-version' is missing"])
        }
        guard let resource = request.queryValue("resource"), !resource.isEmpty else {
            return .json(400, ["error": "invalid_request", "error_description": "Required audience variable missing."])
        }
        let lifetime = scenario.timing.tokenLifetime
        let now = Date()
        let clientID = request.queryValue("client_id") ?? SimulatorToken.stableUUID("managed-identity")
        let token = SimulatorToken.mint(
            audience: resource, issuer: "https://sts.windows.net/\(scenario.tenant)/", tenant: scenario.tenant,
            appID: clientID, lifetime: lifetime, now: now)
        let seconds = Int(lifetime)
        return .json(
            200,
            [
                "access_token": .string(token), "client_id": .string(clientID), "expires_in": .string(String(seconds)),
                "expires_on": .string(String(Int(now.timeIntervalSince1970) + seconds)), "ext_expires_in": .string(String(seconds)),
                "not_before": .string(String(Int(now.timeIntervalSince1970) - 5)), "resource": .string(resource),
                "token_type": "Bearer",
            ])
    }

    /// GET /metadata/endpoints: what `az cloud register` reads to learn the cloud's endpoints.
    func cloudMetadata(_ request: SimulatedRequest) -> SimulatedResponse {
        let base = request.baseURL + "/"
        return .json(
            200,
            [
                "resourceManager": .string(base), "portal": .string(base), "galleryEndpoint": .string(base),
                "graphEndpoint": .string(base), "name": "SimCloud",
                "authentication": [
                    "loginEndpoint": .string(base),
                    "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
                    "tenant": "common", "identityProvider": "AAD",
                ],
                "suffixes": ["storage": "core.windows.net", "keyVaultDns": "vault.azure.net", "acrLoginServer": "azurecr.io"],
            ])
    }
}
