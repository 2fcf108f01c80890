import Foundation

/// Files a project needs, relative to the project directory: env files (and their syntax), secret and
/// config files, bind-mount sources, local build contexts and Dockerfiles. Missing files are warnings:
/// the manifests may be validated away from the machine that runs them. Absolute and `~` paths name
/// places on that machine, not in the project, and are not looked for.
extension ComposeCheckContext {
    mutating func checkFiles() {
        var parsedEnvFiles = Set<String>()
        for service in services {
            let name = service.value
            for (node, required) in envFiles(of: name) {
                guard let path = text(node), Self.isProjectPath(path) else { continue }
                let full = resolvedPath(path)
                guard exists(full) else {
                    if required {
                        warning(
                            "env_file `\(path)` of service `\(service.key)` does not exist (\(full)); compose will refuse to start the service; "
                                + "create it, or mark it `required: false`", at: node.location, rule: "compose/missing-file")
                    }
                    continue
                }
                if parsedEnvFiles.insert(full).inserted { checkEnvFileSyntax(full) }
            }
            for mount in ServiceMount.all(in: name, context: self) where mount.kind == .bind {
                guard let source = mount.source, Self.isProjectPath(source) else { continue }
                let full = resolvedPath(source)
                if !exists(full) {
                    warning(
                        "bind-mount source `\(source)` of service `\(service.key)` does not exist (\(full)); docker mounts an empty directory "
                            + "or fails; create it or fix the path", at: mount.sourceLocation, rule: "compose/missing-file")
                }
            }
            checkBuildFiles(of: service)
        }
        for section in ["secrets", "configs"] {
            for entry in project.root[section]?.pairs ?? [] {
                guard let node = entry.value["file"], let path = text(node), Self.isProjectPath(path) else { continue }
                let full = resolvedPath(path)
                if !exists(full) {
                    warning(
                        "file `\(path)` of \(section.dropLast()) `\(entry.key)` does not exist (\(full)); compose cannot create the \(section.dropLast()); "
                            + "create it or fix the path", at: node.location, rule: "compose/missing-file")
                }
            }
        }
    }

    /// The env files of a service with whether each is required (`required: false` makes it optional).
    private func envFiles(of service: YAMLNode) -> [(YAMLNode, Bool)] {
        guard let envFile = service["env_file"] else { return [] }
        if envFile.scalar != nil { return [(envFile, true)] }
        return (envFile.items ?? []).compactMap { item in
            guard item.pairs != nil else { return (item, true) }
            guard let path = item["path"] else { return nil }
            let required = item["required"]?.scalar
            return (path, !(required?.bool == false || required?.text == "false"))
        }
    }

    private mutating func checkBuildFiles(of service: YAMLPair) {
        guard let build = service.value["build"], !build.isNull else { return }
        let contextNode = build.scalar != nil ? build : build["context"]
        let context = contextNode == nil ? "." : text(contextNode)
        guard let context, !Self.isRemoteContext(context), Self.isProjectPath(context) else { return }
        let full = resolvedPath(context)
        guard exists(full) else {
            warning(
                "build context `\(context)` of service `\(service.key)` does not exist (\(full)); the build will fail; fix the path",
                at: contextNode?.location ?? build.location, rule: "compose/missing-file")
            return
        }
        guard build["dockerfile_inline"] == nil, let node = build["dockerfile"], let dockerfile = text(node) else { return }
        let path = dockerfile.hasPrefix("/") ? dockerfile : ManifestFile.normalize(full + "/" + dockerfile)
        if !exists(path) {
            warning(
                "Dockerfile `\(dockerfile)` of service `\(service.key)` does not exist in its build context (\(path)); the build will fail",
                at: node.location, rule: "compose/missing-file")
        }
    }

    /// A build context compose fetches (a Git repository, a URL, an image) rather than reads from disk.
    static func isRemoteContext(_ context: String) -> Bool {
        context.contains("://") || context.hasPrefix("git@") || context.hasPrefix("github.com/") || context.hasSuffix(".git")
            || context.contains(".git#")
    }

    /// A path inside the project tree (relative), as opposed to one on the machine that runs it.
    static func isProjectPath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.hasPrefix("~") && !path.hasPrefix("\\")
            && !(path.count > 1 && path.dropFirst().first == ":")
    }

    private func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    private mutating func checkEnvFileSyntax(_ path: String) {
        guard case .success(let text) = ManifestFile.read(path) else { return }
        for problem in DotEnvSyntax.problems(in: text) {
            warning(
                problem.message + " (compose cannot read this env file)",
                at: SourceLocation(file: path, line: problem.line, column: problem.column), rule: "compose/env-file-syntax")
        }
        checkEnvFileSecrets(text, file: path)
    }

    /// `NAME=value` lines of an env file whose name says they hold a secret and whose value is written
    /// literally: the env file keeps it in plain text, next to the compose file.
    private mutating func checkEnvFileSecrets(_ text: String, file: String) {
        for (index, line) in text.sourceLines.enumerated() {
            var body = line.drop(while: { $0 == " " || $0 == "\t" })
            let indent = line.count - body.count
            guard !body.hasPrefix("#") else { continue }
            var skipped = indent
            if body.hasPrefix("export ") {
                body = body.dropFirst("export ".count)
                skipped += "export ".count
            }
            guard let equals = body.firstIndex(of: "=") else { continue }
            let name = body[..<equals].trimmingCharacters(in: .whitespaces)
            var value = body[body.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasSuffix("\r") { value.removeLast() }
            let unquoted = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            guard let kind = Self.secretKind(name), !unquoted.isEmpty, !unquoted.contains("${"),
                !unquoted.hasPrefix("/run/secrets/"), !["true", "false", "yes", "no"].contains(unquoted.lowercased())
            else { continue }
            warning(
                "`\(name)` holds \(kind) in plain text in this env file; anyone who reads the repository has it: keep "
                    + "the value out of the file (a secret store, `secrets:`, or the deploy environment)",
                at: SourceLocation(file: file, line: index + 1, column: skipped + 1), rule: "compose/plaintext-secret")
        }
    }
}
