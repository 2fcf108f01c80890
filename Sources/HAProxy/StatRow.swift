/// One row of `show stat` (CSV), read by column name. Only what a drain and `status` need is typed;
/// newer versions' extra columns are ignored.
public struct StatRow: Sendable, Equatable {
    public var proxy: String
    /// The server name, or `FRONTEND` / `BACKEND`.
    public var server: String
    /// Current sessions (`scur`).
    public var sessions: Int?
    /// The status as HAProxy words it (`UP`, `UP 2/3`, `DOWN`, `DRAIN (agent)`, `MAINT (via b/s)`,
    /// `no check`). Not an enum: it is shown as is, and never used to decide a server's state.
    public var status: String
    public var weight: Int?
    /// The last health check's result (`L7OK`, `L4CON`, …) without the `* ` HAProxy puts in front
    /// while a check is running; nil when the server has no check.
    public var checkStatus: String?
    /// Seconds since the last session was assigned (`lastsess`), when known.
    public var lastSession: Int?
    /// The health-check counter and its thresholds (`check_health`, `check_rise`, `check_fall`); nil
    /// when the server has no check.
    public var checkHealth: Int?
    public var checkRise: Int?
    public var checkFall: Int?
    /// Responses by class (`hrsp_1xx` … `hrsp_other`, HTTP mode), summed; nil in TCP mode.
    public var responses: Int?
    /// 5xx responses (`hrsp_5xx`).
    public var serverErrors: Int?
    /// Sessions in total (`stot`): what a TCP-mode server served.
    public var totalSessions: Int?
    /// Failed responses and connections (`eresp`, `econ`).
    public var responseErrors: Int?
    public var connectionErrors: Int?
    /// Mean response time of the last 1024 requests, in milliseconds (`rtime`).
    public var responseMilliseconds: Int?

    /// The check has passed enough times in a row to be at its top (`rise + fall - 1`). HAProxy puts
    /// a server leaving maintenance straight back at `rise` ("UP 1/3") before any new check has run,
    /// so only a full counter proves fresh checks passed. True for a server without checks.
    public var checkFullyUp: Bool {
        guard let health = checkHealth, let rise = checkRise, let fall = checkFall else { return true }
        return health >= rise + fall - 1
    }

    public var isServer: Bool { server != "FRONTEND" && server != "BACKEND" }

    /// The sum of the fields that are there; nil when none is.
    private static func sum(_ fields: [String?]) -> Int? {
        let numbers = fields.compactMap { $0.flatMap { Int($0) } }
        return numbers.isEmpty ? nil : numbers.reduce(0, +)
    }

    /// Parses the reply of `show stat`.
    public static func parse(_ text: String) throws(HAProxyError) -> [StatRow] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)[...]
        guard let header = lines.popFirst(), header.hasPrefix("# ") else {
            throw HAProxyError(
                .unexpectedReply, "`show stat`: \(text.isEmpty ? "no reply" : "no CSV header in \"\(text.prefix(80))\"")")
        }
        let names = CSV.fields(header.dropFirst(2))
        var column: [String: Int] = [:]
        for (index, name) in names.enumerated() where column[name] == nil { column[name] = index }
        for required in ["pxname", "svname", "scur", "status"] where column[required] == nil {
            throw HAProxyError(.unexpectedReply, "`show stat`: no column \(required)")
        }
        return lines.map { line in
            let fields = CSV.fields(line)
            func value(_ name: String) -> String? {
                guard let index = column[name], index < fields.count, !fields[index].isEmpty else { return nil }
                return fields[index]
            }
            var check = value("check_status")
            if let running = check, running.hasPrefix("* ") { check = String(running.dropFirst(2)) }
            return StatRow(
                proxy: value("pxname") ?? "", server: value("svname") ?? "", sessions: value("scur").flatMap { Int($0) },
                status: value("status") ?? "", weight: value("weight").flatMap { Int($0) }, checkStatus: check,
                lastSession: value("lastsess").flatMap { Int($0) }, checkHealth: value("check_health").flatMap { Int($0) },
                checkRise: value("check_rise").flatMap { Int($0) }, checkFall: value("check_fall").flatMap { Int($0) },
                responses: Self.sum(["hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"].map(value)),
                serverErrors: value("hrsp_5xx").flatMap { Int($0) }, totalSessions: value("stot").flatMap { Int($0) },
                responseErrors: value("eresp").flatMap { Int($0) }, connectionErrors: value("econ").flatMap { Int($0) },
                responseMilliseconds: value("rtime").flatMap { Int($0) })
        }
    }
}

/// HAProxy's CSV: comma-separated, a field holding a comma or quote is double-quoted with `""` for a quote.
enum CSV {
    static func fields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = iterator.next()
                    if next == "\"" { current.append("\"") } else { quoted = false; pending = next }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
