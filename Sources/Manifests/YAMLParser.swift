import Yams
import Foundation

/// Reads YAML text into `YAMLNode`s, reporting the problems of the YAML layer itself: syntax errors,
/// tab indentation, duplicate keys (with both places) and extra documents.
///
/// Yams rejects a whole document on the first duplicate key, pointing only at the first occurrence.
/// To see every duplicate, the parser renames the reported key in its working copy of the text to a
/// placeholder of the same length (so every other mark stays put), parses again, and restores the
/// original key names when it builds the tree.
enum YAMLParser {
    /// Parses a file that must hold a single document. A nil root means there is nothing usable
    /// (empty file, or a syntax error that was reported).
    static func parse(_ text: String, file: String) -> (root: YAMLNode?, diagnostics: [Diagnostic]) {
        var working = Array(text.unicodeScalars)
        var renamed: [String: YAMLScalar] = [:]
        var diagnostics: [Diagnostic] = []
        for _ in 0..<10_000 {
            do {
                let parser = try Parser(yaml: String(String.UnicodeScalarView(working)), resolver: .basic)
                guard let first = try parser.nextRoot() else { return (nil, diagnostics) }
                var converter = Converter(file: file, renamed: renamed)
                let root = converter.convert(first)
                diagnostics += converter.diagnostics
                do {
                    // Iterating by hand: a YamlSequence would swallow an error in a later document.
                    if let second = try parser.nextRoot() {
                        diagnostics.append(extraDocument(second, text: text, file: file))
                        while try parser.nextRoot() != nil {}
                    }
                } catch {
                    diagnostics += syntaxDiagnostics(error, text: text, file: file)
                }
                return (root, diagnostics)
            } catch YamlError.duplicatedKeysInMapping(_, let context) {
                guard rename(at: context.mark, in: &working, renamed: &renamed) else {
                    diagnostics.append(
                        .error(
                            "duplicate key in mapping", at: location(context.mark, file: file),
                            rule: "duplicate-key"))
                    return (nil, diagnostics)
                }
            } catch {
                diagnostics += syntaxDiagnostics(error, text: text, file: file)
                return (nil, diagnostics)
            }
        }
        return (nil, diagnostics)
    }

    static func location(_ mark: Mark?, file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func extraDocument(_ node: Node, text: String, file: String) -> Diagnostic {
        var where_ = location(node.mark, file: file)
        let lines = text.sourceLines
        var line = min(where_.line, lines.count)
        while line >= 1 {
            if lines[line - 1].hasPrefix("---") {
                where_ = SourceLocation(file: file, line: line, column: 1)
                break
            }
            line -= 1
        }
        return .error(
            "a second YAML document starts here, but this file must hold exactly one; remove the `---` "
                + "separator or move the document to its own file",
            at: where_, rule: "multiple-documents")
    }

    /// libyaml's error, with tab indentation explained instead of "cannot start any token".
    static func syntaxDiagnostics(_ error: any Error, text: String, file: String) -> [Diagnostic] {
        let tabs = tabDiagnostics(text, file: file)
        let tabLines = Set(tabs.compactMap { $0.location?.line })
        let syntax: Diagnostic
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if let context, let placed = placedAtItsStart(context: context.text, at: context.mark, problem: problem, noticed: mark, text: text, file: file) {
                syntax = placed
                break
            }
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) that starts at line \(context.mark.line), column \(context.mark.column))"
            }
            syntax = .error(message, at: location(mark, file: file), rule: "yaml-syntax")
        case .reader(let problem, _, _, _):
            syntax = .error("cannot read the file as YAML: \(problem)", at: location(nil, file: file), rule: "yaml-syntax")
        default:
            syntax = .error("invalid YAML: \(error)", at: location(nil, file: file), rule: "yaml-syntax")
        }
        if let line = syntax.location?.line, tabLines.contains(line) { return tabs }
        return tabs + [clamped(syntax, to: text)]
    }

    /// A construct libyaml only finds unfinished where it gives up — a quoted string never closed, a
    /// `[`/`{` never closed, a key never followed by `:` — is reported where it starts, which is
    /// where the fix goes, naming where libyaml noticed.
    static func placedAtItsStart(
        context: String, at start: Yams.Mark, problem: String, noticed: Yams.Mark, text: String, file: String
    ) -> Diagnostic? {
        let place = SourceLocation(file: file, line: start.line, column: start.column)
        let lines = text.sourceLines
        let atEnd = noticed.line > lines.count || problem.contains("end of stream")
        let whereNoticed = atEnd ? "the end of the file" : "line \(noticed.line), column \(noticed.column)"
        let opener = start.line <= lines.count ? Array(lines[start.line - 1].unicodeScalars).dropFirst(start.column - 1).first.map(String.init) : nil
        switch context {
        case "while scanning a quoted scalar" where problem.contains("end of stream") || problem.contains("document indicator"):
            // A bad escape inside the string is placed where libyaml found it, which is the escape.
            let quote = opener ?? "\""
            return .error(
                "invalid YAML: the string quoted with `\(quote)` here is never closed (libyaml reached \(whereNoticed) inside it); "
                    + "close it with `\(quote)` where the string ends", at: place, rule: "yaml-syntax")
        case "while parsing a flow sequence", "while parsing a flow mapping":
            let close = context.hasSuffix("sequence") ? "]" : "}"
            let open = close == "]" ? "[" : "{"
            return .error(
                "invalid YAML: the `\(open)` here is not closed where it should be (libyaml \(problem) at \(whereNoticed)); "
                    + "add `\(close)`, or a `,` between items", at: place, rule: "yaml-syntax")
        case "while scanning a simple key":
            return .error(
                "invalid YAML: this key is not followed by `:` (libyaml \(problem) at \(whereNoticed)); add `: ` after it, "
                    + "or quote the text if it is a value", at: place, rule: "yaml-syntax")
        default:
            return nil
        }
    }

    /// libyaml places an error at the end of input on a line past the last one when the file has
    /// no final newline; such a finding goes to the end of the last line instead.
    static func clamped(_ diagnostic: Diagnostic, to text: String) -> Diagnostic {
        guard let location = diagnostic.location else { return diagnostic }
        let lines = text.sourceLines
        guard location.line > lines.count, let last = lines.last else { return diagnostic }
        var copy = diagnostic
        copy.location = SourceLocation(file: location.file, line: lines.count, column: last.unicodeScalars.count + 1)
        return copy
    }

    /// Tabs in the indentation of a line: YAML allows only spaces there.
    static func tabDiagnostics(_ text: String, file: String) -> [Diagnostic] {
        var result: [Diagnostic] = []
        for (index, line) in text.sourceLines.enumerated() {
            let scalars = Array(line.unicodeScalars)
            guard let firstContent = scalars.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }),
                let tab = scalars[..<firstContent].firstIndex(of: "\t")
            else { continue }
            result.append(
                .error(
                    "tab character in indentation; YAML indentation must use spaces",
                    at: SourceLocation(file: file, line: index + 1, column: tab + 1), rule: "tabs"))
        }
        return result
    }

    /// Replaces the key written at `mark` by a unique placeholder of the same length in Unicode
    /// scalars, remembering the original. Returns false when no key could be found there.
    private static func rename(
        at mark: Mark, in scalars: inout [Unicode.Scalar], renamed: inout [String: YAMLScalar]
    ) -> Bool {
        var line = 1
        var index = 0
        while line < mark.line, index < scalars.count {
            if scalars[index] == "\n" { line += 1 }
            index += 1
        }
        let start = index + mark.column - 1
        guard line == mark.line, start < scalars.count else { return false }
        let quote = scalars[start]
        var end = start
        let original: YAMLScalar
        if quote == "\"" || quote == "'" {
            end += 1
            while end < scalars.count, scalars[end] != "\n" {
                if quote == "\"", scalars[end] == "\\" {
                    end += 2
                    continue
                }
                if scalars[end] == quote {
                    if quote == "'", end + 1 < scalars.count, scalars[end + 1] == "'" {
                        end += 2
                        continue
                    }
                    break
                }
                end += 1
            }
            guard end < scalars.count, scalars[end] == quote else { return false }
            end += 1
            var inner = String(String.UnicodeScalarView(scalars[(start + 1)..<(end - 1)]))
            inner = quote == "'"
                ? inner.replacingOccurrences(of: "''", with: "'")
                : inner.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            original = YAMLScalar(text: inner, isPlain: false, tag: nil)
        } else {
            while end < scalars.count {
                let c = scalars[end]
                if c == "\n" || c == "," || c == "}" || c == "]" { break }
                if c == ":", end + 1 == scalars.count || [" ", "\n", "\r", "\t"].contains(scalars[end + 1]) { break }
                if c == "#", end > start, scalars[end - 1] == " " { break }
                end += 1
            }
            while end > start, scalars[end - 1] == " " || scalars[end - 1] == "\t" { end -= 1 }
            guard end > start else { return false }
            original = YAMLScalar(text: String(String.UnicodeScalarView(scalars[start..<end])), isPlain: true, tag: nil)
        }
        let count = renamed.count
        guard count < 0x1000 else { return false }
        var placeholder = [Unicode.Scalar(0xE000 + UInt32(count))!]
        placeholder += Array(repeating: Unicode.Scalar(0xF000 as UInt32)!, count: end - start - 1)
        scalars.replaceSubrange(start..<end, with: placeholder)
        renamed[String(String.UnicodeScalarView(placeholder))] = original
        return true
    }
}

/// Builds `YAMLNode`s from Yams nodes, restoring renamed keys, reporting duplicates and applying `<<`
/// merge keys.
private struct Converter {
    let file: String
    let renamed: [String: YAMLScalar]
    var diagnostics: [Diagnostic] = []

    init(file: String, renamed: [String: YAMLScalar]) {
        self.file = file
        self.renamed = renamed
    }

    mutating func convert(_ node: Node) -> YAMLNode {
        let location = YAMLParser.location(node.mark, file: file)
        switch node {
        case .scalar(let scalar):
            if let original = renamed[scalar.string] {
                return YAMLNode(content: .scalar(original), location: location)
            }
            let tag = scalar.tag.rawValue
            let explicit: String? = tag.isEmpty || tag == "!" ? nil : tag
            return YAMLNode(
                content: .scalar(YAMLScalar(text: scalar.string, isPlain: scalar.style == .plain, tag: explicit)),
                location: location)
        case .sequence(let sequence):
            return YAMLNode(
                content: .sequence(sequence.map { convert($0) }), location: location, tag: Self.explicitTag(sequence.tag))
        case .alias:
            return YAMLNode(content: .scalar(YAMLScalar(text: "", isPlain: true, tag: nil)), location: location)
        case .mapping(let mapping):
            var pairs: [YAMLPair] = []
            var firstSeen: [String: SourceLocation] = [:]
            var merges: [YAMLNode] = []
            for (keyNode, valueNode) in mapping {
                let key = convert(keyNode)
                let text = key.scalar?.text ?? key.flowText
                if let first = firstSeen[text] {
                    diagnostics.append(
                        .error(
                            "duplicate key '\(text)'; it was first defined at line \(first.line), column \(first.column)",
                            at: key.location, rule: "duplicate-key"))
                } else {
                    firstSeen[text] = key.location
                }
                let value = convert(valueNode)
                if text == "<<", key.scalar?.isPlain == true {
                    merges.append(value)
                    continue
                }
                pairs.append(YAMLPair(key: text, keyLocation: key.location, value: value))
            }
            for merge in merges {
                for source in merge.items ?? [merge] {
                    guard let merged = source.pairs else {
                        diagnostics.append(
                            .error(
                                "a merge key (<<) takes a mapping or a list of mappings, not \(source.kindDescription)",
                                at: source.location, rule: "merge-key"))
                        continue
                    }
                    for pair in merged where firstSeen[pair.key] == nil {
                        firstSeen[pair.key] = pair.keyLocation
                        pairs.append(pair)
                    }
                }
            }
            return YAMLNode(content: .mapping(pairs), location: location, tag: Self.explicitTag(mapping.tag))
        }
    }

    /// A tag written in the file (`!reset`), nil for the resolved standard ones.
    private static func explicitTag(_ tag: Tag) -> String? {
        let raw = tag.rawValue
        if raw.isEmpty || raw == "!" || raw.hasPrefix("tag:yaml.org,2002:") { return nil }
        return raw
    }
}
