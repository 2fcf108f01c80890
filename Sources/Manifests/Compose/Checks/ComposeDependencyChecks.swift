/// `depends_on`: the conditions written, and cycles (compose cannot start any service of a cycle).
extension ComposeCheckContext {
    static let dependencyConditions = ["service_started", "service_healthy", "service_completed_successfully"]

    mutating func checkDependencies() {
        for service in services {
            for entry in service.value["depends_on"]?.pairs ?? [] {
                guard let node = entry.value["condition"], let condition = text(node),
                    !Self.dependencyConditions.contains(condition)
                else { continue }
                error(
                    "service `\(service.key)` waits for `\(entry.key)` with condition `\(condition)`, which compose does not know"
                        + Self.suggestion(for: condition, among: Self.dependencyConditions)
                        + " (one of " + Self.dependencyConditions.map { "`\($0)`" }.joined(separator: ", ") + ")",
                    at: node.location, rule: "compose/depends-on-condition")
            }
        }
        checkDependencyCycles()
    }

    private struct Edge {
        var from: String
        var to: String
        var location: SourceLocation
    }

    /// Each cycle is reported once, at the edge that closes it, naming every edge's place.
    private mutating func checkDependencyCycles() {
        let names = Set(serviceNames)
        var edges: [String: [Edge]] = [:]
        for service in services {
            edges[service.key] = Self.dependencies(of: service.value).filter { names.contains($0.0) }
                .map { Edge(from: service.key, to: $0.0, location: $0.1) }
        }
        enum Mark { case active, done }
        var marks: [String: Mark] = [:]
        var stack: [Edge] = []
        var seen = Set<[String]>()
        var cycles: [[Edge]] = []

        func visit(_ name: String) {
            marks[name] = .active
            for edge in edges[name] ?? [] {
                switch marks[edge.to] {
                case .active:
                    // The edges from `edge.to` down the stack, then this one, form the cycle.
                    let start = stack.firstIndex { $0.from == edge.to } ?? stack.count
                    let cycle = Array(stack[start...]) + [edge]
                    let key = Self.canonical(cycle.map(\.from))
                    if seen.insert(key).inserted { cycles.append(cycle) }
                case .done:
                    continue
                case nil:
                    stack.append(edge)
                    visit(edge.to)
                    stack.removeLast()
                }
            }
            marks[name] = .done
        }
        for service in services where marks[service.key] == nil {
            visit(service.key)
        }

        for cycle in cycles {
            let path = (cycle.map(\.from) + [cycle[0].from]).map { "`\($0)`" }.joined(separator: " → ")
            let places = cycle.map { "\($0.from) → \($0.to) at \($0.location.shortDescription)" }.joined(separator: ", ")
            error(
                "depends_on cycle: \(path) (\(places)); compose can start none of these services; remove one of the dependencies",
                at: cycle[cycle.count - 1].location, rule: "compose/depends-on-cycle")
        }
    }

    /// The cycle's services rotated to start at the smallest name, so one cycle found from different
    /// starting points is reported once.
    private static func canonical(_ names: [String]) -> [String] {
        guard let smallest = names.indices.min(by: { names[$0] < names[$1] }) else { return names }
        return Array(names[smallest...] + names[..<smallest])
    }
}
