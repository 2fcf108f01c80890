import Foundation

/// `include`, `extends` and `profiles`: how one compose model draws on others, and which services run.
extension ComposeLoader {
    // MARK: - include

    /// Imports each included project (its own directory, its own `.env`) into `model`; a local
    /// definition is merged over the included one of the same name, as compose-go does.
    mutating func applyIncludes(
        _ include: YAMLNode, to model: YAMLNode, file: String, variables: [String: String], includeStack: [String]
    ) -> YAMLNode {
        guard var pairs = model.pairs else { return model }
        pairs.removeAll { $0.key == "include" }
        var result = model
        result.content = .mapping(pairs)
        guard let entries = include.items else {
            if !include.isNull {
                diagnostics.append(
                    .error(
                        "`include` is a list of files (or of mappings with `path`), not \(include.kindDescription)",
                        at: include.location, rule: "compose/include"))
            }
            return result
        }
        for entry in entries {
            var paths: [YAMLNode] = []
            var projectDirectory: String?
            var envFiles: [String]?
            if entry.scalar != nil {
                paths = [entry]
            } else if entry.pairs != nil {
                let path = entry["path"]
                paths = path?.items ?? (path.map { [$0] } ?? [])
                if paths.isEmpty {
                    diagnostics.append(
                        .error("an `include` entry needs `path` (the file to include)", at: entry.location, rule: "compose/include"))
                    continue
                }
                if let directory = entry["project_directory"]?.scalar?.text {
                    projectDirectory = ManifestFile.resolve(directory, nextTo: file)
                }
                if let env = entry["env_file"] {
                    envFiles = (env.items ?? [env]).compactMap { $0.scalar?.text }.map { ManifestFile.resolve($0, nextTo: file) }
                }
            } else {
                diagnostics.append(
                    .error("an `include` entry is a file path or a mapping with `path`", at: entry.location, rule: "compose/include"))
                continue
            }
            var files: [(String, SourceLocation)] = []
            for path in paths {
                guard let text = path.scalar?.text, !text.isEmpty else { continue }
                let target = ManifestFile.resolve(text, nextTo: file)
                if let start = includeStack.firstIndex(of: target) {
                    let cycle = (includeStack[start...] + [target]).map { ($0 as NSString).lastPathComponent }
                    diagnostics.append(
                        .error(
                            "include cycle: \(cycle.joined(separator: " includes ")); a file cannot include itself, "
                                + "directly or through others", at: path.location, rule: "compose/include"))
                    continue
                }
                guard FileManager.default.fileExists(atPath: target) else {
                    diagnostics.append(
                        .error("the included file \(target) does not exist", at: path.location, rule: "compose/include"))
                    continue
                }
                files.append((target, path.location))
            }
            guard let first = files.first else { continue }
            let directory = projectDirectory ?? Self.directory(of: first.0)
            let includedVariables =
                envFiles.map { self.variables(forProjectIn: directory, envFiles: $0) }
                ?? self.variables(forProjectIn: directory, envFiles: [directory + "/.env"].filter {
                    FileManager.default.fileExists(atPath: $0)
                })
            var included: YAMLNode?
            for (target, location) in files {
                guard let model = loadModel(target, variables: includedVariables, includeStack: includeStack, referencedAt: location)
                else { continue }
                included = included.map { merger.merge($0, model, path: []) } ?? ComposeMerger.settle(model)
            }
            if let included { result = importResources(from: included, into: result) }
        }
        return result
    }

    /// The included model's services, networks, volumes, secrets and configs added to `model`; where
    /// both define a name, the local definition is merged over the included one.
    private mutating func importResources(from included: YAMLNode, into model: YAMLNode) -> YAMLNode {
        guard var pairs = model.pairs else { return model }
        for section in ["services", "networks", "volumes", "secrets", "configs", "models"] {
            guard let importedPairs = included[section]?.pairs, !importedPairs.isEmpty else { continue }
            let index = pairs.lastIndex { $0.key == section }
            var local = index.flatMap { pairs[$0].value.pairs } ?? []
            for imported in importedPairs {
                if let existing = local.firstIndex(where: { $0.key == imported.key }) {
                    local[existing].value = merger.merge(
                        ComposeMerger.settle(imported.value), local[existing].value, path: [section, imported.key])
                } else {
                    local.append(imported)
                }
            }
            if let index {
                pairs[index].value.content = .mapping(local)
            } else if let sectionNode = included[section] {
                pairs.append(
                    YAMLPair(
                        key: section, keyLocation: sectionNode.location,
                        value: YAMLNode(content: .mapping(local), location: sectionNode.location)))
            }
        }
        var result = model
        result.content = .mapping(pairs)
        return result
    }

    // MARK: - extends

    /// Every service of `model` with its `extends` applied (the extended service merged under it).
    mutating func resolveExtends(in model: YAMLNode, file: String, variables: [String: String]) -> YAMLNode {
        guard var pairs = model.pairs, let index = pairs.lastIndex(where: { $0.key == "services" }),
            let services = pairs[index].value.pairs, services.contains(where: { $0.value["extends"] != nil })
        else { return model }
        var resolved: [YAMLPair] = []
        for service in services {
            var pair = service
            pair.value = resolveService(service.key, in: services, file: file, variables: variables, chain: [])
            resolved.append(pair)
        }
        pairs[index].value.content = .mapping(resolved)
        var result = model
        result.content = .mapping(pairs)
        return result
    }

    /// The service `name` of `services` (written in `file`) with its `extends` chain applied.
    private mutating func resolveService(
        _ name: String, in services: [YAMLPair], file: String, variables: [String: String], chain: [String]
    ) -> YAMLNode {
        guard let service = services.last(where: { $0.key == name })?.value else {
            return YAMLNode(content: .mapping([]), location: SourceLocation(file: file, line: 1, column: 1))
        }
        guard let extends = service["extends"], var servicePairs = service.pairs else { return service }
        // A failed `extends` leaves the service as written (with `extends`), so the checks do not
        // report what the missing base would have given it (an image) on top of the failure.
        servicePairs.removeAll { $0.key == "extends" }
        var own = service
        own.content = .mapping(servicePairs)

        let baseName: String
        let baseNameLocation: SourceLocation
        var targetFile = file
        var targetServices = services
        if let text = extends.scalar?.text, !extends.isNull {
            baseName = text
            baseNameLocation = extends.location
        } else if extends.pairs != nil {
            guard let serviceNode = extends["service"], let text = serviceNode.scalar?.text, !serviceNode.isNull else {
                diagnostics.append(
                    .error(
                        "`extends` of service `\(name)` needs `service:` (the service to extend)", at: extends.location,
                        rule: "compose/extends"))
                return service
            }
            baseName = text
            baseNameLocation = serviceNode.location
            if let fileNode = extends["file"], let path = fileNode.scalar?.text, !fileNode.isNull {
                targetFile = ManifestFile.resolve(path, nextTo: file)
                guard FileManager.default.fileExists(atPath: targetFile) else {
                    diagnostics.append(
                        .error(
                            "service `\(name)` extends a service of \(targetFile), which does not exist (the path is "
                                + "relative to \(Self.directory(of: file)))", at: fileNode.location, rule: "compose/extends"))
                    return service
                }
                guard let model = rawModel(targetFile, variables: variables, includeStack: [], referencedAt: fileNode.location)
                else { return own }
                targetServices = model["services"]?.pairs ?? []
            }
        } else {
            diagnostics.append(
                .error(
                    "`extends` is a service name or a mapping with `service` (and optionally `file`), not "
                        + extends.kindDescription, at: extends.location, rule: "compose/extends"))
            return service
        }
        let key = targetFile + "\u{0}" + baseName
        let here = file + "\u{0}" + name
        let visited = chain + [here]
        if visited.contains(key) {
            let start = visited.firstIndex(of: key) ?? 0
            let names = (visited[start...] + [key]).map { $0.split(separator: "\u{0}").last.map(String.init) ?? $0 }
            diagnostics.append(
                .error(
                    "extends cycle: \(names.joined(separator: " extends ")); a service cannot extend itself, directly or "
                        + "through others", at: baseNameLocation, rule: "compose/extends"))
            return service
        }
        guard targetServices.contains(where: { $0.key == baseName }) else {
            var message = "service `\(name)` extends `\(baseName)`, which \(targetFile == file ? "this file" : targetFile) does not define"
            if let guess = Suggestion.closest(to: baseName, among: targetServices.map(\.key)) {
                message += "; did you mean `\(guess)`?"
            }
            diagnostics.append(.error(message, at: baseNameLocation, rule: "compose/extends"))
            return service
        }
        let base = resolveService(baseName, in: targetServices, file: targetFile, variables: variables, chain: visited)
        merger.provenance.changes.append(
            ComposeProvenance.Change(
                path: "services.\(name)", action: .extended, new: baseNameLocation,
                newText: "extends `\(baseName)`" + (targetFile == file ? "" : " of \(targetFile)"), old: base.location,
                oldText: nil))
        return merger.merge(ComposeMerger.settle(base), own, path: ["services", name])
    }

    // MARK: - profiles

    /// Drops the services none of whose profiles is active (COMPOSE_PROFILES; `*` enables all), and
    /// reports and removes references to them from the services that stay.
    mutating func applyProfiles(_ root: YAMLNode, variables: [String: String]) -> YAMLNode {
        guard var pairs = root.pairs, let index = pairs.lastIndex(where: { $0.key == "services" }),
            let services = pairs[index].value.pairs
        else { return root }
        let active = Set(
            (variables["COMPOSE_PROFILES"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty })
        var kept: [YAMLPair] = []
        for service in services {
            let profiles = (service.value["profiles"]?.items ?? []).compactMap { $0.scalar?.text }
            if profiles.isEmpty || active.contains("*") || profiles.contains(where: active.contains) {
                kept.append(service)
            } else {
                inactiveServices[service.key] = (service.keyLocation, profiles)
            }
        }
        guard kept.count != services.count else { return root }
        kept = kept.map { pair in
            var pair = pair
            pair.value = removeInactiveReferences(from: pair.value, service: pair.key, active: active)
            return pair
        }
        pairs[index].value.content = .mapping(kept)
        var result = root
        result.content = .mapping(pairs)
        return result
    }

    private mutating func removeInactiveReferences(from service: YAMLNode, service name: String, active: Set<String>) -> YAMLNode {
        guard var pairs = service.pairs else { return service }
        for index in pairs.indices.reversed() {
            let pair = pairs[index]
            switch pair.key {
            case "depends_on", "links", "volumes_from":
                if let items = pair.value.items {
                    let kept = items.filter { item in
                        guard let target = Self.referencedService(item.scalar?.text ?? "", key: pair.key) else { return true }
                        return !reportInactive(target, from: name, via: pair.key, at: item.location, active: active)
                    }
                    pairs[index].value.content = .sequence(kept)
                } else if let entries = pair.value.pairs {
                    let kept = entries.filter { entry in
                        if entry.value["required"]?.scalar?.bool == false, inactiveServices[entry.key] != nil { return false }
                        return !reportInactive(entry.key, from: name, via: pair.key, at: entry.keyLocation, active: active)
                    }
                    pairs[index].value.content = .mapping(kept)
                }
            case "network_mode", "ipc", "pid":
                if let text = pair.value.scalar?.text, text.hasPrefix("service:"),
                    reportInactive(String(text.dropFirst("service:".count)), from: name, via: pair.key, at: pair.value.location, active: active)
                {
                    pairs.remove(at: index)
                }
            default: break
            }
        }
        var result = service
        result.content = .mapping(pairs)
        return result
    }

    /// The service a `links` / `volumes_from` / `depends_on` list entry names.
    static func referencedService(_ text: String, key: String) -> String? {
        switch key {
        case "links": return text.split(separator: ":").first.map(String.init)
        case "volumes_from":
            if text.hasPrefix("container:") { return nil }
            let name = text.hasPrefix("service:") ? String(text.dropFirst("service:".count)) : text
            return name.split(separator: ":").first.map(String.init)
        default: return text
        }
    }

    /// Reports a reference to a service of an inactive profile; true when `target` is one.
    private mutating func reportInactive(
        _ target: String, from service: String, via key: String, at location: SourceLocation, active: Set<String>
    ) -> Bool {
        guard let inactive = inactiveServices[target] else { return false }
        let profiles = inactive.profiles.map { "`\($0)`" }.joined(separator: ", ")
        let activeText = active.isEmpty ? "none is active" : "active: \(active.sorted().joined(separator: ", "))"
        diagnostics.append(
            .error(
                "service `\(service)` refers to `\(target)` (\(key)), which only runs with profile \(profiles) (\(activeText)); "
                    + "enable it with COMPOSE_PROFILES=\(inactive.profiles.first ?? ""), or give `\(service)` the same profile",
                at: location, rule: "compose/inactive-profile"))
        return true
    }
}
