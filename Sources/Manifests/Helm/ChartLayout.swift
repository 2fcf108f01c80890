import Foundation

/// What `helm lint` checks of a chart's directory besides its YAML files: `templates/` (there, a
/// directory, and holding only `.yaml`, `.yml`, `.tpl` and `.txt` files; dotfiles are ignored, as
/// Helm ignores them), and `charts/` against the dependencies the chart declares (each declared one
/// vendored there, each vendored one declared). A vendored `.tgz` is known by its file name
/// (`name-1.2.3.tgz`); `.helmignore` is not read.
enum ChartLayout {
    static let templateExtensions = ["yaml", "yml", "tpl", "txt"]

    /// A declared dependency: its chart name, and where the name is written.
    struct Declared {
        var name: String
        var location: SourceLocation
    }

    static func check(_ chart: HelmChart, declared: [Declared]) -> [Diagnostic] {
        guard let chartfile = chart.chartfile else { return [] }
        let chartPlace = SourceLocation(file: chartfile.path, line: 1, column: 1)
        var diagnostics: [Diagnostic] = []
        let fileManager = FileManager.default
        let templates = HelmChart.path("templates", in: chart.directory)
        var isDirectory: ObjCBool = false
        if !fileManager.fileExists(atPath: templates, isDirectory: &isDirectory) {
            diagnostics.append(.warning(
                "the chart has no `templates/` directory, so it installs nothing; helm lint warns", at: chartPlace, rule: "helm/templates"))
        } else if !isDirectory.boolValue {
            diagnostics.append(.error(
                "`templates` is a file, and Helm reads templates from a directory of that name; helm lint refuses the chart",
                at: SourceLocation(file: templates, line: 1, column: 1), rule: "helm/templates"))
        } else {
            for relative in ((try? fileManager.subpathsOfDirectory(atPath: templates)) ?? []).sorted() {
                let path = templates + "/" + relative
                guard !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { continue }
                var nested: ObjCBool = false
                guard fileManager.fileExists(atPath: path, isDirectory: &nested), !nested.boolValue else { continue }
                let ext = (relative as NSString).pathExtension
                guard !templateExtensions.contains(ext) else { continue }
                diagnostics.append(.error(
                    "`templates/\(relative)` has the extension `\(ext.isEmpty ? "" : "." + ext)`, and Helm takes only .yaml, .yml, .tpl "
                        + "and .txt files there; helm lint refuses the chart: rename it, or move it out of templates/",
                    at: SourceLocation(file: path, line: 1, column: 1), rule: "helm/template-file"))
            }
        }
        let vendored = vendoredCharts(in: HelmChart.path("charts", in: chart.directory))
        let declaredNames = Set(declared.map(\.name))
        var reported = Set<String>()
        for dependency in declared where !vendored.contains(where: { $0.name == dependency.name }) && reported.insert(dependency.name).inserted {
            diagnostics.append(.warning(
                "dependency `\(dependency.name)` is not in `charts/`; run `helm dependency build` before installing (helm lint warns)",
                at: dependency.location, rule: "helm/dependency-missing"))
        }
        for subchart in vendored where !declaredNames.contains(subchart.name) {
            diagnostics.append(.error(
                "`charts/\(subchart.file)` holds chart `\(subchart.name)`, which Chart.yaml does not list in `dependencies`; "
                    + "helm lint refuses the chart: list it, or remove it", at: SourceLocation(file: subchart.path, line: 1, column: 1),
                rule: "helm/undeclared-dependency"))
        }
        return diagnostics
    }

    struct Vendored {
        var name: String
        var file: String
        var path: String
    }

    /// The charts in `charts/`: directories with a Chart.yaml (by the name in it), and archives.
    static func vendoredCharts(in directory: String) -> [Vendored] {
        let fileManager = FileManager.default
        var charts: [Vendored] = []
        for entry in ((try? fileManager.contentsOfDirectory(atPath: directory)) ?? []).sorted() where !entry.hasPrefix(".") {
            let path = directory + "/" + entry
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let chartfile = path + "/Chart.yaml"
                guard let text = try? String(contentsOfFile: chartfile, encoding: .utf8) else { continue }
                let name = YAMLParser.parse(text, file: chartfile).0?["name"]?.scalar?.text ?? entry
                charts.append(Vendored(name: name, file: entry + "/Chart.yaml", path: chartfile))
            } else if entry.hasSuffix(".tgz") {
                charts.append(Vendored(name: archiveName(entry), file: entry, path: path))
            }
        }
        return charts
    }

    /// `redis-17.3.2.tgz` → `redis`: the name before the version `helm package` appends.
    static func archiveName(_ file: String) -> String {
        let stem = String(file.dropLast(".tgz".count))
        for dash in stem.indices where stem[dash] == "-" {
            let rest = String(stem[stem.index(after: dash)...])
            if rest.first?.isNumber == true, SemanticVersion(lenient: rest) != nil { return String(stem[..<dash]) }
        }
        return stem
    }
}
