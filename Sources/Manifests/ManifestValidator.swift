import Foundation

/// Checks manifest files and directories, as `deployer validate` does.
public enum ManifestValidator {
    /// Every diagnostic for `paths`, sorted and each reported once.
    ///
    /// A path is a file or a directory searched recursively for `*.yml` / `*.yaml` (hidden directories
    /// are skipped). Each file is told apart by name and content:
    /// - `Chart.yaml` (or any file of a directory holding one) → the Helm chart of that directory;
    /// - a top-level `targets` → a deployer environment file (its inventory is checked with it);
    /// - `_format_version`, or `services` as a list → a Kong declarative config;
    /// - `services` as a mapping, or a compose file name → compose (files of one directory tree are
    ///   grouped into a project and its overlays);
    /// - a mapping of groups → an Ansible inventory;
    /// - anything else gets the YAML checks only (and a warning when it was named explicitly).
    public static func validate(paths: [String], options: ValidationOptions = ValidationOptions()) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var charts: [String] = []
        var compose: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(.error("no such file or directory: \(path)", at: nil, rule: "file-not-found"))
                continue
            }
            if isDirectory.boolValue {
                let directory = ManifestFile.normalize(path)
                if isChartDirectory(directory) {
                    charts.append(directory)
                    continue
                }
                for file in yamlFiles(under: directory) {
                    if let chart = chartDirectory(containing: file, below: directory) {
                        if !charts.contains(chart) { charts.append(chart) }
                        continue
                    }
                    diagnostics += classify(file, explicit: false, compose: &compose)
                }
            } else {
                let file = ManifestFile.normalize(path)
                let parent = (file as NSString).deletingLastPathComponent
                if isChartDirectory(parent.isEmpty ? "." : parent) {
                    let chart = parent.isEmpty ? "." : parent
                    if !charts.contains(chart) { charts.append(chart) }
                    continue
                }
                diagnostics += classify(file, explicit: true, compose: &compose)
            }
        }
        for chart in charts {
            diagnostics += HelmValidator.validate(chartDirectory: chart)
        }
        if !compose.isEmpty {
            diagnostics += ComposeValidator.validate(discovered: compose, options: options)
        }
        return Diagnostic.ordered(diagnostics)
    }

    /// One compose project from `-f` files, in order, merged as `docker compose -f … -f …` merges them.
    public static func validateCompose(files: [String], options: ValidationOptions = ValidationOptions()) -> [Diagnostic] {
        Diagnostic.ordered(ComposeValidator.validate(files: files.map(ManifestFile.normalize), options: options))
    }

    /// Checks one file, or notes it as compose (compose files are validated together, as projects).
    private static func classify(_ file: String, explicit: Bool, compose: inout [String]) -> [Diagnostic] {
        let text: String
        switch ManifestFile.read(file) {
        case .failure(let error): return error.diagnostics
        case .success(let contents): text = contents
        }
        let (root, yamlDiagnostics) = YAMLParser.parse(text, file: file)
        let composeName = ComposeValidator.isComposeFileName(file)
        guard let root else {
            if composeName {
                compose.append(file)
                return []
            }
            if yamlDiagnostics.isEmpty && explicit {
                return [.error("the file is empty", at: SourceLocation(file: file, line: 1, column: 1), rule: "empty-file")]
            }
            return yamlDiagnostics
        }
        // Content first: `production-compose.yml` may well be a deployer environment file.
        if KongValidator.looksLikeKong(root) {
            return KongValidator.validate(file: file, text: text)
        }
        if root["targets"]?.pairs != nil {
            return EnvironmentLoader.check(text: text, path: file).1
        }
        if root["services"]?.pairs != nil || composeName {
            compose.append(file)
            return []
        }
        if InventoryLoader.looksLikeInventory(root) || looksLikeMistypedInventory(root, file: file) {
            return InventoryLoader.parse(text, file: file).1
        }
        guard explicit else { return yamlDiagnostics }
        return yamlDiagnostics + [
            .warning(
                "not a manifest deployer knows (compose file, Helm chart, Kong config, Ansible inventory or "
                    + "environment file); only its YAML was checked", at: SourceLocation(file: file, line: 1, column: 1),
                rule: "unknown-kind")
        ]
    }

    /// An inventory with mistakes in it is still an inventory: a mapping of groups (null or mappings),
    /// at least one of which uses `hosts`, `children` or `vars`, or a file named like one (`hosts.yml`,
    /// `inventory*.yml`) whose values are all groups in shape. Its mistakes are then reported.
    static func looksLikeMistypedInventory(_ root: YAMLNode, file: String) -> Bool {
        guard let pairs = root.pairs, !pairs.isEmpty,
            pairs.allSatisfy({ $0.value.isNull || $0.value.pairs != nil })
        else { return false }
        let usesGroupKeys = pairs.contains { pair in
            pair.value.pairs?.contains { InventoryLoader.groupKeys.contains($0.key) } ?? false
        }
        let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension.lowercased()
        return usesGroupKeys || name == "hosts" || name.hasPrefix("inventory")
    }

    /// Whether `directory` holds a `Chart.yaml`.
    static func isChartDirectory(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/Chart.yaml")
    }

    /// The chart directory `file` belongs to (the nearest ancestor below `root`, or `root` itself,
    /// holding a Chart.yaml), if any.
    static func chartDirectory(containing file: String, below root: String) -> String? {
        var directory = (file as NSString).deletingLastPathComponent
        while !directory.isEmpty, directory.count >= root.count {
            if isChartDirectory(directory) { return directory }
            if directory == root { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
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
            let path = full.hasPrefix(base + "/") ? (directory == "." ? relative : directory + "/" + relative) : full
            result.append(path)
        }
        return result.sorted()
    }
}
