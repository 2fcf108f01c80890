import Foundation

/// Loads a compose project as `docker compose -f … -f …` does: each file is parsed, interpolated
/// (values only, before the merge), gets its `include`s and `extends` applied, and is merged over the
/// files before it; then the services of inactive profiles are dropped.
///
/// Problems are collected in `diagnostics`, every one with the place it was written; loading goes on
/// past them, so all are reported.
struct ComposeLoader {
    let options: ValidationOptions
    /// Whether an unset `${VAR:?message}` is an error (`compose config`, which cannot print the
    /// project without it) or a warning (validation, which often runs without the deploy environment).
    var requiredVariableSeverity: Diagnostic.Severity = .warning
    var diagnostics: [Diagnostic] = []
    var unresolved: Set<SourceLocation> = []
    var interpolated: Set<SourceLocation> = []
    var merger = ComposeMerger()
    /// Services dropped because none of their profiles is active, with where each was defined.
    var inactiveServices: [String: (location: SourceLocation, profiles: [String])] = [:]

    private var rawModels: [String: YAMLNode?] = [:]
    /// `location|variable` of the unset variables already reported (an anchored value reused through
    /// aliases is reported once, at the anchor).
    private var reportedUnset = Set<String>()
    private var variableSets: [String: [String: String]] = [:]

    init(options: ValidationOptions) {
        self.options = options
    }

    /// The merged project of `files` (in order); the project directory is the first file's unless
    /// given. Nil when no file could be read.
    mutating func loadProject(files: [String], directory: String? = nil) -> ComposeProject? {
        guard let first = files.first else { return nil }
        let projectDirectory = directory ?? Self.directory(of: first)
        let variables = self.variables(forProjectIn: projectDirectory)
        var merged: YAMLNode?
        for file in files {
            guard let model = loadModel(file, variables: variables, includeStack: []) else { continue }
            guard let base = merged else {
                merged = ComposeMerger.settle(model)
                continue
            }
            reportNewServices(in: model, over: base)
            merged = merger.merge(base, model, path: [])
        }
        guard var root = merged else { return nil }
        root = applyProfiles(root, variables: variables)
        diagnostics += merger.diagnostics
        merger.diagnostics = []
        return ComposeProject(
            root: root, files: files, directory: projectDirectory, unresolved: unresolved, interpolated: interpolated)
    }

    static func directory(of file: String) -> String {
        let directory = (file as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    // MARK: - Variables

    /// The variables interpolation sees for a project: the environment given, then the project's
    /// `.env` (or the `--env-file`s instead) for what the environment does not set.
    mutating func variables(forProjectIn directory: String, envFiles explicit: [String]? = nil) -> [String: String] {
        let files = explicit ?? (options.envFiles.isEmpty ? [directory + "/.env"] : options.envFiles)
        let key = files.joined(separator: "\u{0}")
        if let known = variableSets[key] { return known }
        var fromFiles: [String: String] = [:]
        for (index, file) in files.enumerated() {
            let isDefault = explicit == nil && options.envFiles.isEmpty && index == 0
            if isDefault, !FileManager.default.fileExists(atPath: file) { continue }
            switch ManifestFile.read(file) {
            case .failure(let error):
                diagnostics += error.diagnostics
            case .success(let text):
                let parsed = DotEnvFile.parse(text, file: file, environment: options.environment.merging(fromFiles) { a, _ in a })
                diagnostics += parsed.diagnostics
                fromFiles.merge(parsed.variables) { _, new in new }
            }
        }
        let result = fromFiles.merging(options.environment) { _, environment in environment }
        variableSets[key] = result
        return result
    }

    // MARK: - One file

    /// A file read, interpolated, with its `include`s imported and its services' `extends` applied.
    mutating func loadModel(
        _ file: String, variables: [String: String], includeStack: [String], referencedAt: SourceLocation? = nil
    ) -> YAMLNode? {
        guard let raw = rawModel(file, variables: variables, includeStack: includeStack, referencedAt: referencedAt)
        else { return nil }
        return resolveExtends(in: raw, file: file, variables: variables)
    }

    /// A file read and interpolated, with its `include`s imported (cached per file and variables).
    mutating func rawModel(
        _ file: String, variables: [String: String], includeStack: [String], referencedAt: SourceLocation? = nil
    ) -> YAMLNode? {
        let key = file + "\u{0}" + variables.keys.sorted().map { "\($0)=\(variables[$0]!)" }.joined(separator: "\u{0}")
        if let cached = rawModels[key] { return cached }
        rawModels[key] = .some(nil)
        let model = readModel(file, variables: variables, includeStack: includeStack, referencedAt: referencedAt)
        rawModels[key] = .some(model)
        return model
    }

    private mutating func readModel(
        _ file: String, variables: [String: String], includeStack: [String], referencedAt: SourceLocation?
    ) -> YAMLNode? {
        let text: String
        switch ManifestFile.read(file, referencedAt: referencedAt) {
        case .failure(let error):
            diagnostics += error.diagnostics
            return nil
        case .success(let contents): text = contents
        }
        let (parsed, yamlDiagnostics) = YAMLParser.parse(text, file: file)
        diagnostics += yamlDiagnostics
        guard let parsed else {
            if yamlDiagnostics.isEmpty {
                diagnostics.append(
                    .error(
                        "the compose file is empty; it needs at least `services:`",
                        at: SourceLocation(file: file, line: 1, column: 1), rule: "empty-file"))
            }
            return nil
        }
        guard parsed.pairs != nil else {
            diagnostics.append(
                .error(
                    "a compose file is a mapping (`services:`, `networks:`, `volumes:` …), not \(parsed.kindDescription)",
                    at: parsed.location, rule: "compose/structure"))
            return nil
        }
        let lines = text.sourceLines
        var model = interpolate(parsed, path: [], variables: variables, lines: lines)
        model = checkStructure(model)
        if let include = model["include"] {
            model = applyIncludes(include, to: model, file: file, variables: variables, includeStack: includeStack + [file])
        }
        return model
    }

    /// `services` must be a mapping of mappings; what is not is reported and left out.
    private mutating func checkStructure(_ model: YAMLNode) -> YAMLNode {
        guard var pairs = model.pairs, let index = pairs.lastIndex(where: { $0.key == "services" }) else { return model }
        let services = pairs[index].value
        if services.isNull {
            pairs[index].value.content = .mapping([])
        } else if let servicePairs = services.pairs {
            var kept: [YAMLPair] = []
            for pair in servicePairs {
                if pair.value.pairs != nil || pair.value.anyTag == "!reset" {
                    kept.append(pair)
                } else {
                    diagnostics.append(
                        .error(
                            "service `\(pair.key)` must be a mapping of its settings (`image:`, `ports:` …), not "
                                + pair.value.kindDescription, at: pair.value.isNull ? pair.keyLocation : pair.value.location,
                            rule: "compose/structure"))
                }
            }
            pairs[index].value.content = .mapping(kept)
        } else {
            diagnostics.append(
                .error(
                    "`services` must be a mapping from service names to their settings, not \(services.kindDescription)",
                    at: services.location, rule: "compose/structure"))
            pairs.remove(at: index)
        }
        var result = model
        result.content = .mapping(pairs)
        return result
    }

    // MARK: - Interpolation

    /// Interpolates every value (never a key) under `node`.
    mutating func interpolate(
        _ node: YAMLNode, path: [String], variables: [String: String], lines: [Substring]
    ) -> YAMLNode {
        var node = node
        switch node.content {
        case .mapping(let pairs):
            node.content = .mapping(
                pairs.map {
                    YAMLPair(
                        key: $0.key, keyLocation: $0.keyLocation,
                        value: interpolate($0.value, path: path + [$0.key], variables: variables, lines: lines))
                })
        case .sequence(let items):
            node.content = .sequence(
                items.enumerated().map {
                    interpolate($0.element, path: path + ["[\($0.offset)]"], variables: variables, lines: lines)
                })
        case .scalar(var scalar):
            guard ComposeInterpolation.mayInterpolate(scalar.text) else { return node }
            let result = ComposeInterpolation.interpolate(scalar.text) { variables[$0] }
            let dotted = ComposeProvenance.dotted(path)
            if result.referencesVariables { interpolated.insert(node.location) }
            if !result.unset.isEmpty { unresolved.insert(node.location) }
            for name in result.unset where reportedUnset.insert("\(node.location)|\(name)").inserted {
                diagnostics.append(
                    .warning(
                        "the variable `\(name)` is not set and has no default, so `\(dotted)` gets an empty string "
                            + "there; set it in the environment or in .env, or write `${\(name):-default}`",
                        at: node.location, rule: "compose/unset-variable"))
            }
            for problem in result.problems {
                switch problem.kind {
                case .syntax:
                    diagnostics.append(
                        .error(
                            "invalid interpolation in `\(dotted)`: \(problem.message)",
                            at: location(of: problem.offset, in: node, scalar: scalar, lines: lines),
                            rule: "compose/interpolation"))
                case .required:
                    unresolved.insert(node.location)
                    diagnostics.append(
                        Diagnostic(
                            severity: requiredVariableSeverity, message: "`\(dotted)`: \(problem.message)",
                            location: node.location, rule: "compose/required-variable"))
                }
            }
            scalar.text = result.text
            // What was written is text: emptied by interpolation it is "", not null.
            if result.text.isEmpty { scalar.isPlain = false }
            node.content = .scalar(scalar)
        }
        return node
    }

    /// The place of the character at `offset` of a scalar's text, when the scalar is written on one
    /// line without escapes (so text and source agree); the scalar's own place otherwise.
    private func location(of offset: Int, in node: YAMLNode, scalar: YAMLScalar, lines: [Substring]) -> SourceLocation {
        let start = node.location
        guard start.line >= 1, start.line <= lines.count else { return start }
        let line = Array(lines[start.line - 1].unicodeScalars)
        let quote = scalar.isPlain ? 0 : 1
        let text = Array(scalar.text.unicodeScalars)
        let from = start.column - 1 + quote
        guard from >= 0, from + text.count <= line.count, Array(line[from..<(from + text.count)]) == text else {
            return start
        }
        return SourceLocation(file: start.file, line: start.line, column: start.column + quote + offset)
    }

    // MARK: - Overlays

    /// `overlay/new-service`: a later file that adds a service its base does not have.
    private mutating func reportNewServices(in model: YAMLNode, over base: YAMLNode) {
        let known = base["services"]?.pairs?.map(\.key) ?? []
        for pair in model["services"]?.pairs ?? [] where !known.contains(pair.key) && pair.value.anyTag != "!reset" {
            var message = "this overlay adds the service `\(pair.key)`, which the files before it do not define"
            if let guess = Suggestion.closest(to: pair.key, among: known) {
                message += "; did you mean `\(guess)`?"
            } else {
                message += "; if that is intended, ignore this warning"
            }
            diagnostics.append(.warning(message, at: pair.keyLocation, rule: "overlay/new-service"))
        }
    }
}
