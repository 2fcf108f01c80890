import Digests
import Foundation
import JSONDocument

/// How requests to a storage account are authorised: a bearer token for Azure Storage (the
/// credentials deployer uses for Resource Manager), or the account's key (Shared Key signatures).
/// Neither the token nor the key is ever printed, logged or journaled.
public enum BlobAuthorization: Sendable {
    case bearer(TokenCache)
    case sharedKey(account: String, key: [UInt8])
}

/// A failed Blob service request, as the service described it (status, `x-ms-error-code`, request id).
struct BlobError: Error, CustomStringConvertible {
    var operation: String
    var status: Int?
    var code: String?
    var message: String
    var requestID: String?

    var description: String {
        var text = "\(operation): "
        if let status { text += "HTTP \(status) " }
        if let code { text += "\(code): " }
        text += message
        if let requestID { text += " [request id \(requestID)]" }
        return text
    }
}

/// One storage account's Blob service: signs, sends and retries requests, and reads its errors.
/// Transient failures (no answer, 500, 503) are tried again three times; every other answer is
/// returned to the caller, whose conditional headers decide what a 409 or 412 means.
struct BlobService: Sendable {
    /// The account's blob endpoint (`https://NAME.blob.core.windows.net/`, or the simulator's).
    let endpoint: URL
    let authorization: BlobAuthorization
    let transport: any HTTPTransport
    /// The service version deployer speaks.
    static let version = "2023-11-03"

    /// Sends `method` to `path` (`container` or `container/blob`, unencoded) and returns the answer,
    /// whatever its status.
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], headers: [String: String] = [:], body: Data = Data()
    ) async throws -> HTTPExchangeResponse {
        let url = try url(path, query: query)
        let operation = "\(method) \(path)\(query.isEmpty ? "" : "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&"))"
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            var all = headers
            all["x-ms-version"] = Self.version
            all["x-ms-date"] = Self.httpDate(Date())
            all["x-ms-client-request-id"] = UUID().uuidString.lowercased()
            if method == "PUT" || !body.isEmpty {
                all["Content-Length"] = String(body.count)
                if all["Content-Type"] == nil { all["Content-Type"] = "application/octet-stream" }
            }
            var token: AccessToken?
            switch authorization {
            case .bearer(let cache):
                let current = try await cache.token()
                token = current
                all["Authorization"] = "Bearer \(current.value)"
            case .sharedKey(let account, let key):
                all["Authorization"] = "SharedKey \(account):" + Self.signature(method: method, url: url, headers: all, account: account, key: key)
            }
            let response: HTTPExchangeResponse
            do {
                response = try await transport.send(HTTPExchangeRequest(method: method, url: url, headers: all, body: method == "PUT" || !body.isEmpty ? body : nil))
            } catch {
                guard attempt <= 3 else { throw BlobError(operation: operation, status: nil, code: nil, message: "no answer: \(error)") }
                try await Task.sleep(for: .milliseconds(250 << attempt))
                continue
            }
            if response.status == 401 || response.status == 403, !refreshed, case .bearer(let cache) = authorization, let token {
                refreshed = true
                await cache.invalidate(token)
                continue
            }
            if [500, 503].contains(response.status), attempt <= 3 {
                try await Task.sleep(for: .milliseconds(250 << attempt))
                continue
            }
            return response
        }
    }

    /// The error an unexpected answer stands for.
    static func error(_ response: HTTPExchangeResponse, _ operation: String) -> BlobError {
        let text = String(decoding: response.body, as: UTF8.self)
        let code = response.header("x-ms-error-code") ?? Self.element("Code", in: text)
        let message = Self.element("Message", in: text)?.split(separator: "\n").first.map(String.init) ?? "no message"
        return BlobError(operation: operation, status: response.status, code: code, message: message, requestID: response.header("x-ms-request-id"))
    }

    // MARK: URLs and signatures

    private func url(_ path: String, query: [(String, String)]) throws -> URL {
        var base = endpoint.absoluteString
        if !base.hasSuffix("/") { base += "/" }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~/"))
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        var text = base + encoded
        if !query.isEmpty {
            let value = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            text += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: value) ?? $0.1)" }.joined(separator: "&")
        }
        guard let url = URL(string: text) else { throw BlobError(operation: path, status: nil, code: nil, message: "not a URL: \(text)") }
        return url
    }

    /// The Shared Key signature of a request (Azure Storage's string-to-sign for versions since
    /// 2009-09-19): the standard headers in their order, the `x-ms-*` headers sorted, then the
    /// resource: `/account` + the URL's path + each query parameter, sorted, on a line of its own.
    static func signature(method: String, url: URL, headers: [String: String], account: String, key: [UInt8]) -> String {
        let lowered = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        func header(_ name: String) -> String { lowered[name] ?? "" }
        let length = header("content-length") == "0" ? "" : header("content-length")
        var lines = [
            method, header("content-encoding"), header("content-language"), length, header("content-md5"), header("content-type"),
            lowered["x-ms-date"] == nil ? header("date") : "", header("if-modified-since"), header("if-match"), header("if-none-match"),
            header("if-unmodified-since"), header("range"),
        ]
        for (name, value) in lowered.filter({ $0.key.hasPrefix("x-ms-") }).sorted(by: { $0.key < $1.key }) {
            lines.append("\(name):\(value.trimmingCharacters(in: .whitespaces))")
        }
        var resource = "/\(account)\(url.path(percentEncoded: true))"
        var parameters: [String: [String]] = [:]
        for item in URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? [] {
            parameters[item.name.lowercased(), default: []].append(item.value ?? "")
        }
        for name in parameters.keys.sorted() {
            resource += "\n\(name):" + (parameters[name] ?? []).sorted().joined(separator: ",")
        }
        lines.append(resource)
        let mac = Digests.hmacSHA256(key: key, Array(lines.joined(separator: "\n").utf8))
        return Data(mac).base64EncodedString()
    }

    /// RFC 1123 time, as `x-ms-date` wants it.
    static func httpDate(_ date: Date) -> String {
        var style = Date.VerbatimFormatStyle(
            format: "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT",
            locale: Locale(identifier: "en_US_POSIX"), timeZone: .gmt, calendar: Calendar(identifier: .gregorian))
        style.calendar = Calendar(identifier: .gregorian)
        return date.formatted(style)
    }

    /// The text of the first `<name>` element of a small XML document (error bodies, list answers).
    static func element(_ name: String, in text: String) -> String? {
        guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex)
        else { return nil }
        return unescape(String(text[start.upperBound..<end.lowerBound]))
    }

    /// Every `<name>` element's text, in order.
    static func elements(_ name: String, in text: String) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "<\(name)>"), let end = rest.range(of: "</\(name)>", range: start.upperBound..<rest.endIndex) {
            found.append(unescape(String(rest[start.upperBound..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return found
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
