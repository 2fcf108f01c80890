import Foundation
import Providers
import Synchronization

/// Every ARM request of a command, one line each with its request ids, appended to the environment's
/// state directory (`arm-requests.log`): what to quote to Azure support. Holds no token or secret.
final class ARMRequestLog: Sendable {
    private let handle: Mutex<FileHandle?>

    init(path: String) {
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let file = FileHandle(forWritingAtPath: path)
        _ = try? file?.seekToEnd()
        handle = Mutex(file)
    }

    @Sendable func append(_ entry: ARMTraceEntry) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let line = Data("\(stamp) \(entry.line)\n".utf8)
        handle.withLock { try? $0?.write(contentsOf: line) }
    }
}
