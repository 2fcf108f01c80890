import ArgumentParser
import Deployer
import Foundation
import Manifests

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Who deployed, drained or restored what, when, and how it ended: the audit log.",
        discussion: """
            Read from the environment's deploy state, wherever it lives, so every machine shows the same \
            history. One row per command: when it began, who ran it and from which host, what it was, \
            the versions (for a deploy, the versions its targets ran before → the one it deployed), how \
            it ended and how long it took. Newest last. A deploy still running, or killed, shows the \
            outcome of its last line (`started`, `interrupted: …`).

            --output json prints one array of objects with the same fields, for CI.
            """)

    @OptionGroup var target: EnvironmentOptions
    @Option(help: ArgumentHelp("Show the last N commands (0: all).", valueName: "N"))
    var last = 20
    @Option(help: ArgumentHelp("text (a table) or json.", valueName: "format"))
    var output: OutputFormat = .text

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    /// One command of the audit log.
    struct Entry: Encodable, Equatable {
        var at: String
        var user: String
        var host: String
        var command: String
        var deploy: String?
        var fromVersions: [String]
        var version: String?
        var outcome: String
        var seconds: Double?
    }

    func run() async throws {
        guard last >= 0 else { throw CommandFailure("error: --last must be 0 or more", code: .badInput) }
        let workspace = try Workspace.load(target)
        let lines: [String]
        do {
            lines = try await workspace.store.auditLines()
        } catch {
            throw CommandFailure("error: \(UserFacing.describe(error))", code: .failed)
        }
        var entries = Self.entries(lines)
        if last > 0, entries.count > last { entries = Array(entries.suffix(last)) }
        for index in entries.indices where entries[index].command == "deploy" || entries[index].command == "rollback" {
            guard let id = entries[index].deploy, let records = try? await workspace.store.journal(id).records(),
                let replay = JournalReplay(records)
            else { continue }
            entries[index].fromVersions = Set(replay.original.values.compactMap(\.version)).sorted()
        }
        if output == .json {
            Console.out(JSONText.pretty(entries))
            return
        }
        guard !entries.isEmpty else {
            Console.out("No command is recorded for \(workspace.environment.name) at \(workspace.store.backend.location).")
            return
        }
        let rows = entries.map { entry -> [String] in
            let versions =
                entry.fromVersions.isEmpty
                ? entry.version ?? "" : entry.fromVersions.joined(separator: ", ") + " → " + (entry.version ?? "?")
            return [
                entry.at, entry.user, entry.host, entry.command, versions, entry.outcome,
                entry.seconds.map { Self.duration($0) } ?? "",
            ]
        }
        Console.out("\(workspace.environment.name): the last \(entries.count) command(s), from \(workspace.store.backend.location)")
        Console.out(Format.table([["when", "who", "host", "what", "versions", "result", "took"]] + rows).joined(separator: "\n"))
    }

    /// Folds the audit lines into one entry per command: a deploy's "started" line and its end become
    /// one row. Lines that cannot be read are skipped.
    static func entries(_ lines: [String]) -> [Entry] {
        var entries: [Entry] = []
        var open: [String: Int] = [:]
        for line in lines {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                let at = object["at"] as? String, let command = object["command"] as? String
            else { continue }
            let outcome = object["outcome"] as? String ?? ""
            let deploy = object["deploy"] as? String
            let key = deploy.map { "\(command) \($0)" }
            if let key, let index = open[key], outcome != "started" {
                entries[index].outcome = outcome
                if let begun = try? Date(entries[index].at, strategy: .iso8601), let ended = try? Date(at, strategy: .iso8601) {
                    entries[index].seconds = ended.timeIntervalSince(begun)
                }
                open[key] = nil
                continue
            }
            entries.append(
                Entry(
                    at: at, user: object["user"] as? String ?? "?", host: object["host"] as? String ?? "?", command: command,
                    deploy: deploy, fromVersions: [], version: object["version"] as? String, outcome: outcome, seconds: nil))
            if let key, outcome == "started" { open[key] = entries.count - 1 }
        }
        return entries
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? "\(Int(seconds.rounded())) s" : "\(Int(seconds) / 60) min \(Int(seconds) % 60) s"
    }
}
