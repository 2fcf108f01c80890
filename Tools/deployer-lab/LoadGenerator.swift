import Foundation
import Glibc
import Synchronization

/// One URL the load generator requests: a loopback endpoint and a path.
struct LoadTarget: Sendable, Equatable {
    let endpoint: LoopbackEndpoint
    let hostHeader: String
    let path: String

    /// Accepts `http://HOST[:PORT][/path]` with a loopback HOST; anything else is refused.
    init(url text: String) throws(LabError) {
        guard let components = URLComponents(string: text), components.scheme?.lowercased() == "http",
            let host = components.host, !host.isEmpty
        else { throw LabError("\(text) is not an http:// URL (the lab speaks plain HTTP to 127.0.0.1)") }
        let port = components.port ?? 80
        guard (1...65535).contains(port) else { throw LabError("\(text): bad port \(port)") }
        endpoint = try LoopbackEndpoint(host: host, port: UInt16(port))
        hostHeader = components.port == nil ? host : "\(host):\(port)"
        let query = components.percentEncodedQuery.map { "?\($0)" } ?? ""
        path = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath) + query
    }
}

/// What the load generator is told to do.
struct LoadPlan: Sendable {
    let targets: [LoadTarget]
    let concurrency: Int
    let duration: Duration
    let maxRequests: Int
    let stopFile: String?
    let requestTimeout: Duration
}

/// Counts of one run; `failures` maps a reason (`connection refused`, `HTTP 503`) to its count.
struct LoadReport: Sendable, Equatable {
    var sent = 0
    var ok = 0
    var failures: [String: Int] = [:]
    var seconds = 0.0

    var failed: Int { failures.values.reduce(0, +) }

    /// The most frequent reasons first, at most `limit`.
    func topFailures(_ limit: Int = 5) -> [(reason: String, count: Int)] {
        failures.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { (reason: $0.key, count: $0.value) }
    }

    mutating func merge(_ other: LoadReport) {
        sent += other.sent
        ok += other.ok
        failures.merge(other.failures, uniquingKeysWith: +)
    }
}

/// Shared between the supervisor and the workers.
private final class LoadState: Sendable {
    let stop = Atomic<Bool>(false)
    let issued = Atomic<Int>(0)
    let finishedWorkers = Atomic<Int>(0)
    let totals = Mutex(LoadReport())
}

/// Worker threads sending `GET` requests, each on a fresh connection, until told to stop.
struct LoadGenerator: Sendable {
    let plan: LoadPlan

    /// Runs to the end of the duration, max-requests, a signal or the stop file; bounded by
    /// the duration plus one request timeout.
    func run() throws(LabError) -> LoadReport {
        try Signals.installTerminationHandler()
        let state = LoadState()
        let start = ContinuousClock.now
        var threads: [pthread_t] = []
        for _ in 0..<plan.concurrency {
            do {
                threads.append(try Threads.start { [plan] in Self.work(plan, state) })
            } catch {
                state.stop.store(true, ordering: .sequentiallyConsistent)
                threads.forEach(Threads.join)
                throw error
            }
        }
        let end = start + plan.duration
        while !end.hasPassed, !Signals.requested,
            state.finishedWorkers.load(ordering: .sequentiallyConsistent) < plan.concurrency,
            !(plan.stopFile.map { access($0, F_OK) == 0 } ?? false)
        {
            Threads.sleep(milliseconds: min(50, max(1, Int(end.millisecondsLeft))))
        }
        state.stop.store(true, ordering: .sequentiallyConsistent)
        threads.forEach(Threads.join)
        var report = state.totals.withLock { $0 }
        report.seconds = (ContinuousClock.now - start).seconds
        return report
    }

    private static func work(_ plan: LoadPlan, _ state: LoadState) {
        var local = LoadReport()
        while !state.stop.load(ordering: .relaxed) {
            let number = state.issued.wrappingAdd(1, ordering: .relaxed).oldValue
            guard number < plan.maxRequests else { break }
            let target = plan.targets[number % plan.targets.count]
            local.sent += 1
            if let reason = HTTPProbe.get(target, timeout: plan.requestTimeout) {
                local.failures[reason, default: 0] += 1
            } else {
                local.ok += 1
            }
        }
        state.totals.withLock { $0.merge(local) }
        state.finishedWorkers.add(1, ordering: .sequentiallyConsistent)
    }
}

/// A single `GET` on a fresh connection with `Connection: close`.
enum HTTPProbe {
    /// nil when a complete HTTP 200 response arrived in time; otherwise why not.
    static func get(_ target: LoadTarget, timeout: Duration) -> String? {
        let deadline = ContinuousClock.now + timeout
        let fd: Int32
        switch Sockets.connect(to: target.endpoint, deadline: deadline) {
        case .success(let connected): fd = connected
        case .failure(let failure): return failure.reason
        }
        defer { close(fd) }
        let request = "GET \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: deployer-lab\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        if case .failure(let failure) = Sockets.sendAll(fd, Array(request.utf8), deadline: deadline) { return failure.reason }
        var buffer: [UInt8] = []
        var readDeadline = deadline
        while true {
            switch Sockets.receive(fd, deadline: readDeadline) {
            case .failure(let failure):
                let verdict = HTTPResponseCheck.verdict(buffer, atEOF: false)
                if verdict == nil { return nil }
                if buffer.isEmpty, failure == .system(ECONNRESET) { return "connection reset" }
                return verdict == "incomplete response" ? failure.reason : verdict
            case .success(let chunk) where chunk.isEmpty:
                return HTTPResponseCheck.verdict(buffer, atEOF: true)
            case .success(let chunk):
                buffer.append(contentsOf: chunk)
                // Complete already: give the server a moment to close first, then close anyway.
                if HTTPResponseCheck.verdict(buffer, atEOF: false) == nil {
                    readDeadline = min(deadline, .now + .milliseconds(500))
                }
            }
        }
    }
}

/// Judges a raw HTTP response: nil for a complete 200, else a short reason.
enum HTTPResponseCheck {
    static func verdict(_ buffer: [UInt8], atEOF: Bool) -> String? {
        if buffer.isEmpty { return atEOF ? "empty response" : "incomplete response" }
        guard let end = HTTPRequestHead.headEnd(buffer) else { return "incomplete response" }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let status = lines[0].split(separator: " ")
        guard status.count >= 2, status[0].hasPrefix("HTTP/1."), let code = Int(status[1]) else {
            return "malformed response"
        }
        guard code == 200 else { return "HTTP \(code)" }
        let body = buffer.count - end - 4
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") { length = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) }
            if lower.hasPrefix("transfer-encoding:"), lower.contains("chunked") { chunked = true }
        }
        if chunked {
            return buffer.suffix(5) == Array("0\r\n\r\n".utf8)[...] ? nil : "incomplete response"
        }
        if let length { return body >= length ? nil : "incomplete response" }
        return atEOF ? nil : "incomplete response"
    }
}
