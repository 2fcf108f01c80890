import Deployer
import Foundation
import HAProxy
import Manifests
import Providers

/// `deployer status` for HAProxy load balancers: what each one says about each server, live.
enum HAProxyStatus {
    struct LoadBalancer: Encodable {
        var name: String
        var socket: String
        var backend: String
        var version: String?
        var pid: Int?
        var uptimeSeconds: Int?
        var error: String?
        var servers: [Server]

        init(_ report: HAProxyPoolReport) {
            name = report.pool.rawValue
            socket = report.endpoint
            backend = report.backend
            version = report.process?.version
            pid = report.process?.pid
            uptimeSeconds = report.process?.uptimeSeconds
            error = report.error
            servers = report.servers.map(Server.init)
        }
    }

    struct Server: Encodable {
        var target: String
        var server: String
        var found: Bool
        /// ready | drain | maint, from the admin-state bitmask.
        var admin: String?
        var adminReasons: [String]?
        /// up | down | starting | stopping, from the operational state.
        var operational: String?
        var status: String?
        var check: String?
        var checkHealth: String?
        var sessions: Int?
        var weight: Int?
        var initialWeight: Int?

        init(_ report: HAProxyServerReport) {
            target = report.target.rawValue
            server = report.server
            found = report.state != nil
            admin = report.state?.adminState.rawValue
            adminReasons = report.state.map(\.admin.reasons)
            operational = report.state?.operational.description
            status = report.stat?.status
            check = report.stat?.checkStatus
            if let health = report.stat?.checkHealth, let rise = report.stat?.checkRise, let fall = report.stat?.checkFall {
                checkHealth = "\(health)/\(rise + fall - 1)"
            }
            sessions = report.stat?.sessions
            weight = report.state?.weight
            initialWeight = report.state?.initialWeight
        }
    }

    static func text(_ reports: [HAProxyPoolReport]) -> String {
        var lines: [String] = []
        for report in reports {
            let lb = LoadBalancer(report)
            var title = "\(lb.name)  \(lb.socket)  backend \(lb.backend)"
            if let error = lb.error {
                lines.append(title + "  UNREACHABLE")
                lines.append("  " + error)
                continue
            }
            if let version = lb.version { title += "  HAProxy \(version)" }
            if let pid = lb.pid { title += ", pid \(pid)" }
            if let up = lb.uptimeSeconds { title += ", up \(Duration.seconds(up).manifestText)" }
            lines.append(title)
            let header = ["target", "server", "admin", "health", "check", "sessions", "weight", "status"]
            var table = [header]
            for server in lb.servers {
                guard server.found else {
                    table.append([server.target, server.server, "MISSING from backend \(lb.backend)", "", "", "", "", ""])
                    continue
                }
                table.append([
                    server.target, server.server, server.admin ?? "?", server.operational ?? "?",
                    server.check.map { $0 + (server.checkHealth.map { " \($0)" } ?? "") } ?? "no check",
                    server.sessions.map(String.init) ?? "?",
                    "\(server.weight.map(String.init) ?? "?")/\(server.initialWeight.map(String.init) ?? "?")",
                    server.status ?? "",
                ])
            }
            lines += Format.table(table)
        }
        return lines.joined(separator: "\n")
    }
}
