import AzureSimulator
import Testing

@Suite struct SimulatorInfoTests {
    @Test func hasAName() { #expect(SimulatorInfo.name == "deployer-arm-simulator") }
}
