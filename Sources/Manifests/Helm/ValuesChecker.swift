/// The rules of values.yaml: its shape, and the image tags it pins.
struct ValuesChecker {
    var diagnostics: [Diagnostic] = []

    /// Checks `root` (values.yaml); `appVersion` is Chart.yaml's, to compare with the image tag.
    mutating func check(_ root: YAMLNode, appVersion: YAMLNode?) {
        guard root.pairs != nil else {
            diagnostics.append(.error(
                "values.yaml must be a mapping of value names (as in `image:` / `replicaCount:`), not \(root.kindDescription)",
                at: root.location, rule: "helm/values-shape"))
            return
        }
        walk(root, parentKey: nil)
        if let tag = Self.topLevelImageTag(root), let text = tag.scalar?.text, !tag.isNull, !text.isEmpty,
            let appVersion, let version = appVersion.scalar?.text, !version.isEmpty, version != text
        {
            let place = appVersion.location
            diagnostics.append(.warning(
                "`image.tag` is `\(text)` but Chart.yaml `appVersion` (\(place.file):\(place.line):\(place.column)) is `\(version)`; "
                    + "set both to the version that is deployed (`deployer helm bump --image-tag` does), or leave the tag empty "
                    + "to use appVersion", at: tag.location, rule: "helm/image-tag-mismatch"))
        }
    }

    /// The top-level `image.tag` value, when values.yaml has one.
    static func topLevelImageTag(_ root: YAMLNode) -> YAMLNode? {
        root["image"]?["tag"]
    }

    private mutating func walk(_ node: YAMLNode, parentKey: String?) {
        switch node.content {
        case .scalar:
            return
        case .sequence(let items):
            for item in items { walk(item, parentKey: parentKey) }
        case .mapping(let pairs):
            let describesImage = parentKey.map { $0.lowercased().contains("image") } ?? false
                || pairs.contains { ["repository", "registry", "image"].contains($0.key) }
            for pair in pairs {
                if pair.key == "tag", describesImage { checkTag(pair.value) }
                if pair.key.lowercased() == "imagetag" { checkTag(pair.value) }
                if pair.key == "image", let text = pair.value.scalar?.text, text.hasSuffix(":latest") {
                    diagnostics.append(.warning(
                        "image `\(text)` uses the `latest` tag, so what runs changes without the chart changing; pin a version",
                        at: pair.value.location, rule: "helm/image-tag-latest"))
                }
                walk(pair.value, parentKey: pair.key)
            }
        }
    }

    private mutating func checkTag(_ tag: YAMLNode) {
        guard let scalar = tag.scalar, !tag.isNull else { return }
        if scalar.text == "latest" {
            diagnostics.append(.warning(
                "image tag `latest` changes what runs without the chart changing; pin a version",
                at: tag.location, rule: "helm/image-tag-latest"))
        } else if let reading = ChartfileChecker.numberReading(tag) {
            diagnostics.append(.warning(
                "image tag `\(scalar.text)` is a YAML number, which Helm reads as \(reading) and renders that way; "
                    + "quote it: `\"\(scalar.text)\"`", at: tag.location, rule: "helm/image-tag-number"))
        }
    }
}
