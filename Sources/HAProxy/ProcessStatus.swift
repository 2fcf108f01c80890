import Foundation

/// The parts of `show info` deployer uses: which HAProxy this is, and which process answers (a reload
/// starts a new process, which forgets every runtime change unless a server-state file is used).
public struct ProcessStatus: Sendable, Equatable {
    public var version: String?
    public var pid: Int?
    /// `Start_time_sec` when the version reports it, else derived by the caller; with the pid it
    /// identifies one process.
    public var startTime: Int?
    public var uptimeSeconds: Int?
    /// Every `Name: value` line, for display.
    public var fields: [String: String]

    /// Identifies the process: changes when HAProxy reloads or restarts.
    public var generation: String { "\(pid.map(String.init) ?? "?")@\(startTime.map(String.init) ?? "?")" }

    public static func parse(_ text: String) throws(HAProxyError) -> ProcessStatus {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, fields[name] == nil { fields[name] = value }
        }
        guard fields["Name"] != nil || fields["Version"] != nil else {
            throw HAProxyError(.unexpectedReply, "`show info`: \(text.isEmpty ? "no reply" : "\"\(text.prefix(80))\"")")
        }
        return ProcessStatus(
            version: fields["Version"], pid: fields["Pid"].flatMap { Int($0) },
            startTime: fields["Start_time_sec"].flatMap { Int($0) }, uptimeSeconds: fields["Uptime_sec"].flatMap { Int($0) },
            fields: fields)
    }
}
