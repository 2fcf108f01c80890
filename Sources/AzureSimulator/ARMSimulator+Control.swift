import Foundation
import JSONDocument

/// The control API under /_simulator/ (no auth): state, request log, faults, and breaking a
/// blob's lease as another party would.
extension ARMSimulator {
    func control(_ parts: [String], _ request: SimulatedRequest) -> SimulatedResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        func encoded(_ value: some Encodable, status: Int = 200) -> SimulatedResponse {
            let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
            return SimulatedResponse(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: body)
        }
        func problem(_ status: Int, _ message: String) -> SimulatedResponse {
            .json(status, ["error": .string(message)])
        }
        switch (request.method, parts) {
        case ("GET", ["state"]):
            return encoded(snapshot())
        case ("GET", ["requests"]):
            return encoded(requestLog)
        case ("DELETE", ["requests"]):
            clearRequestLog()
            return SimulatedResponse(status: 204)
        case ("GET", ["faults"]):
            return encoded(faults)
        case ("POST", ["faults"]):
            let fault: FaultSpec
            do {
                fault = try JSONDecoder().decode(FaultSpec.self, from: request.body)
            } catch let error as DecodingError {
                return problem(400, "the fault is not valid: \(ScenarioKeys.describe(error))")
            } catch {
                return problem(400, "the fault is not JSON: \(error)")
            }
            if let object = JSONValue.parse(request.body)?.objectValue,
                let unknown = object.keys.sorted().first(where: { !FaultSpec.keys.contains($0) })
            {
                return problem(400, "unknown key '\(unknown)' (expected one of: \(FaultSpec.keys.sorted().joined(separator: ", ")))")
            }
            if let message = fault.problem() { return problem(400, message) }
            faults.append(fault)
            return encoded(fault, status: 201)
        case ("DELETE", ["faults"]):
            faults.removeAll()
            return SimulatedResponse(status: 204)
        case ("POST", ["break-lease"]):
            guard let account = request.queryValue("account"), let container = request.queryValue("container"),
                let blob = request.queryValue("blob")
            else { return problem(400, "name the blob: POST /_simulator/break-lease?account=A&container=C&blob=B") }
            guard breakLease(account: account, container: container, blob: blob) else {
                return problem(404, "no leased blob \(blob) in \(account)/\(container)")
            }
            return .json(200, ["account": .string(account), "container": .string(container), "blob": .string(blob), "leaseState": "broken"])
        default:
            return problem(
                404,
                "no control endpoint \(request.method) \(request.path); try GET /_simulator/state, GET|DELETE /_simulator/requests, GET|POST|DELETE /_simulator/faults, POST /_simulator/break-lease?account=&container=&blob=")
        }
    }
}
