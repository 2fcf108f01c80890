public import Deployer
public import HAProxy
public import Manifests

/// One HAProxy of an environment, as a pool: its runtime API, the backend holding the targets, and
/// each target's server name there (validated, so no command built from them can be abused).
public struct HAProxyPool: Sendable {
    public var id: PoolID
    public var client: RuntimeAPIClient
    public var backend: RuntimeName
    public var servers: [TargetID: RuntimeName]

    public init(id: PoolID, client: RuntimeAPIClient, backend: RuntimeName, servers: [TargetID: RuntimeName]) {
        self.id = id
        self.client = client
        self.backend = backend
        self.servers = servers
    }

    /// The pool an environment file describes, reached through `transport`.
    public init(_ spec: HAProxyLoadBalancer, transport: any RuntimeTransport) throws(HAProxyError) {
        var servers: [TargetID: RuntimeName] = [:]
        for (target, server) in spec.servers {
            do {
                servers[TargetID(target)] = try RuntimeName(server, role: "server name")
            } catch {
                throw HAProxyError(error.kind, "\(spec.name): target \(target): \(error.message)")
            }
        }
        let backend: RuntimeName
        do {
            backend = try RuntimeName(spec.backend, role: "backend name")
        } catch {
            throw HAProxyError(error.kind, "\(spec.name): \(error.message)")
        }
        self.init(
            id: PoolID(spec.name), client: RuntimeAPIClient(transport: transport, timeout: spec.timeout),
            backend: backend, servers: servers)
    }

    func ref(_ target: TargetID) throws(HAProxyError) -> ServerRef {
        guard let server = servers[target] else {
            throw HAProxyError(.invalidArgument, "\(id): target \(target) has no server in backend \(backend)")
        }
        return ServerRef(backend: backend, server: server)
    }
}

/// What one HAProxy says about one server, for `deployer status`.
public struct HAProxyServerReport: Sendable, Equatable {
    public var target: TargetID
    public var server: String
    /// nil when the backend has no such server.
    public var state: ServerState?
    public var stat: StatRow?
}

/// What one HAProxy says about the environment's servers, or why it could not be read.
public struct HAProxyPoolReport: Sendable, Equatable {
    public var pool: PoolID
    public var endpoint: String
    public var backend: String
    public var process: ProcessStatus?
    public var servers: [HAProxyServerReport]
    public var error: String?
}
