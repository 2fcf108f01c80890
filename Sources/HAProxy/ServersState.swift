import Foundation

/// One server's row of `show servers state`: the numeric operational state and the admin-state
/// bitmask, typed. This is the source of truth for a server's state; `show stat`'s status words are
/// only shown to people.
public struct ServerState: Sendable, Equatable {
    public var backend: String
    public var server: String
    public var address: String
    public var port: Int?
    public var operational: OperationalState
    public var admin: AdminFlags
    /// The weight in force (`srv_uweight`) and the configured one (`srv_iweight`).
    public var weight: Int
    public var initialWeight: Int
    public var secondsSinceChange: Int?
    /// `srv_check_result`: 0 unknown, 1 neutral, 2 failed, 3 passed, 4 conditionally passed.
    public var checkResult: Int?

    /// The administrative state, as `set server … state` names it.
    public var adminState: RuntimeCommand.AdminTarget {
        if admin.isMaint { return .maint }
        if admin.isDrain { return .drain }
        return .ready
    }

    /// HAProxy considers the server up (checks passing, or no checks configured), whatever its
    /// admin state. A draining server whose checks fail is not up.
    public var isUp: Bool { operational == .running || operational == .stopping }
}

/// `srv_op_state`.
public enum OperationalState: Sendable, Equatable, CustomStringConvertible {
    case stopped
    case starting
    case running
    case stopping
    case unknown(Int)

    init(_ value: Int) {
        switch value {
        case 0: self = .stopped
        case 1: self = .starting
        case 2: self = .running
        case 3: self = .stopping
        default: self = .unknown(value)
        }
    }

    public var description: String {
        switch self {
        case .stopped: return "down"
        case .starting: return "starting"
        case .running: return "up"
        case .stopping: return "stopping"
        case .unknown(let value): return "state \(value)"
        }
    }
}

/// `srv_admin_state`, a bitmask (`include/haproxy/server-t.h`).
public struct AdminFlags: OptionSet, Sendable, Equatable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Forced maintenance (`set server … state maint`).
    public static let forcedMaint = AdminFlags(rawValue: 0x01)
    /// Maintenance inherited from a tracked server.
    public static let inheritedMaint = AdminFlags(rawValue: 0x02)
    /// Maintenance from the configuration (`disabled`).
    public static let configMaint = AdminFlags(rawValue: 0x04)
    /// Forced drain (`set server … state drain`).
    public static let forcedDrain = AdminFlags(rawValue: 0x08)
    /// Drain inherited from a tracked server.
    public static let inheritedDrain = AdminFlags(rawValue: 0x10)
    /// Maintenance because its address could not be resolved.
    public static let resolutionMaint = AdminFlags(rawValue: 0x20)
    /// Maintenance because its hostname is not resolved yet.
    public static let hostnameMaint = AdminFlags(rawValue: 0x40)

    static let anyMaint: AdminFlags = [.forcedMaint, .inheritedMaint, .configMaint, .resolutionMaint, .hostnameMaint]
    static let anyDrain: AdminFlags = [.forcedDrain, .inheritedDrain]

    public var isMaint: Bool { !intersection(.anyMaint).isEmpty }
    public var isDrain: Bool { !isMaint && !intersection(.anyDrain).isEmpty }

    /// Why it is in maintenance or drain, in words ("forced", "via tracked server").
    public var reasons: [String] {
        var out: [String] = []
        if contains(.forcedMaint) { out.append("maint (forced)") }
        if contains(.inheritedMaint) { out.append("maint (via tracked server)") }
        if contains(.configMaint) { out.append("maint (disabled in config)") }
        if contains(.resolutionMaint) { out.append("maint (address unresolved)") }
        if contains(.hostnameMaint) { out.append("maint (hostname unresolved)") }
        if contains(.forcedDrain) { out.append("drain (forced)") }
        if contains(.inheritedDrain) { out.append("drain (via tracked server)") }
        return out
    }
}

extension ServerState {
    /// Parses the reply of `show servers state [backend]`: a format-version line, a `# ` header naming
    /// the columns, then one row per server. Columns are found by name, so fields added by newer
    /// versions are ignored.
    public static func parse(_ text: String) throws(HAProxyError) -> [ServerState] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)[...]
        guard let version = lines.popFirst()?.trimmingCharacters(in: .whitespaces) else {
            throw HAProxyError(.unexpectedReply, "`show servers state` returned nothing")
        }
        guard version == "1" else {
            // A one-line reply that is not a version is an error message ("Can't find backend.").
            throw HAProxyError(.unexpectedReply, "`show servers state`: \(version)")
        }
        guard let header = lines.popFirst(), header.hasPrefix("#") else {
            throw HAProxyError(.unexpectedReply, "`show servers state`: the column header is missing")
        }
        let names = header.dropFirst().split(separator: " ").map(String.init)
        var column: [String: Int] = [:]
        for (index, name) in names.enumerated() where column[name] == nil { column[name] = index }
        for required in ["be_name", "srv_name", "srv_op_state", "srv_admin_state", "srv_uweight", "srv_iweight"]
        where column[required] == nil {
            throw HAProxyError(.unexpectedReply, "`show servers state`: no column \(required)")
        }
        return try lines.map { line throws(HAProxyError) -> ServerState in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            func text(_ name: String) -> String? { column[name].flatMap { $0 < fields.count ? fields[$0] : nil } }
            func number(_ name: String) -> Int? { text(name).flatMap { Int($0) } }
            guard let backend = text("be_name"), let server = text("srv_name"), let op = number("srv_op_state"),
                let admin = number("srv_admin_state"), let weight = number("srv_uweight"),
                let initial = number("srv_iweight")
            else {
                throw HAProxyError(.unexpectedReply, "`show servers state`: cannot read the row \"\(line.prefix(120))\"")
            }
            return ServerState(
                backend: backend, server: server, address: text("srv_addr") ?? "-", port: number("srv_port"),
                operational: OperationalState(op), admin: AdminFlags(rawValue: admin), weight: weight,
                initialWeight: initial, secondsSinceChange: number("srv_time_since_last_change"),
                checkResult: number("srv_check_result"))
        }
    }
}
