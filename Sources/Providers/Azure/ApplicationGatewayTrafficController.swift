public import Deployer
import Foundation
import JSONDocument
public import Manifests

/// Application Gateway backend pools as the deploy's traffic controller. A target is in a pool when
/// its instance's private IP is in the pool's `backendAddresses`; taking it out removes the IP, and the
/// gateway then keeps its open connections for the connection-draining timeout of the pool's HTTP
/// settings, which is what the drain waits for (read from the gateway, not a fixed 60 s).
///
/// The scale set's instances are the pool's members by definition, so an instance whose IP is missing
/// is reported out of service (maint), never silently "not a member".
public struct ApplicationGatewayTrafficController: TrafficController {
    public struct Pool: Sendable {
        public var id: PoolID
        public var spec: ApplicationGatewayPool
        public var editor: GatewayPoolEditor
    }

    public let pools: [PoolID]
    let entries: [Pool]
    let directory: ScaleSetDirectory
    private let removals = Removals()

    public init(pools: [Pool], directory: ScaleSetDirectory) {
        self.entries = pools
        self.pools = pools.map(\.id)
        self.directory = directory
    }

    public func members() async throws -> [TargetID: [PoolID: PoolMember]] {
        guard !entries.isEmpty else { return [:] }
        let model = try await directory.currentModel()
        let instances = try await directory.client.instances(instanceView: false)
        await directory.remember(instances)
        let targets = instances.map { TargetID($0.name) }
        return try await members(of: targets, model: model)
    }

    public func members(of target: TargetID) async throws -> [PoolID: PoolMember] {
        guard !entries.isEmpty else { return [:] }
        return try await members(of: [target], model: directory.currentModel())[target] ?? [:]
    }

    func members(of targets: [TargetID], model: ScaleSetModel) async throws -> [TargetID: [PoolID: PoolMember]] {
        let addresses = try await directory.addresses(of: targets)
        var result: [TargetID: [PoolID: PoolMember]] = [:]
        let now = Date()
        for entry in entries {
            let gateway = try await entry.editor.client.get()
            try Self.checkIPBased(gateway, entry: entry, model: model, scaleSet: directory.client.name)
            let inPool = Set(gateway.addresses(entry.spec.pool))
            let drain = gateway.drainTimeout(entry.spec.pool)
            for target in targets {
                guard let address = addresses[target] else { continue }
                if inPool.contains(address) {
                    result[target, default: [:]][entry.id] = PoolMember(state: .ready, sessions: nil)
                    continue
                }
                let ends = await removals.removedAt(address, pool: entry.id).map { $0.addingTimeInterval(drain.seconds) }
                let draining = ends.map { $0 > now } ?? false
                result[target, default: [:]][entry.id] = PoolMember(state: draining ? .drain : .maint, sessions: nil, drainEnds: draining ? ends : nil)
            }
        }
        return result
    }

    /// Refuses a pool the scale set joins by NIC reference: removing an IP from `backendAddresses`
    /// would change nothing there.
    static func checkIPBased(_ gateway: ApplicationGateway, entry: Pool, model: ScaleSetModel, scaleSet: String) throws {
        let pool = entry.spec.pool
        let byReference = model.gatewayPoolReferences.contains { $0.lowercased().hasSuffix("/backendaddresspools/\(pool.lowercased())") }
        let nicMembers = gateway.nicMembers(pool).filter { $0.lowercased().contains("/virtualmachinescalesets/\(scaleSet.lowercased())/") }
        if byReference || !nicMembers.isEmpty {
            throw DeployerError(
                "\(entry.id): scale set \(scaleSet) joins pool \(pool) by NIC reference (backendIPConfigurations), not by IP; "
                    + "removing an instance's IP from backendAddresses would not take it out of traffic",
                hint: "Make the pool IP-based (list the instance IPs in backendAddresses and drop the pool from the scale set's "
                    + "ipConfigurations), or deploy without the gateway (prod-vmss-simple).")
        }
    }

    public func setState(_ state: MemberState, of target: TargetID, in pool: PoolID) async throws {
        guard let entry = entries.first(where: { $0.id == pool }) else { throw DeployerError("no pool \(pool)") }
        guard let address = try await directory.addresses(of: [target])[target] else {
            throw DeployerError("no private IP known for \(target)")
        }
        switch state {
        case .ready:
            try await entry.editor.apply(.add(address), to: entry.spec.pool)
            await removals.forget(address, pool: pool)
        case .drain, .maint, .absent:
            if try await entry.editor.apply(.remove(address), to: entry.spec.pool) {
                await removals.record(address, pool: pool, at: Date())
            } else if await removals.removedAt(address, pool: pool) == nil, state == .drain {
                // Out before this process saw it go: assume the worst, that it has just been removed.
                await removals.record(address, pool: pool, at: Date())
            }
        }
    }

    public func shutdownSessions(of target: TargetID, in pool: PoolID) async throws {
        throw DeployerError(
            "\(pool): an Application Gateway cannot end a server's open connections; it holds them for its "
                + "connection-draining timeout",
            hint: "Use on-drain-timeout: proceed or fail for Application Gateway pools.")
    }

    /// When this process took each IP out of each pool.
    actor Removals {
        private var times: [PoolID: [String: Date]] = [:]
        func record(_ address: String, pool: PoolID, at date: Date) { times[pool, default: [:]][address] = date }
        func forget(_ address: String, pool: PoolID) { times[pool]?[address] = nil }
        func removedAt(_ address: String, pool: PoolID) -> Date? { times[pool]?[address] }
    }
}
