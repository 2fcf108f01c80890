import Foundation
import JSONDocument

/// What a Blob service path names: `/{account}`, `/{account}/{container}` or
/// `/{account}/{container}/{blob}`, where the blob name may hold `/` and each segment arrives
/// percent-encoded.
struct BlobAddress: Sendable, Equatable {
    var account: String
    var container: String?
    var blob: String?
    /// A segment was not valid percent-encoding.
    var malformed = false

    /// The address of `path` when its first segment is one of `accounts`, else nil.
    init?(path: String, accounts: Set<String>) {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if segments.first == "" { segments.removeFirst() }
        guard let first = segments.first, accounts.contains(first) else { return nil }
        account = first
        func decoded(_ segment: String) -> String? { segment.removingPercentEncoding }
        if segments.count > 1, !segments[1].isEmpty {
            container = decoded(segments[1])
            if container == nil { malformed = true }
        }
        if segments.count > 2 {
            let parts = segments.dropFirst(2).map(decoded)
            if parts.contains(where: { $0 == nil }) {
                malformed = true
            } else {
                let name = parts.compactMap { $0 }.joined(separator: "/")
                blob = name.isEmpty ? nil : name
            }
        }
    }
}
