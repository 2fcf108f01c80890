import Foundation

/// Checks manifest files and directories, as `deployer validate` does.
public enum ManifestValidator {
    /// Every diagnostic for `paths`, sorted and each reported once.
    ///
    /// A path is a file or a directory searched recursively for `*.yml` / `*.yaml` (hidden directories
    /// are skipped). A file whose top-level mapping has `targets` is an environment file (its inventory
    /// is checked with it); one whose top-level values are all groups is an inventory; anything else
    /// is not ours and is skipped.
    public static func validate(paths: [String]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(.error("no such file or directory: \(path)", at: nil, rule: "file-not-found"))
                continue
            }
            let files = isDirectory.boolValue ? yamlFiles(under: path) : [path]
            for file in files {
                diagnostics += validate(file: ManifestFile.normalize(file))
            }
        }
        return Diagnostic.ordered(diagnostics)
    }

    static func validate(file: String) -> [Diagnostic] {
        let text: String
        switch ManifestFile.read(file) {
        case .failure(let error): return error.diagnostics
        case .success(let contents): text = contents
        }
        let (root, yamlDiagnostics) = YAMLParser.parse(text, file: file)
        guard let root else { return yamlDiagnostics }
        if root["targets"] != nil {
            return EnvironmentLoader.check(text: text, path: file).1
        }
        if InventoryLoader.looksLikeInventory(root) {
            return InventoryLoader.parse(text, file: file).1
        }
        return []
    }

    /// `*.yml` and `*.yaml` files below `directory`, hidden directories skipped, sorted.
    static func yamlFiles(under directory: String) -> [String] {
        let url = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(
                at: url, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
        else { return [] }
        var result: [String] = []
        let base = url.standardizedFileURL.path
        for case let file as URL in enumerator where ["yml", "yaml"].contains(file.pathExtension) {
            let full = file.standardizedFileURL.path
            // Keep paths as the user wrote the directory, so diagnostics read `inventories/hosts.yml`.
            let relative = full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : full
            result.append(full.hasPrefix(base + "/") ? directory + "/" + relative : full)
        }
        return result.sorted()
    }
}
