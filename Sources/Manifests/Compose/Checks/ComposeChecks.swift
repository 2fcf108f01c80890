/// The checks on a merged compose project: references, cycles, ports, addresses, files, images, secrets.
enum ComposeChecks {
    /// Every finding on `project`; each names the file and place that contributed the offending value.
    static func check(_ project: ComposeProject) -> [Diagnostic] {
        var context = ComposeCheckContext(project: project)
        context.checkSchema()
        context.checkExclusiveKeys()
        context.checkValues()
        context.checkReferences()
        context.checkConsistency()
        context.checkShortSyntax()
        context.checkDependencies()
        context.checkPorts()
        context.checkNetworks()
        context.checkContainerNames()
        context.checkHealthchecks()
        context.checkFiles()
        context.checkImages()
        context.checkPlaintextSecrets()
        return context.diagnostics
    }
}
