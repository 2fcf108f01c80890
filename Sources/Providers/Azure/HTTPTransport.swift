public import Foundation
import Synchronization
import JSONDocument
import Manifests

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP exchange as the ARM client sees it.
public struct HTTPExchangeRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPExchangeResponse: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Sends one request and returns the response, whatever its status. Throws only when no response came
/// (connection refused, reset, timed out).
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse
}

/// Why a request got no response.
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// URLSession (libcurl under FoundationNetworking on Linux), one session for the client's lifetime.
public struct URLSessionTransport: HTTPTransport {
    private let session: URLSession

    /// - Parameter timeout: how long one request may take, from sending to the last byte.
    public init(timeout: Duration = .seconds(60)) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout.seconds
        configuration.timeoutIntervalForResource = timeout.seconds
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpShouldSetCookies = false
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
    }

    public func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        do {
            // In a task of its own: cancelling a URLSession request in flight can leave its caller
            // waiting for ever on Linux, so a cancelled caller waits for the answer instead (bounded by
            // the request timeout) and drops it.
            let session = self.session
            let request = urlRequest
            let (data, response) = try await Task { try await session.data(for: request) }.value
            guard let http = response as? HTTPURLResponse else { throw TransportFailure("not an HTTP response") }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name] = value }
            }
            return HTTPExchangeResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as URLError {
            throw TransportFailure(Self.describe(error))
        }
    }

    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .timedOut: return "no answer in time"
        case .cannotConnectToHost: return "connection refused"
        case .networkConnectionLost: return "connection lost before the answer"
        case .cannotFindHost: return "unknown host"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate:
            return "TLS failed (\(error.localizedDescription))"
        default: return error.localizedDescription
        }
    }
}

/// Passes every request on to another transport and counts them by path: how many round trips an
/// operation takes (the benchmarks and the tests measure that with it).
public final class CountingTransport: HTTPTransport {
    public let inner: any HTTPTransport
    private let counts = Mutex<[String: Int]>([:])

    public init(_ inner: any HTTPTransport) { self.inner = inner }

    public func send(_ request: HTTPExchangeRequest) async throws -> HTTPExchangeResponse {
        counts.withLock { $0[request.url.path, default: 0] += 1 }
        return try await inner.send(request)
    }

    /// Requests sent since the last reset, by URL path.
    public var byPath: [String: Int] { counts.withLock { $0 } }
    /// Requests sent since the last reset.
    public var total: Int { counts.withLock { $0.values.reduce(0, +) } }
    public func reset() { counts.withLock { $0 = [:] } }
}
