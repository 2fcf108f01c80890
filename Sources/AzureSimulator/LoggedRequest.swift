import JSONDocument
/// One request the simulator answered, as `GET /_simulator/requests` lists it.
public struct LoggedRequest: Sendable, Equatable, Codable {
    /// Position in the log, from 1.
    public var seq: Int
    /// HTTP method.
    public var method: String
    /// Path as sent.
    public var path: String
    /// Raw query string.
    public var query: String
    /// Status answered (0 when the connection was dropped).
    public var status: Int
    /// The `If-Match` header, if any.
    public var ifMatch: String?
    /// The client's `x-ms-client-request-id`, if any.
    public var clientRequestId: String?
    /// The `x-ms-request-id` the simulator sent.
    public var requestId: String
    /// The fault applied to this request, if any (its kind, e.g. `throttle`).
    public var fault: String?

    /// A log entry.
    public init(
        seq: Int, method: String, path: String, query: String, status: Int, ifMatch: String?,
        clientRequestId: String?, requestId: String, fault: String?
    ) {
        self.seq = seq
        self.method = method
        self.path = path
        self.query = query
        self.status = status
        self.ifMatch = ifMatch
        self.clientRequestId = clientRequestId
        self.requestId = requestId
        self.fault = fault
    }
}
