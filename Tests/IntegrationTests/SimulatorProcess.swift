import AzureSimulator
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `deployer simulate azure` in a process of its own on 127.0.0.1 (port chosen by the system), read
/// and steered through its control API. Out of the test process, so that tests blocking threads of
/// their own can never starve the server that answers deployer.
struct SimulatorProcess {
    let running: DeployerProcess.Running
    let port: Int
    let directory: String
    /// With `tls`: the HTTPS port, and the self-signed certificate to trust (in `directory`/tls).
    var tlsPort: Int?
    var certificate: String { directory + "/tls/cert.pem" }

    /// Starts the simulator with `scenario` (YAML) and waits (at most 20 s) until it listens; with
    /// `tls`, on an HTTPS port of its own too (`--tls`, a certificate made in `directory`/tls).
    static func start(scenario: String, in directory: String, tls: Bool = false) async throws -> SimulatorProcess {
        let file = directory + "/scenario.yml"
        try scenario.write(toFile: file, atomically: true, encoding: .utf8)
        let portFile = directory + "/simulator.port"
        let tlsPortFile = directory + "/simulator.tls-port"
        let tlsArguments = tls ? ["--tls", "--tls-dir", directory + "/tls", "--tls-port-file", tlsPortFile] : []
        let running = try DeployerProcess.start(
            ["simulate", "azure", "--port", "0", "--port-file", portFile, "--scenario", file] + tlsArguments, in: directory)
        func portIn(_ file: String) -> Int? {
            (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        for _ in 0..<400 {
            if let port = portIn(portFile), !tls || portIn(tlsPortFile) != nil {
                return SimulatorProcess(running: running, port: port, directory: directory, tlsPort: tls ? portIn(tlsPortFile) : nil)
            }
            if !running.process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(running.process.processIdentifier, SIGKILL)
        throw SimulatorError("deployer simulate azure did not start: \(running.stderr())\(running.stdout())")
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Callbacks on a serial queue of its own: the CPU-wide dispatch pool that URLSession's default
    /// delegate queue uses can be held by tests that block while their child processes run.
    static let callbackQueue = DispatchQueue(label: "simulator-control")
    static let session: URLSession = {
        let callbacks = OperationQueue()
        callbacks.underlyingQueue = callbackQueue
        return URLSession(configuration: .ephemeral, delegate: nil, delegateQueue: callbacks)
    }()

    private func control(_ method: String, _ path: String, body: Data? = nil) async throws -> Data {
        var request = URLRequest(url: URL(string: baseURL + "/_simulator/" + path)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 30
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await Self.session.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw SimulatorError("\(method) /_simulator/\(path): HTTP \(status) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    func state() async throws -> SimulatorState {
        try JSONDecoder().decode(SimulatorState.self, from: try await control("GET", "state"))
    }

    func requests() async throws -> [LoggedRequest] {
        try JSONDecoder().decode([LoggedRequest].self, from: try await control("GET", "requests"))
    }

    func arm(_ fault: FaultSpec) async throws {
        _ = try await control("POST", "faults", body: try JSONEncoder().encode(fault))
    }

    /// Disarms every fault.
    func clearFaults() async throws {
        _ = try await control("DELETE", "faults")
    }

    /// Breaks a blob's lease at once, as another party would (`az storage blob lease break`).
    func breakLease(account: String, container: String, blob: String) async throws {
        let query = [("account", account), ("container", container), ("blob", blob)].map {
            "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)"
        }
        _ = try await control("POST", "break-lease?" + query.joined(separator: "&"))
    }

    /// Stops the simulator (SIGTERM, then SIGKILL after 5 s).
    func stop() {
        let pid = running.process.processIdentifier
        kill(pid, SIGTERM)
        if running.wait(timeout: 5) == nil {
            kill(pid, SIGKILL)
            _ = running.wait(timeout: 5)
        }
    }
}
