import Foundation

extension DiagnosticRenderer {
    /// Azure Pipelines logging commands: `##vso[task.logissue type=error;sourcepath=F;linenumber=L;
    /// columnnumber=C;code=RULE;]message`, one per diagnostic, escaped as the agent unescapes them.
    public static func azurePipelines(_ diagnostics: [Diagnostic]) -> String {
        Diagnostic.ordered(diagnostics).map { diagnostic in
            var properties = ["type=\(diagnostic.severity.rawValue)"]
            if let location = diagnostic.location {
                properties.append("sourcepath=\(azureProperty(location.file))")
                properties.append("linenumber=\(location.line)")
                properties.append("columnnumber=\(location.column)")
            }
            if let rule = diagnostic.rule { properties.append("code=\(azureProperty(rule))") }
            return "##vso[task.logissue \(properties.joined(separator: ";"));]\(azureData(diagnostic.message))"
        }.joined(separator: "\n")
    }

    /// What the agent reads back as the message: `%`, CR and LF escaped.
    public static func azureData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%AZP25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// A property value: as data, and `;` and `]`, which would end it.
    public static func azureProperty(_ text: String) -> String {
        azureData(text).replacingOccurrences(of: ";", with: "%3B").replacingOccurrences(of: "]", with: "%5D")
    }

    /// SARIF 2.1.0 (for code scanning): one run of the tool `deployer`, every rule of the catalog in its
    /// driver, one result per diagnostic with its place (paths relative to the working directory,
    /// under `%SRCROOT%`; lines and columns from 1, columns in Unicode code points).
    public static func sarif(_ diagnostics: [Diagnostic], toolVersion: String, workingDirectory: String) -> String {
        let rules = RuleCatalog.all
        let index = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($0.element.id, $0.offset) })
        let base = workingDirectory.hasSuffix("/") ? workingDirectory : workingDirectory + "/"
        let results: [[String: Any]] = Diagnostic.ordered(diagnostics).map { diagnostic in
            var result: [String: Any] = [
                "level": diagnostic.severity == .error ? "error" : "warning",
                "message": ["text": diagnostic.message],
            ]
            if let rule = diagnostic.rule {
                result["ruleId"] = rule
                if let position = index[rule] { result["ruleIndex"] = position }
            }
            if let location = diagnostic.location {
                let relative = location.file.hasPrefix(base) ? String(location.file.dropFirst(base.count)) : location.file
                var artifact: [String: Any] = ["uri": uri(relative)]
                if !relative.hasPrefix("/") { artifact["uriBaseId"] = "%SRCROOT%" }
                result["locations"] = [
                    ["physicalLocation": ["artifactLocation": artifact, "region": ["startLine": location.line, "startColumn": location.column]]]
                ]
            }
            return result
        }
        let driver: [String: Any] = [
            "name": "deployer", "version": toolVersion,
            "rules": rules.map { rule -> [String: Any] in
                [
                    "id": rule.id, "shortDescription": ["text": rule.summary],
                    "defaultConfiguration": ["level": rule.severity == .error ? "error" : "warning"],
                    "properties": ["kind": rule.kind.rawValue],
                ]
            },
        ]
        let log: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [
                [
                    "tool": ["driver": driver], "columnKind": "unicodeCodePoints",
                    "originalUriBaseIds": ["%SRCROOT%": ["uri": uri(base, directory: true)]], "results": results,
                ]
            ],
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: log, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A path as a URI reference (`file://` for an absolute one), each segment percent-encoded.
    private static func uri(_ path: String, directory: Bool = false) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~/"))
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        if path.hasPrefix("/") { return "file://" + encoded + (directory && !encoded.hasSuffix("/") ? "/" : "") }
        return encoded
    }
}
