extension RuleCatalog {
    /// The Compose rules.
    static let compose: [Rule] = []
}
