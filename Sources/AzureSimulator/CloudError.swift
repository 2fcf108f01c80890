import JSONDocument
/// ARM's error body (§1.2): `{"error": {"code", "message", "target", "details", "additionalInfo"}}`.
enum CloudError {
    static func body(_ code: String, _ message: String, details: [JSONValue] = []) -> JSONValue {
        ["code": .string(code), "message": .string(message), "target": nil, "details": .array(details), "additionalInfo": []]
    }

    static func detail(_ code: String, _ message: String, target: String? = nil) -> JSONValue {
        ["code": .string(code), "message": .string(message), "target": target.map(JSONValue.string) ?? .null]
    }

    static func response(
        _ status: Int, _ code: String, _ message: String, details: [JSONValue] = [], headers: [String: String] = [:]
    ) -> SimulatedResponse {
        .json(status, ["error": body(code, message, details: details)], headers: headers)
    }

    static func methodNotAllowed(_ request: SimulatedRequest) -> SimulatedResponse {
        response(405, "MethodNotAllowed", "The requested method '\(request.method)' is not allowed on '\(request.path)'.")
    }

    static func invalidBody(_ what: String) -> SimulatedResponse {
        response(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: \(what).")
    }
}
