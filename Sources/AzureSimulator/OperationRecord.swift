import Foundation
import JSONDocument

/// One long-running operation: what it will do when it ends, how it ends, and when.
struct OperationRecord: Sendable {
    enum Work: Sendable {
        /// Extension PUT: the model changed (or not) at PUT time; the extension's state settles.
        case extensionUpdate(scaleSet: Int, name: String)
        /// Scale-set PUT/PATCH of the model.
        case modelUpdate(scaleSet: Int)
        /// manualupgrade of these instances.
        case manualUpgrade(scaleSet: Int, instances: [String])
        /// Gateway PUT. `previous` is the document before it, for lost-update and superseded faults.
        case gatewayUpdate(gateway: Int, previous: JSONValue)
    }

    /// How the operation ends.
    enum Outcome: Sendable {
        case succeed
        case fail(code: String, message: String)
        case cancel(code: String, message: String, details: [JSONValue])
    }

    let id: String
    let provider: ARMRoute.Provider
    let description: String
    let work: Work
    var outcome: Outcome
    let startTime: Date
    /// Real timing: when it ends. Nil when it ends by polls only (virtual timing, stuck).
    var finishAt: Date?
    /// Status polls still answered InProgress before it ends; nil when it ends by time only.
    var pollsLeft: Int?
    /// Whether it ever ends (false for a `stuck` fault without polls).
    var ends = true
    var status = "InProgress"
    var endTime: Date?
    var error: JSONValue?
    /// Final health after an `unhealthy` fault.
    var finalHealth: FaultSpec.Health?
    /// Gateway: whether the change is reverted at the end (lost update) or never applied (superseded).
    var revertAtEnd = false

    var isTerminal: Bool { status != "InProgress" }

    /// The body of the Azure-AsyncOperation status resource.
    func statusBody() -> JSONValue {
        var body: JSONValue = [
            "name": .string(id), "status": .string(status), "startTime": .string(Self.timestamp(startTime)),
        ]
        if provider == .network { body["id"] = .string(id) }
        if let endTime { body["endTime"] = .string(Self.timestamp(endTime)) }
        if let error { body["error"] = error }
        return body
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
