/// Builds an `Inventory` from YAML the way Ansible's `yaml` inventory plugin does, but strict: what
/// Ansible only warns about (unknown group keys, wrong shapes) is an error here.
enum InventoryLoader {
    static let groupKeys = ["hosts", "vars", "children"]

    /// Loads `path`; the inventory is nil only when nothing usable could be read.
    static func load(path: String, referencedAt reference: SourceLocation? = nil) -> (Inventory?, [Diagnostic]) {
        switch ManifestFile.read(path, referencedAt: reference) {
        case .failure(let error): return (nil, error.diagnostics)
        case .success(let text): return parse(text, file: path)
        }
    }

    static func parse(_ text: String, file: String) -> (Inventory?, [Diagnostic]) {
        let (root, yamlDiagnostics) = YAMLParser.parse(text, file: file)
        guard let root else {
            if yamlDiagnostics.isEmpty {
                return (nil, [.error("the inventory is empty", at: SourceLocation(file: file, line: 1, column: 1), rule: "empty-file")])
            }
            return (nil, yamlDiagnostics)
        }
        var builder = Builder(file: file, text: text)
        builder.reader.diagnostics = yamlDiagnostics
        builder.read(root)
        let inventory = builder.inventory()
        builder.checkReferences()
        builder.checkHostGroupClashes()
        builder.checkAddresses(inventory)
        builder.checkConventions(inventory, InventoryConventions.platform)
        return (inventory, builder.reader.diagnostics)
    }

    /// Whether a parsed file looks like an inventory: a mapping whose values are all groups (null,
    /// or mappings with only `hosts`, `vars` and `children`).
    static func looksLikeInventory(_ root: YAMLNode) -> Bool {
        guard let pairs = root.pairs, !pairs.isEmpty else { return false }
        return pairs.allSatisfy { pair in
            if pair.value.isNull { return true }
            guard let keys = pair.value.pairs?.map(\.key), !keys.isEmpty else { return false }
            return keys.allSatisfy(groupKeys.contains)
        }
    }

    struct Builder {
        let file: String
        var reader = ManifestReader()
        var groupOrder: [String] = ["all"]
        var groups: [String: InventoryGroup] = ["all": InventoryGroup(name: "all")]
        /// Where each `children:` entry was written, for cycle reports.
        var childLocations: [String: SourceLocation] = [:]
        var hostOrder: [String] = []
        var hostVars: [String: [String: String]] = [:]
        var hostLocations: [String: SourceLocation] = [:]
        /// Where each variable was set, per host and per group (for messages about merged values).
        var hostVarLocations: [String: [String: SourceLocation]] = [:]
        var groupVarLocations: [String: [String: SourceLocation]] = [:]
        /// Where each host's merged variables come from, filled by `inventory()`.
        var varSources: [String: [String: SourceLocation]] = [:]
        /// Groups written at the top level or with content somewhere; a name only ever listed empty
        /// under `children:` is defined nowhere.
        var definedGroups: Set<String> = ["all", "ungrouped"]
        /// `children:` entries written empty: (child, where).
        var emptyChildren: [(name: String, location: SourceLocation)] = []
        let lines: [Substring]

        init(file: String, text: String) {
            self.file = file
            self.lines = text.sourceLines
        }

        mutating func read(_ root: YAMLNode) {
            guard let pairs = root.pairs else {
                reader.error(
                    "an inventory must be a mapping of group names to groups, not \(root.kindDescription)",
                    at: root.location, rule: "invalid-inventory")
                return
            }
            if pairs.isEmpty {
                reader.error("the inventory defines no groups", at: root.location, rule: "invalid-inventory")
            }
            for pair in pairs {
                definedGroups.insert(pair.key)
                readGroup(pair.key, pair.value, keyLocation: pair.keyLocation, parent: pair.key == "all" ? nil : "all")
            }
        }

        mutating func readGroup(_ name: String, _ node: YAMLNode, keyLocation: SourceLocation, parent: String?) {
            if groups[name] == nil {
                groups[name] = InventoryGroup(name: name, location: keyLocation)
                groupOrder.append(name)
                if name.contains(where: { $0 == "-" || $0 == "." || $0 == " " }) {
                    reader.warning(
                        "group name `\(name)` contains characters Ansible rejects in group names; use letters, digits and `_`",
                        at: keyLocation, rule: "group-name")
                }
            } else if groups[name]?.location == nil {
                groups[name]?.location = keyLocation
            }
            if let parent {
                if !(groups[parent]?.children.contains(name) ?? true) {
                    groups[parent]?.children.append(name)
                    childLocations["\(parent)\u{0}\(name)"] = keyLocation
                }
            }
            if node.isNull { return }
            definedGroups.insert(name)
            guard let pairs = node.pairs else {
                reader.error(
                    "group `\(name)` must be a mapping with `hosts`, `vars` or `children`, not \(node.kindDescription)",
                    at: node.location, rule: "invalid-group")
                return
            }
            reader.checkKeys(pairs, allowed: InventoryLoader.groupKeys, in: name)
            for pair in pairs {
                switch pair.key {
                case "vars":
                    for (key, value, location) in readVars(pair.value, owner: "group `\(name)`") {
                        groups[name]?.vars[key] = value
                        groupVarLocations[name, default: [:]][key] = location
                    }
                case "hosts":
                    readHosts(pair.value, group: name)
                case "children":
                    guard !pair.value.isNull else { continue }
                    guard let children = pair.value.pairs else {
                        reader.error(
                            "`children` of group `\(name)` must be a mapping of group names, not \(pair.value.kindDescription)",
                            at: pair.value.location, rule: "invalid-group")
                        continue
                    }
                    for child in children {
                        checkChildName(child.key, parent: name, at: child.keyLocation)
                        if child.value.isNull { emptyChildren.append((child.key, child.keyLocation)) }
                        readGroup(child.key, child.value, keyLocation: child.keyLocation, parent: name)
                    }
                default:
                    continue
                }
            }
        }

        mutating func readHosts(_ node: YAMLNode, group: String) {
            guard !node.isNull else { return }
            guard let pairs = node.pairs else {
                reader.error(
                    "`hosts` of group `\(group)` must be a mapping of host names (each with its variables or empty), "
                        + "not \(node.kindDescription)",
                    at: node.location, rule: "invalid-host")
                return
            }
            for pair in pairs {
                let expanded: (hosts: [String], port: Int?)
                do {
                    expanded = try HostPattern.expand(pair.key)
                } catch where error.tolerated {
                    reader.warning("host `\(pair.key)`: \(error.message); it is left out", at: pair.keyLocation, rule: "inventory/host-range")
                    continue
                } catch {
                    reader.error(
                        "host `\(pair.key)`: \(error.message); Ansible refuses the inventory", at: pair.keyLocation, rule: "inventory/host-range")
                    continue
                }
                if expanded.hosts.isEmpty {
                    reader.warning(
                        "host `\(pair.key)` stands for no host: its range counts down (Ansible counts up only); swap begin and end",
                        at: pair.keyLocation, rule: "inventory/host-range")
                }
                checkHostName(pair.key, at: pair.keyLocation)
                for host in expanded.hosts { readHost(host, pair, group: group, port: expanded.port) }
            }
        }

        /// One host of a `hosts` entry (a key with a range stands for several).
        mutating func readHost(_ host: String, _ pair: YAMLPair, group: String, port: Int?) {
            if hostLocations[host] == nil {
                hostLocations[host] = pair.keyLocation
                hostOrder.append(host)
                hostVars[host] = [:]
            }
            if !(groups[group]?.hosts.contains(host) ?? true) {
                groups[group]?.hosts.append(host)
            }
            if let port {
                hostVars[host]?["ansible_port"] = String(port)
                hostVarLocations[host, default: [:]]["ansible_port"] = pair.keyLocation
            }
            guard !pair.value.isNull else { return }
            guard pair.value.pairs != nil else {
                reader.error(
                    "host `\(host)` in group `\(group)` must be followed by a mapping of its variables or nothing, "
                        + "not \(pair.value.kindDescription)",
                    at: pair.value.location, rule: "invalid-host")
                return
            }
            for (key, value, location) in readVars(pair.value, owner: "host `\(host)`") {
                hostVars[host]?[key] = value
                hostVarLocations[host, default: [:]][key] = location
            }
        }

        mutating func readVars(_ node: YAMLNode, owner: String) -> [(String, String, SourceLocation)] {
            guard !node.isNull else { return [] }
            guard let pairs = node.pairs else {
                reader.error(
                    "`vars` of \(owner) must be a mapping of variable names to values, not \(node.kindDescription)",
                    at: node.location, rule: "invalid-vars")
                return []
            }
            return pairs.map { pair in
                if pair.key.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) == nil {
                    reader.warning(
                        "variable name `\(pair.key)` of \(owner) is not a valid identifier; Ansible cannot use it",
                        at: pair.keyLocation, rule: "variable-name")
                }
                checkVariable(pair, owner: owner)
                let value: String
                if let scalar = pair.value.scalar {
                    value = scalar.isNull ? "" : scalar.text
                } else {
                    value = pair.value.flowText
                }
                return (pair.key, value, pair.value.location)
            }
        }

        /// Reports cycles and returns each group's depth (longest path from `all`).
        mutating func depths() -> [String: Int] {
            var depth: [String: Int] = [:]
            var state: [String: Int] = [:]  // 1: on the current path, 2: done
            var path: [String] = []
            func visit(_ name: String, _ level: Int, _ builder: inout Builder) {
                if state[name] == 1 {
                    let start = path.firstIndex(of: name) ?? 0
                    let cycle = (path[start...] + [name]).joined(separator: " → ")
                    let parent = path.last ?? name
                    builder.reader.error(
                        "group `\(name)` is its own descendant: \(cycle)",
                        at: builder.childLocations["\(parent)\u{0}\(name)"], rule: "group-cycle")
                    return
                }
                if let known = depth[name], known >= level, state[name] == 2 { return }
                depth[name] = max(depth[name] ?? 0, level)
                state[name] = 1
                path.append(name)
                for child in builder.groups[name]?.children ?? [] {
                    visit(child, level + 1, &builder)
                }
                path.removeLast()
                state[name] = 2
            }
            visit("all", 0, &self)
            return depth
        }

        mutating func inventory() -> Inventory {
            let depth = depths()
            var parents: [String: [String]] = [:]
            for name in groupOrder {
                for child in groups[name]?.children ?? [] { parents[child, default: []].append(name) }
            }
            let groups = self.groups
            var varSources: [String: [String: SourceLocation]] = [:]
            defer { self.varSources = varSources }
            var hosts: [InventoryHost] = []
            for name in hostOrder {
                var member = Set<String>()
                var stack = groupOrder.filter { groups[$0]?.hosts.contains(name) ?? false }
                while let group = stack.popLast() {
                    guard member.insert(group).inserted else { continue }
                    stack.append(contentsOf: parents[group] ?? [])
                }
                member.insert("all")
                let ordered = member.sorted { lhs, rhs in
                    let key = { (group: String) in
                        (depth[group] ?? 0, Int(groups[group]?.vars["ansible_group_priority"] ?? "") ?? 1)
                    }
                    let (l, r) = (key(lhs), key(rhs))
                    if l.0 != r.0 { return l.0 < r.0 }
                    if l.1 != r.1 { return l.1 < r.1 }
                    return lhs < rhs
                }
                var vars: [String: String] = [:]
                var sources: [String: SourceLocation] = [:]
                for group in ordered {
                    vars.merge(groups[group]?.vars ?? [:]) { _, new in new }
                    sources.merge(groupVarLocations[group] ?? [:]) { _, new in new }
                }
                vars.merge(hostVars[name] ?? [:]) { _, new in new }
                sources.merge(hostVarLocations[name] ?? [:]) { _, new in new }
                varSources[name] = sources
                hosts.append(
                    InventoryHost(
                        name: name, vars: vars, groups: groupOrder.filter { $0 != "all" && member.contains($0) },
                        location: hostLocations[name]))
            }
            return Inventory(file: file, groups: groupOrder.compactMap { groups[$0] }, hosts: hosts)
        }
    }
}
