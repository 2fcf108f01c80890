/// An Ansible-style YAML inventory: groups of hosts with variables, as `ansible-inventory` reads it.
///
/// Hosts are identified by their inventory name (`10.0.5.10` is a name, not a number). Every host is
/// a member of `all`; top-level groups are children of `all`.
public struct Inventory: Sendable, Equatable {
    /// Path of the inventory file, as it was given.
    public var file: String
    /// Every group, `all` first, then in the order the file first mentions them.
    public var groups: [InventoryGroup]
    /// Every host, in the order the file first mentions them, with its merged variables.
    public var hosts: [InventoryHost]

    public init(file: String, groups: [InventoryGroup], hosts: [InventoryHost]) {
        self.file = file
        self.groups = groups
        self.hosts = hosts
    }

    /// The group called `name`, if the inventory defines it.
    public func group(named name: String) -> InventoryGroup? {
        groups.first { $0.name == name }
    }

    /// The host called `name`, if the inventory lists it.
    public func host(named name: String) -> InventoryHost? {
        hosts.first { $0.name == name }
    }

    /// The hosts of a group and of all its descendants, each once, in file order; empty for an
    /// unknown group.
    public func hosts(inGroup name: String) -> [InventoryHost] {
        guard group(named: name) != nil else { return [] }
        var members = Set<String>()
        var visited = Set<String>()
        var stack = [name]
        while let current = stack.popLast() {
            guard visited.insert(current).inserted, let group = group(named: current) else { continue }
            members.formUnion(group.hosts)
            stack.append(contentsOf: group.children)
        }
        return hosts.filter { members.contains($0.name) }
    }

    /// Reads and checks an inventory file.
    ///
    /// - Returns: the inventory and any warnings.
    /// - Throws: every error found in the file (with the warnings), when there is at least one.
    public static func load(path: String) throws(ManifestError) -> (inventory: Inventory, warnings: [Diagnostic]) {
        let (inventory, diagnostics) = InventoryLoader.load(path: path)
        guard let inventory, !diagnostics.containsErrors else {
            throw ManifestError(diagnostics: diagnostics)
        }
        return (inventory, Diagnostic.ordered(diagnostics))
    }
}

/// A group of an inventory.
public struct InventoryGroup: Sendable, Equatable {
    public var name: String
    /// Hosts listed directly under this group's `hosts:`, in file order.
    public var hosts: [String]
    /// Names of the groups listed under `children:`, in file order.
    public var children: [String]
    /// The group's own variables (scalars as their text, lists and mappings as flow YAML).
    public var vars: [String: String]
    /// Where the group is first defined (nil for an implicit `all`).
    public var location: SourceLocation?

    public init(
        name: String, hosts: [String] = [], children: [String] = [], vars: [String: String] = [:],
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.hosts = hosts
        self.children = children
        self.vars = vars
        self.location = location
    }
}

/// A host of an inventory, with its variables merged as Ansible merges them.
public struct InventoryHost: Sendable, Equatable {
    /// The inventory name (`10.0.5.10`, `web-1.example.com`).
    public var name: String
    /// Variables after precedence: `all`, then groups by depth (for equal depth, by
    /// `ansible_group_priority`, then name; later wins), then the host's own variables.
    public var vars: [String: String]
    /// Groups the host belongs to, directly or through a child group, in file order; `all` left out.
    public var groups: [String]
    /// Where the host is first listed.
    public var location: SourceLocation?

    public init(name: String, vars: [String: String], groups: [String], location: SourceLocation? = nil) {
        self.name = name
        self.vars = vars
        self.groups = groups
        self.location = location
    }

    /// Where to connect: `ansible_host` when set, else the inventory name.
    public var address: String { vars["ansible_host"] ?? name }
}

/// The group and variable names a platform's inventories follow, which deploys rely on.
///
/// The platform's Ansible (automation/prod-deployment) deploys the `backend_web` hosts one at a
/// time, disabling each in every `backend_lb` host's HAProxy: the playbook reaches HAProxy through
/// the LB host's `haproxy_admin_sock_path` and names the server by the web host's
/// `haproxy_host_name`.
struct InventoryConventions: Sendable {
    /// The group of HAProxy load balancers.
    var loadBalancerGroup: String
    /// The variable holding each load balancer's HAProxy admin socket path.
    var socketVariable: String
    /// The group of backend servers behind the load balancers.
    var webGroup: String
    /// The variable holding each backend's server name in HAProxy.
    var serverNameVariable: String

    static let platform = InventoryConventions(
        loadBalancerGroup: "backend_lb", socketVariable: "haproxy_admin_sock_path", webGroup: "backend_web",
        serverNameVariable: "haproxy_host_name")
}
