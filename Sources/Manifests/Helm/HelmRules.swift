extension RuleCatalog {
    /// The Helm rules.
    static let helm: [Rule] = []
}
