import Foundation
import HAProxy
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension Tag {
    /// Tests that start real HAProxy processes (run alone: `swift test --filter HAProxy`).
    @Tag static var haproxy: Self
}

/// A real lab for one test: HAProxy instances and backends on 127.0.0.1, started by `deployer-lab up`
/// in a scratch directory on ports of its own, with an environment file describing it; `stop()`
/// tears everything down.
final class HAProxyLab: Sendable {
    let scratch: Scratch
    let backends: Int
    let lbs: Int
    let basePort: Int

    var dir: String { scratch.path + "/lab" }
    var environmentName: String { "lab" }
    func backendPort(_ index: Int) -> Int { basePort + index }
    func frontend(_ index: Int) -> String { "http://127.0.0.1:\(basePort - 100 + index)/" }
    /// lb-1 on TCP, the others on Unix sockets (both kinds are exercised).
    func adminSocket(_ index: Int) -> String {
        index == 1 ? "ipv4@127.0.0.1:\(basePort + 1000 + index)" : "\(dir)/lb-\(index).sock"
    }

    private static let nextBase = Mutex(0)

    static var labBinary: String {
        (DeployerProcess.binary as NSString).deletingLastPathComponent + "/deployer-lab"
    }

    /// Starts the lab and writes `inventories/lab.yml` (with `strategy` and `health` as given).
    init(
        backends: Int = 2, lbs: Int = 1, strategy: String = "batch: 1\n  min-in-service: 1",
        health: String = "load-balancer: true"
    ) throws {
        let slot = Self.nextBase.withLock { value -> Int in
            value += 1
            return value
        }
        // Below Linux's ephemeral range (32768…), where sshd's free port and client sockets come from.
        // A lab uses base-99…, base+1… and base+1001…; a stride of 41 keeps every range of two labs
        // alive at once at least 5 ports apart.
        basePort = 21_000 + Int(getpid() % 4) * 2_000 + slot * 41
        self.backends = backends
        self.lbs = lbs
        var hosts = "all:\n  children:\n    lab_web:\n      hosts:\n"
        for index in 1...backends {
            hosts += "        web-\(index): {ansible_host: 127.0.0.1, port: \(basePort + index)}\n"
        }
        scratch = try Scratch(environment: "lab", yaml: "")
        var balancers = ""
        for index in 1...lbs {
            balancers += "  - haproxy:\n      name: lb-\(index)\n      socket: \(adminSocket(index))\n      backend: web\n      timeout: 2s\n"
        }
        let environment = """
                targets:
                  inventory: lab-hosts.yml
                  group: lab_web
                load-balancers:
                \(balancers)
                deploy:
                  run: \(Self.labBinary) restart --port {{ port }} --version {{ version }} --pid-file LAB/{{ inventory_hostname }}.pid --log LAB/{{ inventory_hostname }}.log
                  connection: local
                  timeout: 30s
                health:
                  \(health)
                strategy:
                  \(strategy)
                """
        try hosts.write(toFile: scratch.path + "/inventories/lab-hosts.yml", atomically: true, encoding: .utf8)
        try environment.replacingOccurrences(of: "LAB/", with: dir + "/")
            .write(toFile: scratch.path + "/inventories/lab.yml", atomically: true, encoding: .utf8)
        let up = try Self.lab(
            ["up", "--dir", dir, "--backends", "\(backends)", "--lbs", "\(lbs)", "--base-port", "\(basePort)",
             "--version", "v1", "--unix-sockets"], in: scratch.path)
        guard up.status == 0 else {
            _ = try? Self.lab(["down", "--dir", dir], in: scratch.path)
            throw LabFailure(description: "deployer-lab up failed: \(up.stdout)\n\(up.stderr)")
        }
    }

    struct LabFailure: Error, CustomStringConvertible { var description: String }

    func stop() {
        _ = try? Self.lab(["down", "--dir", dir], in: scratch.path)
        scratch.remove()
    }

    /// Runs `deployer` in the lab's directory.
    @discardableResult
    func deployer(_ arguments: [String], timeout: Double = 120) throws -> DeployerProcess.Result {
        try DeployerProcess.run(arguments, in: scratch.path, timeout: timeout)
    }

    @discardableResult
    static func lab(_ arguments: [String], in directory: String, timeout: Double = 60) throws -> DeployerProcess.Result {
        try DeployerProcess.run(arguments, in: directory, binary: labBinary, timeout: timeout)
    }

    /// One command on an admin socket, as an operator would send it with socat.
    func admin(_ index: Int, _ command: String) async throws -> String {
        let transport = SocketTransport(try RuntimeEndpoint(parsing: adminSocket(index)))
        return String(decoding: try await transport.exchange(Array((command + "\n").utf8), timeout: .seconds(5)), as: UTF8.self)
    }

    /// The servers of backend `web` on one LB, by name.
    func servers(_ index: Int) async throws -> [String: ServerState] {
        let states = try ServerState.parse(try await admin(index, "show servers state web"))
        return Dictionary(uniqueKeysWithValues: states.map { ($0.server, $0) })
    }

    /// The body of a GET, or nil when it did not answer 200.
    static func get(_ url: String, timeout: Double = 10) async -> String? {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        let session = URLSession(configuration: configuration)
        guard let (data, response) = try? await session.data(from: URL(string: url)!),
            (response as? HTTPURLResponse)?.statusCode == 200
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// What every backend says it runs (`GET /` answers "VERSION PORT").
    func versions() async -> [String] {
        var result: [String] = []
        for index in 1...backends {
            let body = await Self.get("http://127.0.0.1:\(backendPort(index))/") ?? "down"
            result.append(String(body.split(separator: " ").first ?? "down"))
        }
        return result
    }
}

/// Requests sent through every frontend of a lab, from `start` until `finish`, by the lab's load
/// generator. `finish` fails when the load ended by itself before it was told to stop, so a count
/// of failed requests always covers everything that happened in between.
struct LabLoad {
    let process: DeployerProcess.Running
    let stopFile: String
    let started = Date()

    /// Far more than a test sends: reaching it means the load stopped early.
    static let ceiling = 50_000_000

    static func start(_ lab: HAProxyLab, concurrency: Int = 4) async throws -> LabLoad {
        let stopFile = lab.scratch.path + "/stop-load-" + UUID().uuidString
        var arguments = ["load", "--concurrency", String(concurrency), "--duration", "300s", "--max-requests", String(ceiling)]
        for index in 1...lab.lbs { arguments += ["--url", lab.frontend(index)] }
        let process = try DeployerProcess.start(
            arguments + ["--stop-file", stopFile, "--json"], in: lab.scratch.path, binary: HAProxyLab.labBinary)
        let load = LabLoad(process: process, stopFile: stopFile)
        try await Task.sleep(for: .milliseconds(300))
        return load
    }

    struct EndedEarly: Error, CustomStringConvertible { var description: String }

    func finish() throws -> HAProxyIntegrationTests.LoadReport {
        let asked = Date()
        _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
        if process.wait(timeout: 20) == nil {
            kill(process.process.processIdentifier, SIGKILL)
            _ = process.wait(timeout: 10)
        }
        let report = try JSONDecoder().decode(HAProxyIntegrationTests.LoadReport.self, from: Data(process.stdout().utf8))
        // The load must have run until it was asked to stop (allowing the stop file's poll interval).
        let needed = asked.timeIntervalSince(started) - 0.5
        guard report.sent < Self.ceiling, report.seconds >= needed else {
            throw EndedEarly(description: "the load ended after \(report.seconds) s, before it was stopped at \(needed + 0.5) s: \(report)")
        }
        return report
    }
}
