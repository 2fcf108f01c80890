extension RuleCatalog {
    /// The rules of the checks on a merged compose project.
    static let composeChecks: [Rule] = []
}
