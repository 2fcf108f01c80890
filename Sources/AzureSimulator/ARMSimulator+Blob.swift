import Foundation
import JSONDocument

/// The Blob service of the scenario's storage accounts, path-style as Azurite serves it
/// (`{base}/{account}/{container}/{blob}`): authentication (Shared Key or a storage bearer
/// token), the headers every answer carries, and the account and container operations.
extension ARMSimulator {
    /// What one blob request needs besides the request: who answers, and when.
    struct BlobContext {
        var request: SimulatedRequest
        var account: String
        var requestID: String
        var now: Date

        func fail(_ status: Int, _ code: String, _ extra: [(String, String)] = [], headers: [String: String] = [:]) -> SimulatedResponse {
            BlobError.response(status, code, requestID: requestID, extra: extra, headers: headers, now: now)
        }

        func badHeader(_ name: String, _ value: String) -> SimulatedResponse {
            fail(400, "InvalidHeaderValue", [("HeaderName", name), ("HeaderValue", value)])
        }

        func missingHeader(_ name: String) -> SimulatedResponse {
            fail(400, "MissingRequiredHeader", [("HeaderName", name)])
        }

        func badQuery(_ name: String, _ value: String) -> SimulatedResponse {
            fail(400, "InvalidQueryParameterValue", [("QueryParameterName", name), ("QueryParameterValue", value)])
        }

        /// `comp`, lowercased ("" when absent).
        var comp: String { request.queryValue("comp")?.lowercased() ?? "" }
        var restype: String { request.queryValue("restype")?.lowercased() ?? "" }
    }

    /// Answers a Blob service request, or gives the fault's answer in Blob's shape.
    func blobRequest(_ request: SimulatedRequest, address: BlobAddress, requestID: String, fault: FaultSpec?) -> SimulatedResponse {
        let context = BlobContext(request: request, account: address.account, requestID: requestID, now: storageNow)
        var response = blobFaultResponse(fault, requestID: requestID) ?? blobAnswer(context, address: address)
        if response.dropConnection { return response }
        response.headers["x-ms-request-id"] = requestID
        if let version = request.header("x-ms-version") { response.headers["x-ms-version"] = version }
        if let client = request.header("x-ms-client-request-id") { response.headers["x-ms-client-request-id"] = client }
        response.headers["Date"] = BlobDates.rfc1123(Date())
        response.headers["Server"] = "Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0"
        if request.method == "HEAD" {
            // HEAD answers carry the headers a GET would (Content-Length included) and no body.
            response.body = Data()
        }
        return response
    }

    private func blobAnswer(_ context: BlobContext, address: BlobAddress) -> SimulatedResponse {
        let request = context.request
        guard let version = request.header("x-ms-version"), !version.isEmpty else { return context.missingHeader("x-ms-version") }
        guard Self.isAPIVersion(version) else { return context.badHeader("x-ms-version", version) }
        if address.malformed { return context.fail(400, "InvalidUri") }
        if let refusal = authenticateBlob(context) { return refusal }
        guard let containerName = address.container else { return accountOperation(context) }
        if BlobNames.containerProblem(containerName) != nil, containerName != "$root" {
            return context.fail(400, "InvalidResourceName")
        }
        guard let blobName = address.blob else {
            guard context.restype == "container" else {
                // `/{account}/{name}` without restype addresses a blob of the $root container.
                return context.fail(404, "ContainerNotFound")
            }
            return containerOperation(context, container: containerName)
        }
        guard blobName.utf8.count <= 1024 else { return context.fail(400, "InvalidResourceName") }
        return blobOperation(context, container: containerName, blob: blobName)
    }

    // MARK: Authentication

    /// nil when the request is signed with the account key or carries a storage bearer token.
    private func authenticateBlob(_ context: BlobContext) -> SimulatedResponse? {
        let request = context.request
        let challenge = [
            "WWW-Authenticate":
                "Bearer authorization_uri=\(request.baseURL)/\(scenario.tenant)/oauth2/authorize resource_id=https://storage.azure.com"
        ]
        guard let header = request.header("Authorization"), !header.isEmpty else {
            if request.queryValue("sig") != nil {
                return context.fail(
                    403, "AuthenticationFailed", [("AuthenticationErrorDetail", "The simulator does not accept shared access signatures; use Shared Key or a bearer token.")])
            }
            return context.fail(401, "NoAuthenticationInformation", headers: challenge)
        }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        let scheme = parts.first ?? ""
        let credential = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        switch scheme.lowercased() {
        case "bearer":
            switch SimulatorToken.check(credential, now: Date()) {
            case .malformed:
                return context.fail(401, "InvalidAuthenticationInfo", [("AuthenticationErrorDetail", "Signature validation failed.")], headers: challenge)
            case .expired:
                return context.fail(
                    401, "InvalidAuthenticationInfo", [("AuthenticationErrorDetail", "Lifetime validation failed. The token is expired.")],
                    headers: challenge)
            case .valid:
                let audience = SimulatorToken.audience(of: credential) ?? ""
                guard Self.isStorageAudience(audience, account: context.account) else {
                    return context.fail(
                        403, "AuthenticationFailed",
                        [("AuthenticationErrorDetail", "Audience validation failed. Audience '\(audience)' did not match https://storage.azure.com.")])
                }
                return nil
            }
        case "sharedkey":
            let pieces = credential.split(separator: ":", maxSplits: 1).map(String.init)
            guard pieces.count == 2, let key = storage[context.account]?.key else {
                return context.fail(
                    403, "AuthenticationFailed",
                    [("AuthenticationErrorDetail", "The Authorization header is not of the form 'SharedKey account:signature'.")])
            }
            guard pieces[0] == context.account else {
                return context.fail(
                    403, "AuthenticationFailed",
                    [("AuthenticationErrorDetail", "Issuer account name '\(pieces[0])' does not match the account in the URL '\(context.account)'.")])
            }
            let stringToSign = SharedKeySignature.stringToSign(request, account: context.account)
            guard SharedKeySignature.sign(stringToSign, key: key) == pieces[1] else {
                return context.fail(
                    403, "AuthenticationFailed",
                    [
                        (
                            "AuthenticationErrorDetail",
                            "The MAC signature found in the HTTP request '\(pieces[1])' is not the same as any computed signature. Server used following string to sign: '\(stringToSign)'."
                        )
                    ])
            }
            return nil
        default:
            return context.fail(
                403, "AuthenticationFailed",
                [("AuthenticationErrorDetail", "The authorization scheme '\(scheme)' is not supported: use SharedKey or Bearer.")])
        }
    }

    // MARK: Account

    private func accountOperation(_ context: BlobContext) -> SimulatedResponse {
        let request = context.request
        switch (request.method, context.restype, context.comp) {
        case ("GET", "", "list"):
            return BlobListing.containers(context, account: storage[context.account]!)
        case ("GET", "account", "properties"), ("HEAD", "account", "properties"):
            return SimulatedResponse(
                status: 200, headers: ["x-ms-sku-name": "Standard_LRS", "x-ms-account-kind": "StorageV2", "x-ms-is-hns-enabled": "false"])
        default:
            return context.fail(400, "InvalidQueryParameterValue", [("QueryParameterName", "comp"), ("QueryParameterValue", context.comp)])
        }
    }

    // MARK: Containers

    private func containerOperation(_ context: BlobContext, container name: String) -> SimulatedResponse {
        let request = context.request
        let existing = storage[context.account]?.containers[name]
        switch (request.method, context.comp) {
        case ("PUT", ""):
            guard existing == nil else { return context.fail(409, "ContainerAlreadyExists") }
            let etag = blobETags.next(now: context.now)
            storage[context.account]?.containers[name] = StorageAccountRecord.Container(
                etag: etag, lastModified: context.now, metadata: Self.metadata(request))
            return SimulatedResponse(status: 201, headers: ["ETag": etag, "Last-Modified": BlobDates.rfc1123(context.now)])
        case ("GET", ""), ("HEAD", ""):
            guard let existing else { return context.fail(404, "ContainerNotFound") }
            var headers = Self.metadataHeaders(existing.metadata)
            headers["ETag"] = existing.etag
            headers["Last-Modified"] = BlobDates.rfc1123(existing.lastModified)
            headers["x-ms-lease-status"] = "unlocked"
            headers["x-ms-lease-state"] = "available"
            headers["x-ms-has-immutability-policy"] = "false"
            headers["x-ms-has-legal-hold"] = "false"
            headers["x-ms-default-encryption-scope"] = "$account-encryption-key"
            headers["x-ms-deny-encryption-scope-override"] = "false"
            headers["x-ms-immutable-storage-with-versioning-enabled"] = "false"
            return SimulatedResponse(status: 200, headers: headers)
        case ("DELETE", ""):
            guard let existing else { return context.fail(404, "ContainerNotFound") }
            if let refusal = Self.checkConditions(context, etag: existing.etag, lastModified: existing.lastModified, read: false) {
                return refusal
            }
            storage[context.account]?.containers[name] = nil
            return SimulatedResponse(status: 202)
        case ("PUT", "metadata"):
            guard existing != nil else { return context.fail(404, "ContainerNotFound") }
            let etag = blobETags.next(now: context.now)
            storage[context.account]?.containers[name]?.metadata = Self.metadata(request)
            storage[context.account]?.containers[name]?.etag = etag
            storage[context.account]?.containers[name]?.lastModified = context.now
            return SimulatedResponse(status: 200, headers: ["ETag": etag, "Last-Modified": BlobDates.rfc1123(context.now)])
        case ("GET", "list"):
            guard let existing else { return context.fail(404, "ContainerNotFound") }
            return BlobListing.blobs(context, container: name, blobs: existing.blobs)
        case (_, ""), (_, "list"), (_, "metadata"):
            return context.fail(405, "UnsupportedHttpVerb")
        default:
            return context.badQuery("comp", context.comp)
        }
    }

    // MARK: Shared pieces

    /// The request's `x-ms-meta-*` headers as name/value pairs, names as sent, sorted.
    static func metadata(_ request: SimulatedRequest) -> [(name: String, value: String)] {
        request.headers.compactMap { name, value -> (name: String, value: String)? in
            guard name.lowercased().hasPrefix("x-ms-meta-") else { return nil }
            return (String(name.dropFirst("x-ms-meta-".count)), value)
        }.sorted { $0.name.lowercased() < $1.name.lowercased() }
    }

    static func metadataHeaders(_ metadata: [(name: String, value: String)]) -> [String: String] {
        var headers: [String: String] = [:]
        for item in metadata { headers["x-ms-meta-" + item.name] = item.value }
        return headers
    }

    /// Azure's conditional headers against a resource that exists: 304 for reads whose
    /// If-None-Match or If-Modified-Since says "unchanged", 412 ConditionNotMet otherwise.
    /// Dates compare at the second, as HTTP dates carry no more.
    static func checkConditions(_ context: BlobContext, etag: String, lastModified: Date, read: Bool) -> SimulatedResponse? {
        let request = context.request
        let modified = floor(lastModified.timeIntervalSince1970)
        let notMet = context.fail(412, "ConditionNotMet")
        var notModified = SimulatedResponse(status: 304, headers: ["x-ms-error-code": "ConditionNotMet", "ETag": etag])
        notModified.headers["Last-Modified"] = BlobDates.rfc1123(lastModified)
        if let ifMatch = request.header("If-Match"), !matches(ifMatch, etag) { return notMet }
        if let text = request.header("If-Unmodified-Since") {
            guard let date = BlobDates.parse(text) else { return context.badHeader("If-Unmodified-Since", text) }
            if modified > date.timeIntervalSince1970 { return notMet }
        }
        if let ifNoneMatch = request.header("If-None-Match"), matches(ifNoneMatch, etag) { return read ? notModified : notMet }
        if let text = request.header("If-Modified-Since") {
            guard let date = BlobDates.parse(text) else { return context.badHeader("If-Modified-Since", text) }
            if modified <= date.timeIntervalSince1970 { return read ? notModified : notMet }
        }
        return nil
    }

    /// Whether an If-Match/If-None-Match value (`*` or a comma-separated list of ETags) names `etag`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        let candidates = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return candidates.contains("*") || candidates.contains(etag)
    }
}
