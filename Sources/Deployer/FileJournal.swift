import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A journal as a JSON-lines file: one record per line, each write fsync'd before `append` returns,
/// so a record that was reported written survives kill -9 and power loss.
public actor FileJournal: Journal {
    public nonisolated let path: String
    private var count: Int
    private let encoder: JSONEncoder
    private let onDurable: @Sendable (Int) -> Void

    /// Opens (or creates) the journal at `path`, continuing its numbering. `onDurable` is called with
    /// each record's number once it is on disk, before any other record can be written (a test seam).
    public init(path: String, onDurable: @escaping @Sendable (Int) -> Void = { _ in }) throws {
        self.path = path
        self.onDurable = onDurable
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.encoder = encoder
        let existing = try FileJournal.read(path: path)
        self.count = existing.last?.seq ?? 0
    }

    public func append(_ record: JournalRecord) async throws -> Int {
        var record = record
        record.seq = count + 1
        var line = try encoder.encode(record)
        line.append(0x0A)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DeployerError("cannot write the journal \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw DeployerError("cannot write the journal \(path): \(String(cString: strerror(errno)))")
        }
        count = record.seq
        onDurable(record.seq)
        return record.seq
    }

    public func records() async throws -> [JournalRecord] { try FileJournal.read(path: path) }

    /// Reads a journal file. A last line cut short by a crash mid-write is ignored; any other bad line
    /// is an error.
    public static func read(path: String) throws -> [JournalRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
        var records: [JournalRecord] = []
        for (index, line) in lines.enumerated() {
            do {
                records.append(try decoder.decode(JournalRecord.self, from: Data(line)))
            } catch {
                if index == lines.count - 1, data.last != 0x0A { break }
                throw DeployerError(
                    "\(path):\(index + 1): the journal line cannot be read",
                    hint: "The journal is written by deployer only; restore it from a backup or remove it.")
            }
        }
        return records
    }
}
