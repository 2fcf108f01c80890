import Foundation

/// A release bump of a chart: Chart.yaml `version` increased and `appVersion` set to the image tag,
/// and values.yaml's image tag set to it too, computed as edits of the files' text.
///
/// Only the written form of those scalars changes: comments, key order, quoting of everything else,
/// blank lines and line endings stay byte for byte. A new value keeps the old one's quoting, and a
/// plain value that YAML would read as something else (`1.10`, a number) gets double quotes.
public struct HelmBump: Sendable, Equatable {
    /// How the chart version changes.
    public enum VersionChange: Sendable, Equatable {
        /// Increase a part (`patch`: 0.1.4 → 0.1.5).
        case bump(SemanticVersion.Part)
        /// Set this version, which must be greater than the current one.
        case exact(SemanticVersion)
    }

    /// One value that changes, for the summary (`Chart.yaml: version 0.1.4 → 0.1.5`).
    public struct Change: Sendable, Equatable, CustomStringConvertible {
        /// The file's name in the chart (`Chart.yaml`, `values.yaml`).
        public var file: String
        /// The dotted path of the value (`version`, `image.tag`).
        public var field: String
        /// The old value; nil when the key was absent and is added.
        public var old: String?
        public var new: String
        /// Where the value is (its old location, or where it is added).
        public var location: SourceLocation

        public var description: String {
            if let old { return "\(file): \(field) \(old.isEmpty ? "\"\"" : old) → \(new)" }
            return "\(file): \(field) added: \(new)"
        }
    }

    /// One file's text before and after.
    public struct FileEdit: Sendable, Equatable {
        public var path: String
        public var original: String
        public var updated: String
    }

    public var chartDirectory: String
    public var changes: [Change]
    public var edits: [FileEdit]
    /// Warnings of the chart's validation (errors stop the bump before it is planned).
    public var warnings: [Diagnostic]

    /// Plans the bump of the chart in `chartDirectory`, reading files but writing nothing.
    ///
    /// Throws `HelmBumpError` with `.invalidChart` (and every diagnostic) when the chart does not
    /// validate, `.usage` for a bad tag or version, `.notFound` when no image tag can be found.
    public static func plan(chartDirectory: String, imageTag: String, version: VersionChange = .bump(.patch)) throws(HelmBumpError)
        -> HelmBump
    {
        guard imageTag.wholeMatch(of: /[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}/) != nil else {
            throw HelmBumpError(.usage, "`\(imageTag)` is not a valid image tag: up to 128 letters, digits, `_`, `.` and `-`, "
                + "not starting with `.` or `-` (as in `v0.2.36`)")
        }
        let directory = ManifestFile.normalize(chartDirectory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HelmBumpError(.io, "\(chartDirectory) is not a directory")
        }
        guard FileManager.default.fileExists(atPath: HelmChart.path("Chart.yaml", in: directory)) else {
            throw HelmBumpError(.io, "\(chartDirectory) is not a chart: it has no Chart.yaml")
        }
        let chart = HelmChart(directory: directory)
        let diagnostics = Diagnostic.ordered(HelmValidator.validate(chart))
        guard !diagnostics.containsErrors else {
            throw HelmBumpError(.invalidChart, "the chart has errors; nothing was changed", diagnostics: diagnostics)
        }
        guard let chartfile = chart.chartfile, let chartRoot = chartfile.root, let versionNode = chartRoot["version"],
            let currentText = versionNode.scalar?.text, let current = SemanticVersion(lenient: currentText)
        else {
            throw HelmBumpError(.invalidChart, "Chart.yaml has no readable `version`", diagnostics: diagnostics)
        }
        let next: SemanticVersion
        switch version {
        case .bump(let part):
            next = current.bumped(part)
        case .exact(let exact):
            guard current < exact else {
                throw HelmBumpError(.usage, "version \(exact) is not greater than the chart's current version \(currentText)")
            }
            next = exact
        }
        // Keep a `v` prefix the chart's version was written with.
        let nextText = (currentText.hasPrefix("v") ? "v" : "") + next.description

        var changes: [Change] = []
        var chartEditor = TextEditor(file: chartfile)
        try chartEditor.set(versionNode, to: nextText, field: "version", file: "Chart.yaml", changes: &changes)
        if let appVersion = chartRoot.pairs?.last(where: { $0.key == "appVersion" }) {
            try chartEditor.set(appVersion, to: imageTag, field: "appVersion", file: "Chart.yaml", changes: &changes)
        } else {
            try chartEditor.insert(key: "appVersion", value: imageTag, after: chartRoot.pairs!.last { $0.key == "version" }!,
                file: "Chart.yaml", changes: &changes)
        }

        guard let values = chart.values, let valuesRoot = values.root else {
            throw HelmBumpError(.notFound, "the chart has no values.yaml (or it is empty), so there is no image tag to set; "
                + "looked for `image.tag` in \(HelmChart.path("values.yaml", in: directory))")
        }
        let tag = try imageTagPair(in: valuesRoot, file: values.path)
        var valuesEditor = TextEditor(file: values)
        try valuesEditor.set(tag.pair, to: imageTag, field: tag.path, file: "values.yaml", changes: &changes)

        let edits = [chartEditor, valuesEditor].compactMap(\.edit)
        let bump = HelmBump(chartDirectory: directory, changes: changes, edits: edits, warnings: diagnostics)
        try bump.verify(version: nextText, imageTag: imageTag, tagPath: tag.path)
        return bump
    }

    /// The `tag` under an `image:` mapping: the top-level `image.tag`, else the only (shallowest) one.
    static func imageTagPair(in root: YAMLNode, file: String) throws(HelmBumpError) -> (pair: YAMLPair, path: String) {
        if let image = root["image"], let pair = image.pairs?.last(where: { $0.key == "tag" }) {
            return (pair, "image.tag")
        }
        var found: [(pair: YAMLPair, path: String, depth: Int)] = []
        func walk(_ node: YAMLNode, path: String, depth: Int) {
            for pair in node.pairs ?? [] {
                let here = path.isEmpty ? pair.key : path + "." + pair.key
                if pair.key == "image", let tag = pair.value.pairs?.last(where: { $0.key == "tag" }) {
                    found.append((tag, here + ".tag", depth))
                }
                walk(pair.value, path: here, depth: depth + 1)
            }
        }
        walk(root, path: "", depth: 0)
        let shallowest = found.map(\.depth).min()
        let candidates = found.filter { $0.depth == shallowest }
        if candidates.count == 1 { return (candidates[0].pair, candidates[0].path) }
        if candidates.isEmpty {
            var message = "no image tag in \(file): looked for `tag:` under a top-level `image:` mapping"
            if let image = root.pairs?.last(where: { $0.key == "image" }) {
                message += " (`image` at line \(image.keyLocation.line) has no `tag`)"
            }
            message += " and under any other `image:` mapping, and found none; add `image: {repository: …, tag: …}` to values.yaml"
            throw HelmBumpError(.notFound, message)
        }
        throw HelmBumpError(.notFound, "values.yaml has no top-level `image.tag` and several nested ones ("
            + candidates.map { "`\($0.path)` at line \($0.pair.keyLocation.line)" }.joined(separator: ", ")
            + "); which one the release sets is ambiguous, so give the chart a top-level `image.tag`")
    }

    /// Reads the edited texts back, to be sure they say what the bump means and nothing else broke.
    private func verify(version: String, imageTag: String, tagPath: String) throws(HelmBumpError) {
        for edit in edits {
            let (root, problems) = YAMLParser.parse(edit.updated, file: edit.path)
            guard let root, !problems.containsErrors else {
                throw HelmBumpError(.io, "editing \(edit.path) would break its YAML; nothing was changed")
            }
            if edit.path.hasSuffix("Chart.yaml") {
                guard root["version"]?.scalar?.text == version, root["appVersion"]?.scalar?.text == imageTag else {
                    throw HelmBumpError(.io, "editing \(edit.path) did not read back as intended; nothing was changed")
                }
            } else {
                var node: YAMLNode? = root
                for key in tagPath.split(separator: ".") { node = node?[String(key)] }
                guard node?.scalar?.text == imageTag else {
                    throw HelmBumpError(.io, "editing \(edit.path) did not read back as intended; nothing was changed")
                }
            }
        }
    }

    /// Writes every edited file atomically: each new text goes to a temporary file next to the
    /// original (same permissions), and only when all are written are they renamed over the originals.
    public func write() throws(HelmBumpError) {
        var staged: [(temporary: String, path: String)] = []
        func cleanUp() { for file in staged { try? FileManager.default.removeItem(atPath: file.temporary) } }
        for edit in edits {
            let directory = (edit.path as NSString).deletingLastPathComponent
            let name = (edit.path as NSString).lastPathComponent
            let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).deployer-\(UUID().uuidString)"
            let permissions = (try? FileManager.default.attributesOfItem(atPath: edit.path))?[.posixPermissions]
            guard FileManager.default.createFile(
                atPath: temporary, contents: Data(edit.updated.utf8),
                attributes: permissions.map { [.posixPermissions: $0] })
            else {
                cleanUp()
                throw HelmBumpError(.io, "cannot write next to \(edit.path) (\(temporary)); nothing was changed")
            }
            staged.append((temporary, edit.path))
        }
        for (index, file) in staged.enumerated() where rename(file.temporary, file.path) != 0 {
            let reason = String(cString: strerror(errno))
            for later in staged[index...] { try? FileManager.default.removeItem(atPath: later.temporary) }
            let done = staged[..<index].map(\.path)
            throw HelmBumpError(.io, "cannot replace \(file.path): \(reason)"
                + (done.isEmpty ? "; nothing was changed" : "; already written: \(done.joined(separator: ", "))"))
        }
    }

    /// A unified diff of the edits (`--- a/Chart.yaml` / `+++ b/Chart.yaml` / `@@ … @@` hunks).
    public func diff() -> String {
        edits.map { edit in
            let name = edit.path.hasPrefix(chartDirectory + "/") && chartDirectory != "."
                ? String(edit.path.dropFirst(chartDirectory.count + 1)) : edit.path
            return LineDiff.unified(edit.original, edit.updated, oldName: "a/" + name, newName: "b/" + name)
        }.joined()
    }
}

/// Why a bump could not be planned or written.
public struct HelmBumpError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The chart does not validate; `diagnostics` says why.
        case invalidChart
        /// The chart has no image tag to set.
        case notFound
        /// A bad argument (image tag, version).
        case usage
        /// A file could not be read or written.
        case io
    }

    public var reason: Reason
    public var message: String
    /// The chart's diagnostics, for `.invalidChart`.
    public var diagnostics: [Diagnostic]

    init(_ reason: Reason, _ message: String, diagnostics: [Diagnostic] = []) {
        self.reason = reason
        self.message = message
        self.diagnostics = diagnostics
    }

    public var description: String { message }
}

/// Edits to one file's text, applied to its Unicode scalars so that offsets match the parser's columns.
private struct TextEditor {
    let file: HelmChart.File
    private var replacements: [(range: Range<Int>, text: String)] = []
    private let scalars: [Unicode.Scalar]

    init(file: HelmChart.File) {
        self.file = file
        scalars = Array(file.text.unicodeScalars)
    }

    /// The file's new text, when anything changes.
    var edit: HelmBump.FileEdit? {
        var updated = scalars
        for replacement in replacements.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            updated.replaceSubrange(replacement.range, with: replacement.text.unicodeScalars)
        }
        let text = String(String.UnicodeScalarView(updated))
        return text == file.text ? nil : HelmBump.FileEdit(path: file.path, original: file.text, updated: text)
    }

    mutating func set(_ pair: YAMLPair, to value: String, field: String, file name: String, changes: inout [HelmBump.Change]) throws(HelmBumpError) {
        try set(pair.value, keyLocation: pair.keyLocation, to: value, field: field, file: name, changes: &changes)
    }

    mutating func set(_ node: YAMLNode, to value: String, field: String, file name: String, changes: inout [HelmBump.Change]) throws(HelmBumpError) {
        try set(node, keyLocation: nil, to: value, field: field, file: name, changes: &changes)
    }

    private mutating func set(
        _ node: YAMLNode, keyLocation: SourceLocation?, to value: String, field: String, file name: String,
        changes: inout [HelmBump.Change]
    ) throws(HelmBumpError) {
        guard let scalar = node.scalar else {
            throw HelmBumpError(.notFound, "\(node.location): `\(field)` is \(node.kindDescription), not a value that can be set")
        }
        if scalar.text == value, !node.isNull { return }
        if node.isNull, scalar.text.isEmpty, let keyLocation {
            // `key:` with nothing after it: write the value after the colon.
            guard let keyStart = ScalarText.offset(of: keyLocation, in: scalars),
                let (keyEnd, _) = ScalarText.extent(from: keyStart, in: scalars)
            else { throw cannotEdit(node, field: field) }
            var colon = keyEnd
            while colon < scalars.count, scalars[colon] == " " { colon += 1 }
            guard colon < scalars.count, scalars[colon] == ":" else { throw cannotEdit(node, field: field) }
            replacements.append((colon + 1..<colon + 1, " " + ScalarText.render(value, style: .plain)))
            changes.append(HelmBump.Change(file: name, field: field, old: "", new: value, location: node.location))
            return
        }
        guard let written = ScalarText.locate(node, in: scalars) else { throw cannotEdit(node, field: field) }
        let style: ScalarText.Style = node.isNull ? .plain : written.style
        replacements.append((written.range, ScalarText.render(value, style: style)))
        changes.append(HelmBump.Change(file: name, field: field, old: node.isNull ? "" : scalar.text, new: value, location: node.location))
    }

    /// Adds `key: value` on a new line after `pair` (a one-line top-level entry), at its indentation.
    mutating func insert(key: String, value: String, after pair: YAMLPair, file name: String, changes: inout [HelmBump.Change]) throws(HelmBumpError) {
        guard let start = ScalarText.offset(of: pair.value.location, in: scalars) else { throw cannotEdit(pair.value, field: key) }
        var lineEnd = start
        while lineEnd < scalars.count, scalars[lineEnd] != "\n" { lineEnd += 1 }
        let newline = lineEnd > start && scalars[lineEnd - 1] == "\r" ? "\r\n" : "\n"
        let indent = String(repeating: " ", count: pair.keyLocation.column - 1)
        let line = indent + key + ": " + ScalarText.render(value, style: .plain)
        if lineEnd < scalars.count {
            replacements.append((lineEnd + 1..<lineEnd + 1, line + newline))
        } else {
            replacements.append((lineEnd..<lineEnd, newline + line + newline))
        }
        changes.append(HelmBump.Change(file: name, field: key, old: nil, new: value,
            location: SourceLocation(file: file.path, line: pair.keyLocation.line + 1, column: pair.keyLocation.column)))
    }

    private func cannotEdit(_ node: YAMLNode, field: String) -> HelmBumpError {
        HelmBumpError(.notFound, "\(node.location): `\(field)` is not written as a one-line value (a block or multi-line "
            + "scalar), so it cannot be changed in place; write it on one line")
    }
}
