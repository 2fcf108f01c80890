import Foundation
import Glibc
import Synchronization

/// Counts open connections so shutdown can wait for in-flight requests to finish.
final class ConnectionTracker: Sendable {
    private let open = Mutex<Int>(0)
    /// Set once the listening socket is closed: idle connections close, responses say `Connection: close`.
    let draining = Atomic<Bool>(false)
    /// Requests answered on `/` and `/slow`, to pick which ones a faulty version fails.
    let answered = Atomic<Int>(0)

    func opened() { open.withLock { $0 += 1 } }
    func closed() { open.withLock { $0 -= 1 } }
    var openCount: Int { open.withLock { $0 } }
    var isDraining: Bool { draining.load(ordering: .sequentiallyConsistent) }
}

/// The lab's backend: a tiny HTTP/1.1 server on 127.0.0.1 that reports its version and port.
struct HTTPServer: Sendable {
    let port: UInt16
    let version: String
    let pidFile: String?

    /// How long shutdown waits for in-flight requests (the longest `/slow` is 120 s).
    static let drainLimit: Duration = .seconds(130)

    /// Serves until SIGINT/SIGTERM, then drains and returns. Throws when it cannot listen.
    func run() throws(LabError) {
        guard let wake = try Signals.installTerminationHandler(wakePipe: true) else { return }
        let listener = try Sockets.listen(port: port)
        if let pidFile {
            do {
                try PidFile.write(getpid(), to: pidFile)
            } catch {
                close(listener)
                throw error
            }
        }
        log("listening on 127.0.0.1:\(port) (pid \(getpid()))")
        let tracker = ConnectionTracker()
        acceptLoop(listener: listener, wake: wake, tracker: tracker)
        close(listener)
        tracker.draining.store(true, ordering: .sequentiallyConsistent)
        log("stopping: listener closed, \(tracker.openCount) connection(s) open")
        let deadline = ContinuousClock.now + Self.drainLimit
        while tracker.openCount > 0, !deadline.hasPassed {
            Threads.sleep(milliseconds: 10)
        }
        if let pidFile { PidFile.remove(pidFile, ifOwnedBy: getpid()) }
        log("stopped (\(tracker.openCount) connection(s) left open)")
    }

    private func acceptLoop(listener: Int32, wake: Int32, tracker: ConnectionTracker) {
        let connection = HTTPConnection(version: version, port: port, tracker: tracker)
        while !Signals.requested {
            var entries = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&entries, 2, 1000)
            guard ready > 0, entries[0].revents != 0, !Signals.requested else { continue }
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { break }
                // accept4 is not imported; the window before FD_CLOEXEC is harmless (serve spawns nothing).
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                Sockets.setNonBlocking(fd, false)
                tracker.opened()
                do {
                    _ = try Threads.start(detached: true) { connection.serve(fd) }
                } catch {
                    close(fd)
                    tracker.closed()
                }
            }
        }
    }

    private func log(_ message: String) {
        Console.error("serve \(version) 127.0.0.1:\(port): \(message)")
    }
}

/// One client connection: requests in order, keep-alive until the client or a drain closes it.
struct HTTPConnection: Sendable {
    let version: String
    let port: UInt16
    let tracker: ConnectionTracker

    static let idleTimeout: Duration = .seconds(60)
    static let headerTimeout: Duration = .seconds(10)
    static let maximumHead = 32_768

    func serve(_ fd: Int32) {
        defer {
            close(fd)
            tracker.closed()
        }
        var buffer: [UInt8] = []
        var lastActivity = ContinuousClock.now
        while true {
            switch HTTPRequestHead.parse(buffer) {
            case .malformed:
                _ = respond(fd, status: 400, body: "bad request\n", close: true)
                return
            case .complete(let request, let length):
                buffer.removeFirst(length)
                let (status, body) = answer(request)
                let closing = !request.keepAlive || tracker.isDraining
                guard respond(fd, status: status, body: body, close: closing), !closing else { return }
                lastActivity = .now
                continue
            case .incomplete:
                if buffer.count > Self.maximumHead {
                    _ = respond(fd, status: 431, body: "request header too large\n", close: true)
                    return
                }
            }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, 100)
            if ready < 0, errno != EINTR { return }
            if ready <= 0 {
                if buffer.isEmpty, tracker.isDraining { return }
                let limit = buffer.isEmpty ? Self.idleTimeout : Self.headerTimeout
                if ContinuousClock.now - lastActivity > limit { return }
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            buffer.append(contentsOf: chunk[0..<count])
            lastActivity = .now
        }
    }

    /// A version whose name ends in `-faulty` answers every fifth request to `/` and `/slow` with a
    /// 500 (its health check still passes: a bad release a health check alone lets through).
    var isFaulty: Bool { version.hasSuffix("-faulty") }

    /// Routes: /health, /, /slow?ms=N; everything else is 404.
    func answer(_ request: HTTPRequestHead) -> (Int, String) {
        let reply = "\(version) \(port)\n"
        guard request.method == "GET" else { return (404, "not found\n") }
        if request.path == "/" || request.path == "/slow", isFaulty {
            let count = tracker.answered.wrappingAdd(1, ordering: .relaxed).newValue
            if count % 5 == 0 { return (500, "\(version) \(port): internal error (a faulty version)\n") }
        }
        switch request.path {
        case "/health":
            return (200, "ok")
        case "/":
            return (200, reply)
        case "/slow":
            let text = request.query["ms"] ?? "0"
            guard let requested = Int(text), requested >= 0 else { return (400, "ms must be a whole number of milliseconds\n") }
            let deadline = ContinuousClock.now + .milliseconds(min(requested, 120_000))
            while !deadline.hasPassed {
                Threads.sleep(milliseconds: min(100, max(1, Int(deadline.millisecondsLeft))))
            }
            return (200, reply)
        default:
            return (404, "not found\n")
        }
    }

    private func respond(_ fd: Int32, status: Int, body: String, close: Bool) -> Bool {
        let reasons = [
            200: "OK", 400: "Bad Request", 404: "Not Found", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
        ]
        let payload = Array(body.utf8)
        let head =
            "HTTP/1.1 \(status) \(reasons[status] ?? "Error")\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(payload.count)\r\n"
            + "Connection: \(close ? "close" : "keep-alive")\r\n\r\n"
        let sent = Sockets.sendAll(fd, Array(head.utf8) + payload, deadline: .now + .seconds(10))
        if case .success = sent { return true }
        return false
    }
}

/// A parsed request head: request line, the headers we use, and the connection's fate.
struct HTTPRequestHead: Sendable, Equatable {
    let method: String
    let path: String
    let query: [String: String]
    let keepAlive: Bool

    enum Parse: Sendable, Equatable {
        case incomplete
        case malformed
        /// `length` covers the head and any body (which is read and ignored).
        case complete(HTTPRequestHead, length: Int)
    }

    static func parse(_ buffer: [UInt8]) -> Parse {
        guard let end = headEnd(buffer) else { return .incomplete }
        let text = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else { return .malformed }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return .malformed }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var bodyLength = 0
        if let value = headers["content-length"] {
            guard let length = Int(value), length >= 0, length <= 1_048_576 else { return .malformed }
            bodyLength = length
        }
        if headers["transfer-encoding"] != nil { return .malformed }
        let total = end + 4 + bodyLength
        guard buffer.count >= total else { return .incomplete }
        let connection = (headers["connection"] ?? "").lowercased()
        let keepAlive = parts[2] == "HTTP/1.0" ? connection.contains("keep-alive") : !connection.contains("close")
        let target = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if target.count == 2 {
            for pair in target[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[String(keyValue[0])] = keyValue.count == 2 ? String(keyValue[1]) : ""
            }
        }
        let head = HTTPRequestHead(method: parts[0], path: String(target[0]), query: query, keepAlive: keepAlive)
        return .complete(head, length: total)
    }

    /// Index of the blank line's `\r\n\r\n`, if the head is complete.
    static func headEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }
}
