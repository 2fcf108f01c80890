import Foundation
import JSONDocument

/// One storage account as the simulator holds it: its key and its containers.
struct StorageAccountRecord: Sendable {
    /// One blob.
    struct Blob: Sendable {
        enum Kind: String, Sendable {
            case block = "BlockBlob"
            case append = "AppendBlob"
        }

        var kind: Kind
        var bytes: Data
        var etag: String
        var created: Date
        var lastModified: Date
        var contentType: String
        var metadata: [(name: String, value: String)]
        var lease = BlobLease()
        /// Append Block calls since the blob was created (`x-ms-blob-committed-block-count`).
        var committedBlocks = 0
    }

    /// One container and its blobs, by name.
    struct Container: Sendable {
        var etag: String
        var lastModified: Date
        var metadata: [(name: String, value: String)]
        var blobs: [String: Blob] = [:]
    }

    var spec: SimulatorScenario.StorageAccount
    /// The account key, base64 (what listKeys hands out and Shared Key signs with).
    var key: String
    var created: Date
    var containers: [String: Container] = [:]

    init(spec: SimulatorScenario.StorageAccount, etag: () -> String, now: Date) {
        self.spec = spec
        var random = SystemRandomNumberGenerator()
        key = Data((0..<64).map { _ in UInt8.random(in: .min ... .max, using: &random) }).base64EncodedString()
        created = now
        for name in spec.containers {
            containers[name] = Container(etag: etag(), lastModified: now, metadata: [])
        }
    }
}

/// Blob ETags: Azure's `"0x8DC…"` form (a FILETIME-like tick count in hex), strictly increasing,
/// so every write gets a new one even within one clock tick.
struct BlobETags: Sendable {
    private var last: UInt64 = 0

    mutating func next(now: Date) -> String {
        // 100 ns ticks since 1601-01-01, as Windows FILETIME counts.
        let ticks = UInt64(max(0, (now.timeIntervalSince1970 + 11_644_473_600) * 10_000_000))
        last = max(last + 1, ticks)
        return "\"0x" + String(last, radix: 16, uppercase: true) + "\""
    }
}
