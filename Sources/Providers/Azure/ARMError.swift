import Foundation
import JSONDocument

/// A failed ARM call, as ARM described it: the HTTP status, ARM's `error.code` and message, and the
/// request ids to quote to Azure support. Never carries a token or a secret.
public struct ARMError: Error, Sendable, CustomStringConvertible {
    /// What deployer was doing: "PUT applicationGateways/appgw-backend-prod".
    public var operation: String
    /// The HTTP status; 200 for an operation that ended Failed or Canceled (its status poll answered 200).
    public var status: Int?
    /// ARM's `error.code` (`PreconditionFailed`, `VMExtensionProvisioningError`, …), or nil.
    public var code: String?
    public var message: String
    /// The codes of `error.details[]` (`PreconditionFailedEtagMismatch`, `CanceledAndSupersededDueToAnotherOperation`).
    public var detailCodes: [String]
    public var requestID: String?
    public var correlationID: String?
    /// The long-running operation's id, when the failure is its final status.
    public var operationID: String?
    /// How long ARM asked to wait before trying again (`Retry-After`), if it said.
    public var retryAfter: Duration?

    public init(
        operation: String, status: Int?, code: String?, message: String, detailCodes: [String] = [],
        requestID: String? = nil, correlationID: String? = nil, operationID: String? = nil
    ) {
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        self.detailCodes = detailCodes
        self.requestID = requestID
        self.correlationID = correlationID
        self.operationID = operationID
    }

    /// Whether ARM said this code, here or in the details.
    public func has(_ code: String) -> Bool {
        self.code?.caseInsensitiveCompare(code) == .orderedSame
            || detailCodes.contains { $0.caseInsensitiveCompare(code) == .orderedSame }
    }

    public var description: String {
        var text = "\(operation): "
        if let status, operationID == nil { text += "HTTP \(status) " }
        if let code { text += "\(code): " }
        text += message
        if !detailCodes.isEmpty { text += " (\(detailCodes.joined(separator: ", ")))" }
        var ids: [String] = []
        if let operationID { ids.append("operation \(operationID)") }
        if let requestID { ids.append("request id \(requestID)") }
        if !ids.isEmpty { text += " [\(ids.joined(separator: ", "))]" }
        return text
    }

    /// Reads a CloudError body: `{"error":{…}}`, or the same fields at the top level (a compute 429 has
    /// no wrapper).
    static func fromResponse(_ response: HTTPExchangeResponse, operation: String) -> ARMError {
        let body = JSONValue.parse(response.body)
        let error = body.map { $0.member("error").isNull ? $0 : $0.member("error") } ?? .null
        let code = error.member("code").string
        var message = error.member("message").string ?? error.member("error_description").string
        if message == nil {
            let text = String(decoding: response.body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            message = text.isEmpty ? HTTPURLResponseText.reason(response.status) : text
        }
        var failure = ARMError(
            operation: operation, status: response.status, code: code, message: message ?? "",
            detailCodes: error.member("details").array.compactMap { $0.member("code").string },
            requestID: response.header("x-ms-request-id"), correlationID: response.header("x-ms-correlation-request-id"))
        failure.retryAfter = ARMClient.retryAfter(response)
        return failure
    }
}

/// Standard reason phrases for statuses ARM answers without a body.
enum HTTPURLResponseText {
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 412: return "Precondition Failed"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "HTTP \(status)"
        }
    }
}
