import Foundation
import JSONDocument

/// The `EnumerationResults` documents of List Blobs and List Containers, paged by `maxresults`
/// with an opaque `NextMarker`.
enum BlobListing {
    typealias Context = ARMSimulator.BlobContext

    /// The page size when `maxresults` is absent, and its upper bound.
    static let defaultPage = 5000

    /// List Blobs: names in byte order, those under `prefix`; with a delimiter, names that go on
    /// past it are rolled up into one BlobPrefix each. A prefix counts as one result.
    static func blobs(_ context: Context, container: String, blobs: [String: StorageAccountRecord.Blob]) -> SimulatedResponse {
        let request = context.request
        let prefix = request.queryValue("prefix") ?? ""
        let delimiter = request.queryValue("delimiter") ?? ""
        let include = Set((request.queryValue("include") ?? "").lowercased().split(separator: ",").map(String.init))
        let page: Int
        switch pageSize(context) {
        case .failure(let refusal): return refusal.response
        case .success(let size): page = size
        }
        let after: String?
        switch marker(context) {
        case .failure(let refusal): return refusal.response
        case .success(let name): after = name
        }
        var entries: [(key: String, blob: String?)] = []
        var next: String?
        for name in blobs.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) where name.hasPrefix(prefix) {
            var key = name
            var blobName: String? = name
            if !delimiter.isEmpty, let range = name.dropFirst(prefix.count).range(of: delimiter) {
                key = String(name[..<range.upperBound])
                blobName = nil
            }
            // Everything up to the marker (the last key of the previous page) was shown already.
            if let after, !Array(after.utf8).lexicographicallyPrecedes(Array(key.utf8)) { continue }
            if entries.last?.key == key { continue }
            if entries.count == page {
                next = entries.last?.key
                break
            }
            entries.append((key, blobName))
        }
        let now = context.now
        var xml = #"<?xml version="1.0" encoding="utf-8"?>"#
        xml += #"<EnumerationResults ServiceEndpoint="\#(BlobXML.escape(endpoint(context), attribute: true))" ContainerName="\#(BlobXML.escape(container, attribute: true))">"#
        xml += optionalElements(context, ["prefix": "Prefix", "marker": "Marker", "maxresults": "MaxResults", "delimiter": "Delimiter"])
        xml += "<Blobs>"
        for entry in entries {
            guard let name = entry.blob, let blob = blobs[name] else {
                xml += "<BlobPrefix><Name>\(BlobXML.escape(entry.key))</Name></BlobPrefix>"
                continue
            }
            xml += "<Blob><Name>\(BlobXML.escape(name))</Name><Properties>"
            xml += "<Creation-Time>\(BlobDates.rfc1123(blob.created))</Creation-Time>"
            xml += "<Last-Modified>\(BlobDates.rfc1123(blob.lastModified))</Last-Modified>"
            xml += "<Etag>\(BlobXML.escape(blob.etag))</Etag>"
            xml += "<Content-Length>\(blob.bytes.count)</Content-Length>"
            xml += "<Content-Type>\(BlobXML.escape(blob.contentType))</Content-Type>"
            xml += "<Content-Encoding /><Content-Language /><Content-CRC64 /><Content-MD5 /><Cache-Control /><Content-Disposition />"
            xml += "<BlobType>\(blob.kind.rawValue)</BlobType>"
            if blob.kind == .block { xml += "<AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>" }
            xml += "<LeaseStatus>\(blob.lease.isLocked(at: now) ? "locked" : "unlocked")</LeaseStatus>"
            xml += "<LeaseState>\(blob.lease.state(at: now).rawValue)</LeaseState>"
            if let duration = blob.lease.durationName(at: now) { xml += "<LeaseDuration>\(duration)</LeaseDuration>" }
            xml += "<ServerEncrypted>true</ServerEncrypted></Properties>"
            if include.contains("metadata") {
                xml += "<Metadata>"
                for item in blob.metadata { xml += "<\(item.name)>\(BlobXML.escape(item.value))</\(item.name)>" }
                xml += "</Metadata>"
            }
            xml += "</Blob>"
        }
        xml += "</Blobs>"
        xml += next.map { "<NextMarker>\(encodeMarker($0))</NextMarker>" } ?? "<NextMarker />"
        xml += "</EnumerationResults>"
        return SimulatedResponse(status: 200, headers: ["Content-Type": "application/xml"], body: Data(xml.utf8))
    }

    /// List Containers of an account, with the same paging.
    static func containers(_ context: Context, account: StorageAccountRecord) -> SimulatedResponse {
        let prefix = context.request.queryValue("prefix") ?? ""
        let page: Int
        switch pageSize(context) {
        case .failure(let refusal): return refusal.response
        case .success(let size): page = size
        }
        let after: String?
        switch marker(context) {
        case .failure(let refusal): return refusal.response
        case .success(let name): after = name
        }
        let names = account.containers.keys.sorted().filter { name in name.hasPrefix(prefix) && (after.map { name > $0 } ?? true) }
        let shown = Array(names.prefix(page))
        var xml = #"<?xml version="1.0" encoding="utf-8"?>"#
        xml += #"<EnumerationResults ServiceEndpoint="\#(BlobXML.escape(endpoint(context), attribute: true))">"#
        xml += optionalElements(context, ["prefix": "Prefix", "marker": "Marker", "maxresults": "MaxResults"])
        xml += "<Containers>"
        for name in shown {
            guard let container = account.containers[name] else { continue }
            xml += "<Container><Name>\(BlobXML.escape(name))</Name><Properties>"
            xml += "<Last-Modified>\(BlobDates.rfc1123(container.lastModified))</Last-Modified><Etag>\(BlobXML.escape(container.etag))</Etag>"
            xml += "<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
            xml += "<DefaultEncryptionScope>$account-encryption-key</DefaultEncryptionScope><DenyEncryptionScopeOverride>false</DenyEncryptionScopeOverride>"
            xml += "<HasImmutabilityPolicy>false</HasImmutabilityPolicy><HasLegalHold>false</HasLegalHold></Properties></Container>"
        }
        xml += "</Containers>"
        xml += names.count > shown.count ? "<NextMarker>\(encodeMarker(shown.last ?? ""))</NextMarker>" : "<NextMarker />"
        xml += "</EnumerationResults>"
        return SimulatedResponse(status: 200, headers: ["Content-Type": "application/xml"], body: Data(xml.utf8))
    }

    private static func endpoint(_ context: Context) -> String {
        "\(context.request.baseURL)/\(context.account)/"
    }

    /// Echoes the query parameters the request gave, as Azure does.
    private static func optionalElements(_ context: Context, _ names: KeyValuePairs<String, String>) -> String {
        var xml = ""
        for (parameter, element) in names {
            guard let value = context.request.queryValue(parameter) else { continue }
            xml += "<\(element)>\(BlobXML.escape(value))</\(element)>"
        }
        return xml
    }

    private static func pageSize(_ context: Context) -> Result<Int, Refusal> {
        guard let text = context.request.queryValue("maxresults") else { return .success(defaultPage) }
        guard let value = Int(text), value >= 1 else {
            return .failure(
                Refusal(
                    response: context.fail(
                        400, "OutOfRangeQueryParameterValue",
                        [("QueryParameterName", "maxresults"), ("QueryParameterValue", text), ("MinimumAllowed", "1"), ("MaximumAllowed", "5000")])))
        }
        return .success(min(value, defaultPage))
    }

    /// The name a `marker` parameter stands for (nil when there is none).
    private static func marker(_ context: Context) -> Result<String?, Refusal> {
        guard let text = context.request.queryValue("marker"), !text.isEmpty else { return .success(nil) }
        guard let name = decodeMarker(text) else { return .failure(Refusal(response: context.badQuery("marker", text))) }
        return .success(name)
    }

    struct Refusal: Error {
        var response: SimulatedResponse
    }

    /// Markers are opaque to clients: the last name shown, base64url under a version tag.
    static func encodeMarker(_ name: String) -> String {
        "2!" + SimulatorToken.base64URL(Data(name.utf8))
    }

    static func decodeMarker(_ marker: String) -> String? {
        guard marker.hasPrefix("2!") else { return nil }
        var text = marker.dropFirst(2).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) }
    }
}
