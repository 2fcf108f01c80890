import Foundation
import JSONDocument

/// Blob operations: Put Blob (block or append), Get Blob (ranges), Get Blob Properties, Delete
/// Blob, Set and Get Blob Metadata, Append Block; each with Azure's conditional headers and lease
/// checks, in that order.
extension ARMSimulator {
    typealias Blob = StorageAccountRecord.Blob

    /// The largest Append Block body (service version 2022-11-02 and later: 100 MiB).
    static let appendBlockLimit = 100 * 1024 * 1024
    /// Committed blocks an append blob may have.
    static let appendBlockCountLimit = 50_000

    func blobOperation(_ context: BlobContext, container: String, blob name: String) -> SimulatedResponse {
        guard storage[context.account]?.containers[container] != nil else { return context.fail(404, "ContainerNotFound") }
        let request = context.request
        switch (request.method, context.comp) {
        case ("PUT", ""): return putBlob(context, container: container, name: name)
        case ("GET", ""): return getBlob(context, container: container, name: name, head: false)
        case ("HEAD", ""): return getBlob(context, container: container, name: name, head: true)
        case ("DELETE", ""): return deleteBlob(context, container: container, name: name)
        case ("PUT", "metadata"): return setMetadata(context, container: container, name: name)
        case ("GET", "metadata"), ("HEAD", "metadata"): return getMetadata(context, container: container, name: name)
        case ("PUT", "appendblock"): return appendBlock(context, container: container, name: name)
        case ("PUT", "lease"): return leaseBlob(context, container: container, name: name)
        case (_, ""), (_, "metadata"), (_, "appendblock"), (_, "lease"): return context.fail(405, "UnsupportedHttpVerb")
        default: return context.badQuery("comp", context.comp)
        }
    }

    func blobRecord(_ context: BlobContext, _ container: String, _ name: String) -> Blob? {
        storage[context.account]?.containers[container]?.blobs[name]
    }

    func store(_ blob: Blob?, _ context: BlobContext, _ container: String, _ name: String) {
        storage[context.account]?.containers[container]?.blobs[name] = blob
    }

    /// Conditional headers, then the lease, for a request that changes an existing blob.
    func checkWrite(_ context: BlobContext, _ blob: Blob) -> SimulatedResponse? {
        if let refusal = Self.checkConditions(context, etag: blob.etag, lastModified: blob.lastModified, read: false) { return refusal }
        if let code = blob.lease.refusesWrite(leaseID: context.request.header("x-ms-lease-id"), now: context.now) {
            return context.fail(412, code)
        }
        return nil
    }

    private func putBlob(_ context: BlobContext, container: String, name: String) -> SimulatedResponse {
        let request = context.request
        guard let typeName = request.header("x-ms-blob-type") else { return context.missingHeader("x-ms-blob-type") }
        guard let kind = Blob.Kind(rawValue: typeName) else { return context.badHeader("x-ms-blob-type", typeName) }
        if kind == .append, !request.body.isEmpty {
            return context.badHeader("Content-Length", String(request.body.count))
        }
        let existing = blobRecord(context, container, name)
        if let existing {
            if let ifNoneMatch = request.header("If-None-Match"), ifNoneMatch.trimmingCharacters(in: .whitespaces) == "*" {
                return context.fail(409, "BlobAlreadyExists")
            }
            if let refusal = checkWrite(context, existing) { return refusal }
        } else {
            if request.header("If-Match") != nil { return context.fail(412, "ConditionNotMet") }
            if request.header("x-ms-lease-id") != nil { return context.fail(412, "LeaseNotPresentWithBlobOperation") }
        }
        let etag = blobETags.next(now: context.now)
        var lease = existing?.lease ?? BlobLease()
        lease.noteWrite(now: context.now)
        let blob = Blob(
            kind: kind, bytes: kind == .block ? request.body : Data(), etag: etag, created: existing?.created ?? context.now,
            lastModified: context.now,
            contentType: request.header("x-ms-blob-content-type") ?? request.header("Content-Type") ?? "application/octet-stream",
            metadata: Self.metadata(request), lease: lease)
        store(blob, context, container, name)
        return SimulatedResponse(
            status: 201,
            headers: ["ETag": etag, "Last-Modified": BlobDates.rfc1123(context.now), "x-ms-request-server-encrypted": "true"])
    }

    /// The headers Get Blob and Get Blob Properties answer with.
    private func blobHeaders(_ blob: Blob, now: Date) -> [String: String] {
        var headers = Self.metadataHeaders(blob.metadata)
        headers["ETag"] = blob.etag
        headers["Last-Modified"] = BlobDates.rfc1123(blob.lastModified)
        headers["x-ms-creation-time"] = BlobDates.rfc1123(blob.created)
        headers["x-ms-blob-type"] = blob.kind.rawValue
        headers["Content-Type"] = blob.contentType
        headers["Accept-Ranges"] = "bytes"
        headers["x-ms-server-encrypted"] = "true"
        headers["x-ms-lease-state"] = blob.lease.state(at: now).rawValue
        headers["x-ms-lease-status"] = blob.lease.isLocked(at: now) ? "locked" : "unlocked"
        if let duration = blob.lease.durationName(at: now) { headers["x-ms-lease-duration"] = duration }
        switch blob.kind {
        case .append: headers["x-ms-blob-committed-block-count"] = String(blob.committedBlocks)
        case .block:
            headers["x-ms-access-tier"] = "Hot"
            headers["x-ms-access-tier-inferred"] = "true"
        }
        return headers
    }

    private func getBlob(_ context: BlobContext, container: String, name: String, head: Bool) -> SimulatedResponse {
        guard let blob = blobRecord(context, container, name) else { return context.fail(404, "BlobNotFound") }
        if let code = blob.lease.refusesRead(leaseID: context.request.header("x-ms-lease-id"), now: context.now) {
            return context.fail(412, code)
        }
        if let refusal = Self.checkConditions(context, etag: blob.etag, lastModified: blob.lastModified, read: true) { return refusal }
        var headers = blobHeaders(blob, now: context.now)
        let size = blob.bytes.count
        let rangeHeader = context.request.header("x-ms-range") ?? context.request.header("Range")
        guard !head, let rangeHeader, let (start, end) = Self.byteRange(rangeHeader) else {
            headers["Content-Length"] = String(size)
            return SimulatedResponse(status: 200, headers: headers, body: head ? Data() : blob.bytes)
        }
        guard start < size else {
            return context.fail(416, "InvalidRange", headers: ["Content-Range": "bytes */\(size)"])
        }
        let last = min(end ?? size - 1, size - 1)
        let slice = blob.bytes.subdata(in: (blob.bytes.startIndex + start)..<(blob.bytes.startIndex + last + 1))
        headers["Content-Range"] = "bytes \(start)-\(last)/\(size)"
        headers["Content-Length"] = String(slice.count)
        return SimulatedResponse(status: 206, headers: headers, body: slice)
    }

    /// `bytes=a-b` or `bytes=a-`; nil for any other form, which the service ignores.
    static func byteRange(_ text: String) -> (Int, Int?)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes=") else { return nil }
        let parts = trimmed.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), start >= 0 else { return nil }
        if parts[1].isEmpty { return (start, nil) }
        guard let end = Int(parts[1]), end >= start else { return nil }
        return (start, end)
    }

    private func deleteBlob(_ context: BlobContext, container: String, name: String) -> SimulatedResponse {
        guard let blob = blobRecord(context, container, name) else { return context.fail(404, "BlobNotFound") }
        if let refusal = checkWrite(context, blob) { return refusal }
        store(nil, context, container, name)
        return SimulatedResponse(status: 202)
    }

    private func setMetadata(_ context: BlobContext, container: String, name: String) -> SimulatedResponse {
        guard var blob = blobRecord(context, container, name) else { return context.fail(404, "BlobNotFound") }
        if let refusal = checkWrite(context, blob) { return refusal }
        blob.metadata = Self.metadata(context.request)
        blob.etag = blobETags.next(now: context.now)
        blob.lastModified = context.now
        blob.lease.noteWrite(now: context.now)
        store(blob, context, container, name)
        return SimulatedResponse(
            status: 200,
            headers: ["ETag": blob.etag, "Last-Modified": BlobDates.rfc1123(blob.lastModified), "x-ms-request-server-encrypted": "true"])
    }

    private func getMetadata(_ context: BlobContext, container: String, name: String) -> SimulatedResponse {
        guard let blob = blobRecord(context, container, name) else { return context.fail(404, "BlobNotFound") }
        if let code = blob.lease.refusesRead(leaseID: context.request.header("x-ms-lease-id"), now: context.now) {
            return context.fail(412, code)
        }
        if let refusal = Self.checkConditions(context, etag: blob.etag, lastModified: blob.lastModified, read: true) { return refusal }
        var headers = Self.metadataHeaders(blob.metadata)
        headers["ETag"] = blob.etag
        headers["Last-Modified"] = BlobDates.rfc1123(blob.lastModified)
        return SimulatedResponse(status: 200, headers: headers)
    }

    private func appendBlock(_ context: BlobContext, container: String, name: String) -> SimulatedResponse {
        let request = context.request
        guard var blob = blobRecord(context, container, name) else { return context.fail(404, "BlobNotFound") }
        guard blob.kind == .append else { return context.fail(409, "InvalidBlobType") }
        if let refusal = checkWrite(context, blob) { return refusal }
        guard !request.body.isEmpty else { return context.badHeader("Content-Length", "0") }
        guard request.body.count <= Self.appendBlockLimit else { return context.fail(413, "RequestBodyTooLarge") }
        let offset = blob.bytes.count
        if let text = request.header("x-ms-blob-condition-appendpos") {
            guard let position = Int(text.trimmingCharacters(in: .whitespaces)), position >= 0 else {
                return context.badHeader("x-ms-blob-condition-appendpos", text)
            }
            if position != offset { return context.fail(412, "AppendPositionConditionNotMet") }
        }
        if let text = request.header("x-ms-blob-condition-maxsize") {
            guard let limit = Int(text.trimmingCharacters(in: .whitespaces)), limit >= 0 else {
                return context.badHeader("x-ms-blob-condition-maxsize", text)
            }
            if offset + request.body.count > limit { return context.fail(412, "MaxBlobSizeConditionNotMet") }
        }
        guard blob.committedBlocks < Self.appendBlockCountLimit else { return context.fail(409, "BlockCountExceedsLimit") }
        blob.bytes.append(request.body)
        blob.committedBlocks += 1
        blob.etag = blobETags.next(now: context.now)
        blob.lastModified = context.now
        blob.lease.noteWrite(now: context.now)
        store(blob, context, container, name)
        return SimulatedResponse(
            status: 201,
            headers: [
                "ETag": blob.etag, "Last-Modified": BlobDates.rfc1123(blob.lastModified), "x-ms-blob-append-offset": String(offset),
                "x-ms-blob-committed-block-count": String(blob.committedBlocks), "x-ms-request-server-encrypted": "true",
            ])
    }
}
