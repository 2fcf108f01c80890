import Foundation
import Glibc

/// Where an HAProxy runtime API listens: TCP on loopback, or a Unix socket.
enum AdminAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(LoopbackEndpoint)
    case unix(String)

    /// As HAProxy's `stats socket` line writes it: `ipv4@127.0.0.1:19081` or `/path/lb-2.sock`.
    var description: String {
        switch self {
        case .tcp(let endpoint): return "ipv4@\(endpoint)"
        case .unix(let path): return path
        }
    }

    /// How to reach it with socat, for the summary `up` prints.
    var socatAddress: String {
        switch self {
        case .tcp(let endpoint): return "TCP:\(endpoint)"
        case .unix(let path): return "UNIX-CONNECT:\(path)"
        }
    }
}

/// A minimal HAProxy runtime API client: one command per connection, read to EOF.
enum AdminClient {
    static func execute(_ command: String, at address: AdminAddress, timeout: Duration = .seconds(2)) throws(LabError) -> String {
        let deadline = ContinuousClock.now + timeout
        let connected: Result<Int32, SocketFailure>
        switch address {
        case .tcp(let endpoint): connected = Sockets.connect(to: endpoint, deadline: deadline)
        case .unix(let path): connected = Sockets.connect(unixPath: path, deadline: deadline)
        }
        let fd: Int32
        switch connected {
        case .success(let value): fd = value
        case .failure(let failure): throw LabError("cannot reach the admin socket \(address): \(failure.reason)")
        }
        defer { close(fd) }
        if case .failure(let failure) = Sockets.sendAll(fd, Array((command + "\n").utf8), deadline: deadline) {
            throw LabError("cannot send to the admin socket \(address): \(failure.reason)")
        }
        var output: [UInt8] = []
        while true {
            switch Sockets.receive(fd, deadline: deadline) {
            case .success(let chunk) where chunk.isEmpty:
                return String(decoding: output, as: UTF8.self)
            case .success(let chunk):
                output.append(contentsOf: chunk)
            case .failure(let failure):
                throw LabError("no answer from the admin socket \(address): \(failure.reason)")
            }
        }
    }

    /// `show stat` for one backend: server name → its state.
    static func servers(backend: String, at address: AdminAddress) throws(LabError) -> [String: ServerState] {
        try StatTable(csv: execute("show stat", at: address)).servers(backend: backend)
    }
}

/// One server's line of `show stat`.
struct ServerState: Sendable, Equatable, CustomStringConvertible {
    /// `UP`, `DOWN`, `MAINT`, `UP 1/2`, …
    let status: String
    /// The last health check's result: `L7OK`, `L4CON`, `INI`, … (empty without checks).
    let checkStatus: String

    /// UP, and (servers start UP in HAProxy) a health check has actually passed.
    var isReady: Bool { status == "UP" && (checkStatus.isEmpty || checkStatus.hasPrefix("L7OK")) }

    var description: String { checkStatus.isEmpty ? status : "\(status) (\(checkStatus))" }
}

/// The CSV `show stat` prints, columns looked up by the header's names.
struct StatTable: Sendable, Equatable {
    let columns: [String]
    let rows: [[String]]

    init(csv: String) throws(LabError) {
        let lines = csv.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first, header.hasPrefix("# ") else {
            throw LabError("unexpected answer to `show stat`: \(csv.prefix(200))")
        }
        columns = header.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func servers(backend: String) throws(LabError) -> [String: ServerState] {
        guard let proxy = columns.firstIndex(of: "pxname"), let server = columns.firstIndex(of: "svname"),
            let status = columns.firstIndex(of: "status")
        else { throw LabError("`show stat` has no pxname, svname or status column") }
        let check = columns.firstIndex(of: "check_status")
        var result: [String: ServerState] = [:]
        for row in rows where row.count > max(proxy, server, status) && row[proxy] == backend {
            if row[server] == "FRONTEND" || row[server] == "BACKEND" { continue }
            let checkStatus = check.flatMap { $0 < row.count ? row[$0] : nil } ?? ""
            result[row[server]] = ServerState(status: row[status], checkStatus: checkStatus)
        }
        return result
    }
}
