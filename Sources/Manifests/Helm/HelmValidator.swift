/// Helm charts: Chart.yaml (helm lint's chartfile rules and more), values.yaml, requirements.yaml.
enum HelmValidator {
    /// Every problem of the chart in `chartDirectory` (the directory holding Chart.yaml).
    ///
    /// templates/ and charts/ are checked as `helm lint` checks them (`ChartLayout`); templates are not rendered.
    /// values.schema.json is checked for its syntax, and values.yaml against it (`ValuesSchema`).
    static func validate(chartDirectory: String) -> [Diagnostic] {
        validate(HelmChart(directory: chartDirectory))
    }

    static func validate(_ chart: HelmChart) -> [Diagnostic] {
        var diagnostics = chart.diagnostics
        var appVersion: YAMLNode?
        var apiVersion: String?
        if let file = chart.chartfile, let root = file.root {
            var checker = ChartfileChecker(file: file.path)
            checker.check(root)
            diagnostics += checker.diagnostics
            appVersion = checker.appVersion
            apiVersion = checker.apiVersion
        }
        if let file = chart.requirements, let root = file.root {
            diagnostics += requirements(root, file: file.path, apiVersion: apiVersion)
        }
        if let file = chart.values, let root = file.root {
            var checker = ValuesChecker()
            checker.check(root, appVersion: appVersion)
            diagnostics += checker.diagnostics
        }
        if let path = chart.schemaPath {
            diagnostics += schema(path, values: chart.values?.root)
        }
        let lists = [chart.chartfile?.root?["dependencies"], chart.requirements?.root?["dependencies"]]
        let declared = lists.flatMap { list in
            (list?.items ?? []).compactMap { item -> ChartLayout.Declared? in
                guard let name = item["name"], let text = name.scalar?.text, !name.isNull, !text.isEmpty else { return nil }
                return ChartLayout.Declared(name: text, location: name.location)
            }
        }
        diagnostics += ChartLayout.check(chart, declared: declared)
        return diagnostics
    }

    private static func requirements(_ root: YAMLNode, file: String, apiVersion: String?) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        if apiVersion == "v2" {
            diagnostics.append(.warning(
                "requirements.yaml is the apiVersion v1 way to list dependencies; in a v2 chart, move them to "
                    + "`dependencies` in Chart.yaml and delete this file", at: root.location, rule: "helm/requirements-v2"))
        }
        guard root.pairs != nil else {
            diagnostics.append(.error("requirements.yaml must be a mapping with `dependencies:`, not \(root.kindDescription)",
                at: root.location, rule: "helm/wrong-type"))
            return diagnostics
        }
        var checker = DependencyChecker(file: file)
        if let list = root["dependencies"] { checker.check(list) }
        for pair in root.pairs ?? [] where pair.key != "dependencies" {
            var message = "`\(pair.key)` is not a requirements.yaml field (only `dependencies`); Helm ignores it"
            if let guess = Suggestion.closest(to: pair.key, among: ["dependencies"]) { message += "; did you mean `\(guess)`?" }
            checker.diagnostics.append(.warning(message, at: pair.keyLocation, rule: "helm/unknown-key"))
        }
        return diagnostics + checker.diagnostics
    }

    /// values.schema.json: its syntax, then values.yaml against it, as `helm lint` and `helm install` check it.
    private static func schema(_ path: String, values: YAMLNode?) -> [Diagnostic] {
        switch ManifestFile.read(path) {
        case .failure(let error):
            return error.diagnostics
        case .success(let text):
            guard let problem = JSONSyntax.firstError(in: text) else {
                guard let values, let schema = ValuesSchema(json: text) else { return [] }
                return schema.violations(of: values).map {
                    .error($0.message + "; Helm refuses to install the chart with these values", at: $0.location, rule: "helm/schema-violation")
                }
            }
            return [.error(
                "values.schema.json is not valid JSON: \(problem.message); Helm refuses to install the chart until it is fixed",
                at: SourceLocation(file: path, line: problem.line, column: problem.column), rule: "helm/values-schema")]
        }
    }
}
