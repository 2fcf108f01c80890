import FlyingFox
import FlyingSocks
import Foundation
import JSONDocument
import Synchronization

/// Puts an `ARMSimulator` on a TCP port of 127.0.0.1 (never another interface). HTTP/1.1 with
/// keep-alive, request bodies and concurrent connections. HTTPS comes from `startTLS` (the simulator's
/// own TLS terminator) or from one in front that sets `X-Forwarded-Proto: https`.
public final class ARMSimulatorServer: Sendable {
    /// The simulator answering requests.
    public let simulator: ARMSimulator
    /// The port actually listened on (the ephemeral one picked when started with port 0).
    public let port: UInt16
    private let server: HTTPServer
    private let task: Task<Void, Never>

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(simulator: ARMSimulator, port: UInt16, server: HTTPServer, task: Task<Void, Never>) {
        self.simulator = simulator
        self.port = port
        self.server = server
        self.task = task
    }

    /// Starts listening on 127.0.0.1:`port` (0 = an ephemeral port) and returns once it accepts
    /// connections. `verbose` logs one line per request to stderr (no headers, no bodies).
    /// `forwardedProto`: the scheme to assume when a request does not say (`https` behind this
    /// process's own TLS terminator), for the absolute URLs the simulator hands out.
    public static func start(
        _ simulator: ARMSimulator, port: UInt16 = 0, verbose: Bool = false, forwardedProto: String? = nil
    ) async throws -> ARMSimulatorServer {
        let address: sockaddr_in
        do {
            address = try sockaddr_in.inet(ip4: "127.0.0.1", port: port)
        } catch {
            throw SimulatorError("cannot make the address 127.0.0.1:\(port): \(error)")
        }
        let handler = Handler(simulator: simulator, verbose: verbose, fallbackHost: "127.0.0.1:\(port)", forwardedProto: forwardedProto)
        // Generous handler timeout: `delay` faults may hold an answer for minutes on purpose.
        let server = HTTPServer(
            address: address, timeout: 3600, pool: NoDelaySocketPool(base: HTTPServer.defaultPool()), logger: .disabled,
            handler: handler)
        let failure = Mutex<String?>(nil)
        // Off the cooperative pool: child tasks and the simulator actor follow this preference.
        let task = Task(executorPreference: DispatchTaskExecutor()) {
            do {
                try await server.run()
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        // Bounded wait: 10 s for the socket to listen, or the reason it could not.
        for _ in 0..<200 {
            if await server.isListening, let listening = await server.listeningAddress, case .ip4(_, let actual) = listening {
                handler.fallbackHost.withLock { $0 = "127.0.0.1:\(actual)" }
                return ARMSimulatorServer(simulator: simulator, port: actual, server: server, task: task)
            }
            if let reason = failure.withLock({ $0 }) {
                throw SimulatorError("cannot listen on 127.0.0.1:\(port): \(reason) (is the port already in use?)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        throw SimulatorError("the simulator did not start listening on 127.0.0.1:\(port) within 10 seconds")
    }

    /// HTTPS on 127.0.0.1:`port` (0 = a free one) with a PEM certificate chain and key: this process's
    /// TLS terminator in front of an HTTP listener of its own (on a free port, for it alone) that
    /// hands out https URLs.
    public static func startTLS(
        _ simulator: ARMSimulator, port: UInt16 = 0, certificate: String, key: String, verbose: Bool = false
    ) async throws -> HTTPS {
        let inner = try await start(simulator, port: 0, verbose: verbose, forwardedProto: "https")
        do {
            let terminator = try TLSTerminator(port: port, certificate: certificate, key: key, upstream: inner.port)
            return HTTPS(inner: inner, terminator: terminator)
        } catch {
            await inner.stop()
            throw error
        }
    }

    /// The simulator over HTTPS.
    public final class HTTPS: Sendable {
        let inner: ARMSimulatorServer
        let terminator: TLSTerminator
        public var port: UInt16 { terminator.port }
        /// `https://127.0.0.1:PORT`.
        public var baseURL: String { "https://127.0.0.1:\(port)" }

        init(inner: ARMSimulatorServer, terminator: TLSTerminator) {
            self.inner = inner
            self.terminator = terminator
        }

        public func stop() async {
            terminator.stop()
            await inner.stop()
        }
    }

    /// Stops listening and closes open connections (waits at most about a second for them).
    public func stop() async {
        await server.stop(timeout: 1)
        task.cancel()
    }

    /// Turns FlyingFox requests into `SimulatedRequest`s and back.
    private final class Handler: HTTPHandler {
        let simulator: ARMSimulator
        let verbose: Bool
        /// Host used for absolute URLs when a request has no Host header (HTTP/1.0).
        let fallbackHost: Mutex<String>
        let forwardedProto: String?

        init(simulator: ARMSimulator, verbose: Bool, fallbackHost: String, forwardedProto: String?) {
            self.simulator = simulator
            self.verbose = verbose
            self.fallbackHost = Mutex(fallbackHost)
            self.forwardedProto = forwardedProto
        }

        func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
            var headers: [String: String] = [:]
            for (name, value) in request.headers {
                headers[name.rawValue] = headers[name.rawValue].map { $0 + ", " + value } ?? value
            }
            if let forwardedProto, !headers.keys.contains(where: { $0.lowercased() == "x-forwarded-proto" }) {
                headers["X-Forwarded-Proto"] = forwardedProto
            }
            let simulated = SimulatedRequest(
                method: request.method.rawValue, path: request.target.path(), query: request.target.query(), headers: headers,
                body: try await request.bodyData, fallbackHost: fallbackHost.withLock { $0 })
            let answer = await simulator.handle(simulated)
            if verbose {
                let line = "\(simulated.method) \(simulated.path)\(simulated.query.isEmpty ? "" : "?" + simulated.query) → \(answer.dropConnection ? "connection dropped" : String(answer.status))\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            if answer.dropConnection { return HTTPResponse(webSocket: DropConnection()) }
            var responseHeaders = HTTPHeaders()
            for (name, value) in answer.headers { responseHeaders[HTTPHeader(name)] = value }
            return HTTPResponse(
                statusCode: HTTPStatusCode(answer.status, phrase: Self.phrase(answer.status)), headers: responseHeaders,
                body: answer.body)
        }

        static func phrase(_ status: Int) -> String {
            [
                200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content", 304: "Not Modified",
                400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
                409: "Conflict", 412: "Precondition Failed", 413: "Request Entity Too Large",
                416: "Requested Range Not Satisfiable", 429: "Too Many Requests", 500: "Internal Server Error",
                503: "Service Unavailable",
            ][status] ?? "Status \(status)"
        }
    }

    /// FlyingFox writes nothing before asking a WebSocket handler for its frames, and closes the
    /// connection when that throws: the way to hang up without answering (fault `reset`).
    private struct DropConnection: WSHandler {
        struct Hangup: Error {}

        func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
            throw Hangup()
        }
    }
}
