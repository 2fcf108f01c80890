public import Foundation
public import JSONDocument

/// One HTTP request as the simulator sees it, independent of any socket.
public struct SimulatedRequest: Sendable {
    /// The HTTP method, e.g. GET.
    public var method: String
    /// The path as sent, still percent-encoded.
    public var path: String
    /// The raw query string (without `?`), still percent-encoded.
    public var query: String
    /// Request headers; look them up with `header(_:)`, which ignores case.
    public var headers: [String: String]
    /// The body bytes.
    public var body: Data
    /// `http` or `https`: from `X-Forwarded-Proto` when a TLS terminator sets it.
    public var scheme: String
    /// `host:port` the client called (its `Host` header), used for every absolute URL returned.
    public var host: String

    /// A request; `fallbackHost` is used when there is no `Host` header.
    public init(
        method: String, path: String, query: String = "", headers: [String: String] = [:], body: Data = Data(),
        fallbackHost: String = "127.0.0.1"
    ) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        let forwarded = headers.first { $0.key.lowercased() == "x-forwarded-proto" }?.value
            .split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        scheme = forwarded == "https" ? "https" : "http"
        let hostHeader = headers.first { $0.key.lowercased() == "host" }?.value ?? ""
        host = hostHeader.isEmpty ? fallbackHost : hostHeader
    }

    /// A header's value, whatever the case of its name.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.key.lowercased() == wanted }?.value
    }

    /// `scheme://host:port`, the base of every URL the simulator hands back.
    public var baseURL: String { scheme + "://" + host }

    /// The query's items, percent-decoded (`+` is a space only in form bodies, not here), so
    /// `$filter` and `%24filter` are the same key.
    var queryItems: [(name: String, value: String)] {
        Self.decodeItems(query, plusIsSpace: false)
    }

    /// The first value of a query parameter, matching its name case-insensitively.
    func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as an `application/x-www-form-urlencoded` form.
    var formItems: [String: String] {
        var result: [String: String] = [:]
        for item in Self.decodeItems(String(decoding: body, as: UTF8.self), plusIsSpace: true) where result[item.name] == nil {
            result[item.name] = item.value
        }
        return result
    }

    static func decodeItems(_ text: String, plusIsSpace: Bool) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = plusIsSpace ? part.replacingOccurrences(of: "+", with: " ") : String(part)
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Path segments, percent-decoded.
    var segments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
    }
}

/// The simulator's answer to one request.
public struct SimulatedResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// Response headers.
    public var headers: [String: String]
    /// The body bytes (JSON, or empty).
    public var body: Data
    /// When true the server closes the connection without sending anything (fault `reset`).
    public var dropConnection: Bool

    /// A response; JSON bodies get their Content-Type from `json(_:)`.
    public init(status: Int, headers: [String: String] = [:], body: Data = Data(), dropConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.dropConnection = dropConnection
    }

    /// A JSON response.
    static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> SimulatedResponse {
        var all = headers
        all["Content-Type"] = "application/json; charset=utf-8"
        return SimulatedResponse(status: status, headers: all, body: value.data)
    }

    /// A header's value, whatever the case of its name.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.key.lowercased() == wanted }?.value
    }

    /// The body parsed as JSON (nil when empty or not JSON).
    public var json: JSONValue? { JSONValue.parse(body) }
}
