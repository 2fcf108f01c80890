import JSONDocument
/// The ARM simulator: a loopback HTTP server speaking Azure Resource Manager's wire format.
public enum SimulatorInfo {
    /// The name the simulator reports in `x-ms-routing-request-id` and its logs.
    public static let name = "deployer-arm-simulator"
}
