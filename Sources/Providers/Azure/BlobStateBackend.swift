public import Deployer
public import Foundation
import JSONDocument
import Digests

/// Deploy state in a container of an Azure Storage account (`state: {azure-blob: …}`), the way
/// Terraform's azurerm backend keeps state: every machine with the environment's Azure credentials
/// sees the same lock, journals, audit log and versions.
///
/// Each state object is one blob under the environment's prefix. Every write is conditional: a
/// create is `If-None-Match: *`; a replace or a delete is `If-Match` the ETag of the bytes that were
/// compared, so two machines never overwrite each other. The lock is a block blob under an infinite
/// lease, its holder in the blob's metadata as well as its body: the lease keeps every writer that
/// is not deployer away, and a lease broken by someone else (`az storage blob lease break`) is seen
/// by the running deploy, which stops (`isProtected`). Journals and the audit log are append blobs,
/// appended at the position read before (`x-ms-blob-condition-appendpos`), so a record is never
/// written twice nor out of place; Azure Storage has made a block durable when it answers.
public actor BlobStateBackend: StateBackend {
    /// Where the account's blob endpoint comes from: known already, or looked up through Resource
    /// Manager on first use (`primaryEndpoints.blob`, as az does).
    public enum Endpoint: Sendable {
        case known(URL)
        case resourceManager(ARMClient, accountPath: String)
    }

    public nonisolated let account: String
    public nonisolated let container: String
    public nonisolated let prefix: String
    private let endpoint: Endpoint
    private let authorization: @Sendable () throws -> BlobAuthorization
    private let transport: any HTTPTransport
    private var service: BlobService?
    /// The length of each append blob as this process last wrote or read it.
    private var lengths: [String: Int] = [:]
    /// Keys whose blob is kept under the lock's lease.
    private let leasedKeys: Set<String>

    /// - Parameters:
    ///   - authorization: how requests are authorised, asked for on first use (so that `plan` works
    ///     without credentials); its errors are reported as the state's.
    public init(
        account: String, container: String, prefix: String, endpoint: Endpoint, transport: any HTTPTransport,
        leasedKeys: Set<String> = ["lock.json"], authorization: @escaping @Sendable () throws -> BlobAuthorization
    ) {
        self.account = account
        self.container = container
        self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.endpoint = endpoint
        self.transport = transport
        self.leasedKeys = leasedKeys
        self.authorization = authorization
    }

    /// How long one request to the Blob service may take. State requests are small, and a request
    /// with a body sent on a kept-alive connection that the service has closed is never answered
    /// under FoundationNetworking: it is given up on, and sent again, after this long.
    public static let requestTimeout: Duration = .seconds(10)

    public nonisolated var location: String { "azure-blob://\(account)/\(container)/\(prefix)" }
    public nonisolated var isShared: Bool { true }

    // MARK: StateBackend

    public func read(_ key: String) async throws -> Data? {
        try checkKey(key)
        return try await get(key)?.data
    }

    public func create(_ key: String, _ data: Data) async throws -> Bool {
        try checkKey(key)
        var headers = ["x-ms-blob-type": "BlockBlob", "If-None-Match": "*"]
        if leasedKeys.contains(key) { headers.merge(Self.holderMetadata(data)) { $1 } }
        let response = try await containerWrite("PUT", key, headers: headers, body: data)
        switch response.status {
        case 201:
            if leasedKeys.contains(key) { try await acquireLease(key) }
            return true
        case 409 where response.header("x-ms-error-code") == "BlobAlreadyExists":
            // Also the answer when our own PUT went through but its answer was lost and it was sent again.
            if leasedKeys.contains(key), let current = try await get(key), current.data == data, current.leaseState != "leased" {
                try await acquireLease(key)
                return true
            }
            return false
        default:
            throw failure(response, "creating \(key)")
        }
    }

    public func replace(_ key: String, _ data: Data, expected: Data) async throws -> Bool {
        try checkKey(key)
        guard let current = try await get(key), current.data == expected else { return false }
        var headers = ["x-ms-blob-type": "BlockBlob", "If-Match": current.etag]
        if leasedKeys.contains(key) { headers.merge(Self.holderMetadata(data)) { $1 } }
        if current.leaseState == "leased" { headers["x-ms-lease-id"] = leaseID(key) }
        let response = try await send("PUT", path(key), headers: headers, body: data)
        switch response.status {
        case 201:
            if leasedKeys.contains(key), current.leaseState != "leased" { try await acquireLease(key) }
            return true
        case 404: return false
        case 412 where Self.isConditionFailure(response): return false
        default:
            throw failure(response, "replacing \(key)")
        }
    }

    public func delete(_ key: String, expected: Data) async throws -> Bool {
        try checkKey(key)
        guard let current = try await get(key), current.data == expected else { return false }
        var headers = ["If-Match": current.etag]
        if current.leaseState == "leased" { headers["x-ms-lease-id"] = leaseID(key) }
        let response = try await send("DELETE", path(key), headers: headers)
        switch response.status {
        case 202: return true
        case 404: return false
        case 412 where Self.isConditionFailure(response): return false
        default: throw failure(response, "removing \(key)")
        }
    }

    public func append(_ key: String, _ data: Data) async throws {
        try checkKey(key)
        guard !data.isEmpty else { return }
        var position: Int
        if let known = lengths[key] {
            position = known
        } else {
            position = try await appendLength(key)
        }
        for _ in 0..<5 {
            let response = try await send(
                "PUT", path(key), query: [("comp", "appendblock")],
                headers: ["x-ms-blob-condition-appendpos": String(position)], body: data)
            switch response.status {
            case 201:
                lengths[key] = position + data.count
                return
            case 404:
                // No blob (or no container) yet: make an empty append blob, then append.
                position = try await appendLength(key)
            case 412 where response.header("x-ms-error-code") == "AppendPositionConditionNotMet":
                // Our own block went in and its answer was lost (the request was sent again), or
                // someone else appended meanwhile (the audit log is shared): carry on at the end.
                guard let current = try await get(key) else {
                    position = try await appendLength(key)
                    continue
                }
                if current.data.count == position + data.count, current.data.suffix(data.count) == data {
                    lengths[key] = current.data.count
                    return
                }
                position = current.data.count
            default:
                throw failure(response, "appending to \(key)")
            }
        }
        throw StateError(backend: location, "appending to \(key): the blob kept changing under five attempts")
    }

    public func list(_ directory: String) async throws -> [String] {
        let folder = (prefix.isEmpty ? "" : prefix + "/") + (directory.hasSuffix("/") ? directory : directory + "/")
        var names: [String] = []
        var marker = ""
        for _ in 0..<10_000 {
            var query = [("restype", "container"), ("comp", "list"), ("prefix", folder), ("delimiter", "/")]
            if !marker.isEmpty { query.append(("marker", marker)) }
            let response = try await send("GET", container, query: query)
            if response.status == 404 { return [] }
            guard response.status == 200 else { throw failure(response, "listing \(directory)") }
            let text = String(decoding: response.body, as: UTF8.self)
            // Blob names only (a `BlobPrefix` is a folder deeper down, not an object here).
            let blobs = BlobService.elements("Blob", in: text).compactMap { BlobService.element("Name", in: "<x>" + $0 + "</x>") }
            names += blobs.map { String($0.dropFirst(folder.count)) }.filter { !$0.isEmpty && !$0.contains("/") }
            marker = BlobService.element("NextMarker", in: text) ?? ""
            if marker.isEmpty { return names.sorted() }
        }
        throw StateError(backend: location, "listing \(directory): the listing did not end")
    }

    /// Whether the object is still under this backend's protection: the lock blob's lease is held.
    /// False when someone broke it: whoever holds the lock must stop, as it can no longer be sure it
    /// is alone.
    public func isProtected(_ key: String) async throws -> Bool {
        guard leasedKeys.contains(key) else { return true }
        // A lock is created, then leased: between the two it is briefly unleased. A lease that is
        // gone a second later as well was broken.
        for attempt in 0..<2 {
            guard let current = try await head(key) else { return false }
            if current.leaseState == "leased" { return true }
            if attempt == 0 { try await Task.sleep(for: .seconds(1)) }
        }
        return false
    }

    // MARK: Blobs

    private struct Blob {
        var data: Data
        var etag: String
        var leaseState: String?
    }

    private func path(_ key: String) -> String {
        container + "/" + (prefix.isEmpty ? "" : prefix + "/") + key
    }

    private func get(_ key: String) async throws -> Blob? {
        let response = try await send("GET", path(key))
        switch response.status {
        case 200:
            return Blob(data: response.body, etag: response.header("etag") ?? "", leaseState: response.header("x-ms-lease-state"))
        case 404: return nil
        default: throw failure(response, "reading \(key)")
        }
    }

    private func head(_ key: String) async throws -> (length: Int, leaseState: String?)? {
        let response = try await send("HEAD", path(key))
        switch response.status {
        case 200:
            return (Int(response.header("content-length") ?? "") ?? 0, response.header("x-ms-lease-state"))
        case 404: return nil
        default: throw failure(response, "reading \(key)")
        }
    }

    /// The append blob's length, creating an empty one (and the container) when there is none.
    private func appendLength(_ key: String) async throws -> Int {
        if let found = try await head(key) { return found.length }
        let response = try await containerWrite("PUT", key, headers: ["x-ms-blob-type": "AppendBlob", "If-None-Match": "*"])
        switch response.status {
        case 201: return 0
        case 409 where response.header("x-ms-error-code") == "BlobAlreadyExists":
            return try await head(key)?.length ?? 0
        default: throw failure(response, "creating \(key)")
        }
    }

    /// A write that creates the container first when it is not there yet.
    private func containerWrite(_ method: String, _ key: String, headers: [String: String], body: Data = Data()) async throws
        -> HTTPExchangeResponse
    {
        let response = try await send(method, path(key), headers: headers, body: body)
        guard response.status == 404, response.header("x-ms-error-code") == "ContainerNotFound" else { return response }
        let made = try await send("PUT", container, query: [("restype", "container")])
        guard made.status == 201 || made.header("x-ms-error-code") == "ContainerAlreadyExists" else {
            throw failure(made, "creating the container \(container)")
        }
        return try await send(method, path(key), headers: headers, body: body)
    }

    /// The lease every deployer process uses for a key: the same id wherever it runs, so that a
    /// resume or abort from another machine can take the lock over by compare-and-swap.
    private func leaseID(_ key: String) -> String {
        let digest = Digests.sha256(Array("deployer-lease:\(account)/\(path(key))".utf8))
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    private func acquireLease(_ key: String) async throws {
        let response = try await send(
            "PUT", path(key), query: [("comp", "lease")],
            headers: ["x-ms-lease-action": "acquire", "x-ms-lease-duration": "-1", "x-ms-proposed-lease-id": leaseID(key)])
        // Already ours (a retried request): as good as acquired.
        if response.status == 201 || response.status == 200 { return }
        if response.status == 409, response.header("x-ms-error-code") == "LeaseAlreadyPresent",
            try await head(key)?.leaseState == "leased"
        {
            let renew = try await send(
                "PUT", path(key), query: [("comp", "lease")], headers: ["x-ms-lease-action": "renew", "x-ms-lease-id": leaseID(key)])
            if renew.status == 200 { return }
        }
        throw failure(response, "leasing \(key)")
    }

    /// The lock's holder, as metadata a person sees in the portal or `az storage blob show`.
    private static func holderMetadata(_ data: Data) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: data),
            let compact = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
            let text = String(data: compact, encoding: .utf8), text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 })
        else { return ["x-ms-meta-holder": data.base64EncodedString()] }
        return ["x-ms-meta-holder": text]
    }

    private static func isConditionFailure(_ response: HTTPExchangeResponse) -> Bool {
        ["ConditionNotMet", "LeaseIdMismatchWithBlobOperation", "LeaseLost", "LeaseNotPresentWithBlobOperation", "BlobNotFound"]
            .contains(response.header("x-ms-error-code") ?? "")
    }

    // MARK: The service

    /// One request; a service that cannot be reached is the state's error.
    private func send(
        _ method: String, _ path: String, query: [(String, String)] = [], headers: [String: String] = [:], body: Data = Data()
    ) async throws -> HTTPExchangeResponse {
        let blobs = try await service()
        do {
            return try await blobs.send(method, path, query: query, headers: headers, body: body)
        } catch let error as BlobError {
            throw StateError(backend: location, error.description)
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError(backend: location, "\(error)")
        }
    }

    private func service() async throws -> BlobService {
        if let service { return service }
        let authorization: BlobAuthorization
        do {
            authorization = try self.authorization()
        } catch {
            throw StateError(backend: location, "\(error)")
        }
        let url: URL
        switch endpoint {
        case .known(let known):
            url = known
        case .resourceManager(let arm, let accountPath):
            let answer: ARMResponse
            do {
                answer = try await arm.call("GET", accountPath, apiVersion: "2023-05-01", retry: .idempotent)
            } catch {
                throw StateError(backend: location, "finding the storage account \(account) through Resource Manager: \(error)")
            }
            guard let text = answer.body?.member("properties").member("primaryEndpoints").member("blob").string, let found = URL(string: text),
                let scheme = found.scheme?.lowercased(), scheme == "https" || (scheme == "http" && AzureSettings.isLoopback(found.host ?? ""))
            else {
                throw StateError(
                    backend: location, "the storage account \(account) has no usable blob endpoint (properties.primaryEndpoints.blob)")
            }
            url = found
        }
        let made = BlobService(endpoint: url, authorization: authorization, transport: transport)
        service = made
        return made
    }

    private func failure(_ response: HTTPExchangeResponse, _ doing: String) -> StateError {
        var message = BlobService.error(response, doing).description
        if response.status == 403 {
            message += ". The identity needs the `Storage Blob Data Contributor` role on the account (or set the account key in the "
                + "variable named by `key-env`)"
        }
        return StateError(backend: location, message)
    }
}
