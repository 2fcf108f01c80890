import Foundation

/// Reading manifest files from disk, with failures as diagnostics.
enum ManifestFile {
    /// The text of `path`, or a `file-not-found` / `unreadable-file` diagnostic.
    static func read(_ path: String, referencedAt reference: SourceLocation? = nil) -> Result<String, ManifestError> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(ManifestError(diagnostics: [.error("no such file: \(path)", at: reference ?? location(path), rule: "file-not-found")]))
        }
        guard !isDirectory.boolValue else {
            return .failure(ManifestError(diagnostics: [.error("\(path) is a directory, not a file", at: reference ?? location(path), rule: "unreadable-file")]))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ManifestError(diagnostics: [.error("cannot read \(path)", at: reference ?? location(path), rule: "unreadable-file")]))
        }
        // Checked on the bytes: decoding drops a byte order mark on some platforms.
        if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            return .failure(ManifestError(diagnostics: [.error("the file starts with a byte order mark; save it as UTF-8 without BOM", at: location(path), rule: "encoding")]))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return .failure(ManifestError(diagnostics: [.error("\(path) is not UTF-8 text", at: location(path), rule: "encoding")]))
        }
        return .success(text)
    }

    private static func location(_ path: String) -> SourceLocation {
        SourceLocation(file: path, line: 1, column: 1)
    }

    /// `relative` resolved against the directory of `file` (absolute paths are kept), normalized.
    static func resolve(_ relative: String, nextTo file: String) -> String {
        if relative.hasPrefix("/") { return normalize(relative) }
        let directory = (file as NSString).deletingLastPathComponent
        return normalize(directory.isEmpty ? relative : directory + "/" + relative)
    }

    /// Removes `.` segments, empty segments and `dir/..` pairs, keeping the path relative or absolute.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute, parts.isEmpty { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}
