import ArgumentParser
import Foundation
import Glibc

@main
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployer-lab",
        abstract: "Local HAProxy lab for deployer's demo and tests (127.0.0.1 only)",
        discussion: """
            Real HAProxy in front of tiny HTTP backends, all on 127.0.0.1; the lab never binds or \
            connects to any other address and refuses URLs that are not 127.0.0.0/8, localhost or ::1.

            Typical session:
              deployer-lab up --dir /tmp/lab --backends 4 --lbs 2 --unix-sockets
              deployer-lab load --url http://127.0.0.1:17981/ --url http://127.0.0.1:17982/ --duration 30s &
              echo "set server web/web-1 state maint" | socat - TCP:127.0.0.1:19081
              deployer-lab restart --port 18081 --version v6.21.18 --pid-file /tmp/lab/web-1.pid
              echo "set server web/web-1 state ready" | socat - TCP:127.0.0.1:19081
              deployer-lab down --dir /tmp/lab

            Exit codes: 0 success; 1 failure (for load: some requests failed); 2 bad input (for load: \
            a URL that is not loopback).
            """,
        subcommands: [Up.self, Down.self, Serve.self, Restart.self, Load.self]
    )

    static func main() {
        // Writes to closed sockets must fail with EPIPE, not kill the lab.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as LabError {
            Console.error("error: \(error.message)")
            Glibc.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// Ports given on the command line.
extension UInt16 {
    static func labPort(_ value: Int, option: String) throws -> UInt16 {
        guard (1...65535).contains(value) else { throw ValidationError("\(option) must be between 1 and 65535") }
        return UInt16(value)
    }
}

/// Paths given on the command line, made absolute so pid files and argv agree wherever we run.
enum LabPath {
    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
        let base = FileManager.default.currentDirectoryPath
        return ((base as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
    }
}
