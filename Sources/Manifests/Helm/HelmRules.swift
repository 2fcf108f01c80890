extension RuleCatalog {
    /// The Helm rules.
    static let helm: [Rule] = [
        Rule("helm/api-version", .error, .helm, "Chart.yaml `apiVersion` missing or not `v1`/`v2` (`v3` is Helm 4's chart format)"),
        Rule("helm/chart-name", .error, .helm, "Chart.yaml `name` missing, a path, or not lowercase letters, digits and dashes"),
        Rule("helm/version", .error, .helm, "Chart.yaml `version` missing or not SemVer (`latest`, `1.2.3.4`)"),
        Rule("helm/version-strict", .warning, .helm, "a chart version Helm accepts leniently but that is not strict SemVer 2 (`v1.2.3`, `1.2`)"),
        Rule("helm/version-number", .error, .helm, "`version` or `appVersion` written as a YAML number (`1.10` is read as 1.1); quote it"),
        Rule("helm/wrong-type", .error, .helm, "a Chart.yaml or requirements.yaml value of the wrong kind (a list where text belongs, …)"),
        Rule("helm/chart-type", .error, .helm, "`type` other than `application`/`library`, or `type` in an apiVersion v1 chart"),
        Rule("helm/dependencies-v1", .error, .helm, "`dependencies` in Chart.yaml of an apiVersion v1 chart (v1 lists them in requirements.yaml)"),
        Rule("helm/requirements-v2", .warning, .helm, "requirements.yaml in an apiVersion v2 chart; move its dependencies to Chart.yaml"),
        Rule("helm/dependency", .error, .helm, "a dependency without a name, with a bad version range, repository URL or alias"),
        Rule("helm/duplicate-dependency", .error, .helm, "two dependencies with the same name or alias; give one an `alias`"),
        Rule("helm/maintainer", .error, .helm, "a maintainer entry that is empty, has no name, or an invalid email or url"),
        Rule("helm/url", .error, .helm, "`home`, `icon` or a `sources` entry that is not an http(s) URL"),
        Rule("helm/icon", .warning, .helm, "the chart has no `icon` (Helm recommends one; chart repositories show it)"),
        Rule("helm/kube-version", .error, .helm, "`kubeVersion` that is not a version range Helm can check"),
        Rule("helm/unknown-key", .warning, .helm, "a Chart.yaml or dependency key Helm does not know (a typo, or legacy `engine`)"),
        Rule("helm/deprecated", .warning, .helm, "the chart is marked `deprecated: true`"),
        Rule("helm/values-shape", .error, .helm, "values.yaml is not a mapping of values"),
        Rule("helm/image-tag-mismatch", .warning, .helm, "values.yaml `image.tag` differs from Chart.yaml `appVersion`"),
        Rule("helm/image-tag-latest", .warning, .helm, "an image tag `latest` in values.yaml; pin a version"),
        Rule("helm/image-tag-number", .warning, .helm, "an image tag written as a YAML number (`1.10` renders as 1.1); quote it"),
        Rule("helm/values-schema", .error, .helm, "values.schema.json is not valid JSON"),
        Rule("helm/schema-violation", .error, .helm, "a values.yaml value that values.schema.json refuses (type, enum, required, pattern, range, `additionalProperties: false`, …)"),
    ]
}
