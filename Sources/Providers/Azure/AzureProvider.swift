public import Deployer
import Foundation
import JSONDocument
import Synchronization
public import Manifests

/// Wires an environment whose targets are a VM Scale Set into a deploy context: the scale set as the
/// fleet, its Application Gateway pools (if any) as the traffic controller, instance-view health, and
/// the lock as tags on the scale set.
public enum AzureProvider {
    public struct SetupError: Error, CustomStringConvertible {
        public var message: String
        public var badInput: Bool
        public var description: String { message }
    }

    /// - Parameters:
    ///   - lock: the deploy lock when the deploy state is shared (a blob container); nil: tags on the
    ///     scale set, the one place every machine sees.
    ///   - trace: receives one line per ARM request (method, path, status, request ids; never a token).
    public static func context(
        _ environment: Environment, scaleSet spec: VMSSSpec, settings: AzureSettings, events: any EventSink,
        control: DeployControl, lock: (any DeployLock)? = nil, transport: any HTTPTransport = URLSessionTransport(),
        trace: @escaping @Sendable (ARMTraceEntry) -> Void = { _ in }, pollInterval: Duration = .seconds(2)
    ) throws -> DeployContext {
        guard let subscription = spec.subscription ?? settings.subscription else {
            throw SetupError(
                message: "\(environment.name): no Azure subscription: set AZURE_SUBSCRIPTION_ID, or `subscription:` under targets.vmss in \(environment.file)",
                badInput: true)
        }
        let tokens = TokenCache(settings.tokenSource(transport: transport))
        var policy = ARMPolicy()
        policy.operationDeadline = spec.operationTimeout
        policy.defaultPollInterval = pollInterval
        let arm = ARMClient(endpoint: settings.endpoint, tokens: tokens, transport: transport, policy: policy, trace: trace)
        let client = ScaleSetClient(arm: arm, subscription: subscription, resourceGroup: spec.resourceGroup, name: spec.name)
        let directory = ScaleSetDirectory(client: client)
        let extensionName: String?
        switch environment.action {
        case .vmssModelUpdate(let update): extensionName = update.forceUpdateExtension
        default:
            throw SetupError(message: "\(environment.name): a scale set is updated with `deploy.vmss-model-update`", badInput: true)
        }
        var pools: [ApplicationGatewayTrafficController.Pool] = []
        var gateways: [ApplicationGatewayClient] = []
        for balancer in environment.loadBalancers {
            guard case .applicationGateway(let pool) = balancer else {
                throw SetupError(
                    message: "\(environment.name): load balancer \(balancer.name) is not an Application Gateway; a scale set can "
                        + "only be drained from Application Gateway pools in this version",
                    badInput: true)
            }
            let gateway = ApplicationGatewayClient(
                arm: arm, subscription: pool.subscription ?? subscription, resourceGroup: pool.resourceGroup, name: pool.gateway)
            gateways.append(gateway)
            pools.append(
                ApplicationGatewayTrafficController.Pool(
                    id: PoolID(pool.name), spec: pool,
                    editor: GatewayEditors.shared.editor(for: gateway, events: events, deadline: spec.operationTimeout)))
        }
        let health: any HealthProbe
        switch environment.health {
        case .provider: health = ScaleSetHealthProbe(directory: directory, missingHealth: spec.missingHealth)
        case .http, .loadBalancer:
            throw SetupError(
                message: "\(environment.name): a scale set's health is its instance view: use `health: {provider: true}`",
                badInput: true)
        }
        return DeployContext(
            fleet: ScaleSetFleet(directory: directory, extensionName: extensionName, operationTimeout: spec.operationTimeout, events: events),
            traffic: ApplicationGatewayTrafficController(pools: pools, directory: directory), health: health,
            lock: lock ?? ScaleSetTagLock(client: client), events: events, control: control, pollInterval: pollInterval,
            metrics: gateways.isEmpty ? nil : ApplicationGatewayTrafficMetrics(gateways: gateways, directory: directory))
    }
}

/// One editor per gateway in this process, so every write to a gateway goes through one queue even
/// when two environments name the same gateway.
final class GatewayEditors: Sendable {
    static let shared = GatewayEditors()
    private let editors = Mutex<[String: GatewayPoolEditor]>([:])

    func editor(for client: ApplicationGatewayClient, events: any EventSink, deadline: Duration) -> GatewayPoolEditor {
        let key = "\(client.arm.endpoint.absoluteString)|\(client.path.lowercased())"
        return editors.withLock { editors in
            if let existing = editors[key] { return existing }
            let editor = GatewayPoolEditor(client: client, events: events, deadline: deadline)
            editors[key] = editor
            return editor
        }
    }
}
