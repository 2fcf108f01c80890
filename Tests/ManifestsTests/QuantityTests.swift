import Manifests
import Testing

@Suite struct QuantityTests {
    @Test func percentagesOfSmallFleetsRoundSoTheyCanStillRoll() {
        #expect(Quantity.percent(25).resolve(of: 2, rounding: .upAtLeastOne) == 1)
        #expect(Quantity.percent(10).resolve(of: 10_000, rounding: .upAtLeastOne) == 1000)
        #expect(Quantity.percent(50).resolve(of: 3, rounding: .down) == 1)
        #expect(Quantity.percent(100).resolve(of: 7, rounding: .down) == 7)
        #expect(Quantity.count(3).resolve(of: 2, rounding: .down) == 3)
    }

    @Test func durationsParseAsManifestsWriteThem() {
        #expect(Duration(manifestText: "2m") == .seconds(120))
        #expect(Duration(manifestText: "1m30s") == .seconds(90))
        #expect(Duration(manifestText: "250ms") == .milliseconds(250))
        #expect(Duration(manifestText: "1.5") == .milliseconds(1500))
        #expect(Duration(manifestText: "5 minutes") == nil)
        #expect(Duration(manifestText: "-1s") == nil)
        #expect(Duration.seconds(120).manifestText == "2m")
    }
}
