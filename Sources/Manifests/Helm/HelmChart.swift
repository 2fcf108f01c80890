import Foundation

/// A chart directory as read from disk: the text and YAML tree of each file it has, and the
/// problems met while reading and parsing them.
struct HelmChart {
    /// One YAML file of the chart.
    struct File {
        var path: String
        var text: String
        var root: YAMLNode?
    }

    var directory: String
    var chartfile: File?
    var values: File?
    var requirements: File?
    /// The path of `values.schema.json`, when the chart has one.
    var schemaPath: String?
    /// Reading and YAML-layer problems (missing files, syntax, duplicate keys, extra documents).
    var diagnostics: [Diagnostic] = []

    /// `name` inside `directory`, written the way the directory was given.
    static func path(_ name: String, in directory: String) -> String {
        directory == "." ? name : directory + "/" + name
    }

    /// Reads Chart.yaml (required), values.yaml and requirements.yaml (when present).
    init(directory: String) {
        self.directory = directory
        chartfile = read("Chart.yaml", required: true)
        values = read("values.yaml", required: false)
        requirements = read("requirements.yaml", required: false)
        let schema = Self.path("values.schema.json", in: directory)
        schemaPath = FileManager.default.fileExists(atPath: schema) ? schema : nil
    }

    private mutating func read(_ name: String, required: Bool) -> File? {
        let path = Self.path(name, in: directory)
        guard required || FileManager.default.fileExists(atPath: path) else { return nil }
        switch ManifestFile.read(path) {
        case .failure(let error):
            diagnostics += error.diagnostics
            return nil
        case .success(let text):
            let (root, problems) = YAMLParser.parse(text, file: path)
            diagnostics += problems
            if root == nil, problems.isEmpty, required {
                diagnostics.append(
                    .error(
                        "\(name) is empty; a chart needs at least `apiVersion`, `name` and `version` there",
                        at: SourceLocation(file: path, line: 1, column: 1), rule: "empty-file"))
            }
            return File(path: path, text: text, root: root)
        }
    }
}
