extension RuleCatalog {
    /// The Kong rules.
    static let kong: [Rule] = []
}
