import Foundation
import Glibc

/// Brings a lab up and takes it down; reports progress through `say`.
struct LabController: Sendable {
    let say: @Sendable (String) -> Void

    static let readyTimeout: Duration = .seconds(30)

    /// Starts every backend and load balancer of the layout and waits until each LB sees every
    /// server UP. On failure, stops whatever it started and throws.
    func up(_ layout: LabLayout, haproxy: String) throws(LabError) -> LabManifest {
        do {
            try FileManager.default.createDirectory(atPath: layout.dir, withIntermediateDirectories: true)
        } catch {
            throw LabError("cannot create \(layout.dir): \(error.localizedDescription)")
        }
        if !runningProcesses(in: layout.dir).isEmpty {
            say("a lab is already running in \(layout.dir); stopping it first")
            down(layout.dir)
        }
        do {
            for backend in layout.backends {
                say(try BackendLauncher.restart(backend, timeout: .seconds(15)).line(for: backend))
            }
            for lb in layout.loadBalancers {
                try start(lb, config: layout.configuration(for: lb), haproxy: haproxy)
            }
            try waitUntilAllUp(layout)
            let manifest = layout.manifest
            try manifest.write(to: "\(layout.dir)/lab.json")
            return manifest
        } catch {
            say("bringing the lab up failed; stopping what was started")
            down(layout.dir)
            throw error
        }
    }

    private func start(_ lb: LoadBalancerSpec, config: String, haproxy: String) throws(LabError) {
        do {
            try Data(config.utf8).write(to: URL(fileURLWithPath: lb.config), options: .atomic)
        } catch {
            throw LabError("cannot write \(lb.config): \(error.localizedDescription)")
        }
        let check = try Spawn.run(haproxy, ["-c", "-f", lb.config], outputFile: lb.log, timeout: .seconds(10))
        guard check.status == 0 else {
            throw LabError("haproxy rejects \(lb.config) (exit \(check.status)):\n\(check.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        if case .unix(let path) = lb.admin { unlink(path) }
        unlink(lb.pidFile)
        let run = try Spawn.run(haproxy, ["-f", lb.config, "-D", "-p", lb.pidFile], outputFile: lb.log, timeout: .seconds(10))
        guard run.status == 0 else {
            throw LabError("haproxy for \(lb.name) did not start (exit \(run.status)):\n\(run.output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while PidFile.read(lb.pidFile) == nil {
            if deadline.hasPassed { throw LabError("haproxy for \(lb.name) wrote no pid file \(lb.pidFile)") }
            Threads.sleep(milliseconds: 20)
        }
        say("\(lb.name) on 127.0.0.1:\(lb.frontendPort): haproxy pid \(PidFile.read(lb.pidFile) ?? 0), admin \(lb.admin)")
    }

    /// Polls `show stat` on every LB (bounded by `readyTimeout`) until every server is UP with a passed check.
    private func waitUntilAllUp(_ layout: LabLayout) throws(LabError) {
        let deadline = ContinuousClock.now + Self.readyTimeout
        let expected = Set(layout.backends.map(\.name))
        while true {
            var pending: [String] = []
            for lb in layout.loadBalancers {
                do {
                    let servers = try AdminClient.servers(backend: "web", at: lb.admin)
                    for name in expected.sorted() where servers[name]?.isReady != true {
                        pending.append("\(lb.name)/\(name) \(servers[name]?.description ?? "missing")")
                    }
                } catch {
                    pending.append("\(lb.name): \(error.message)")
                }
            }
            if pending.isEmpty { return }
            if deadline.hasPassed {
                throw LabError("not every server was UP within \(Self.readyTimeout.seconds) s: \(pending.joined(separator: ", "))")
            }
            Threads.sleep(milliseconds: 200)
        }
    }

    /// A process named by a pid file in the lab's directory.
    struct Member: Sendable, Equatable {
        let name: String
        let pidFile: String
        let pid: pid_t
    }

    /// Live processes named by DIR/*.pid (load balancers first) that really are the lab's.
    func runningProcesses(in dir: String) -> [Member] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        let pidFiles = names.filter { $0.hasSuffix(".pid") }.sorted { ($0.hasPrefix("lb-") ? 0 : 1, $0) < ($1.hasPrefix("lb-") ? 0 : 1, $1) }
        return pidFiles.compactMap { file in
            let path = "\(dir)/\(file)"
            guard let pid = PidFile.read(path), ProcessTable.isAlive(pid), ProcessTable.isOwner(pid, ofPidFile: path) else { return nil }
            return Member(name: String(file.dropLast(4)), pidFile: path, pid: pid)
        }
    }

    /// Stops every lab process in DIR (SIGTERM, bounded wait, SIGKILL), removes pid files, sockets
    /// and lab.json. Never fails: what is already gone is simply not reported.
    @discardableResult
    func down(_ dir: String) -> [Member] {
        let members = runningProcesses(in: dir)
        for member in members {
            let outcome = ProcessTable.stop(member.pid, grace: .seconds(5))
            switch outcome {
            case .terminated: say("stopped \(member.name) (pid \(member.pid))")
            case .killed: say("killed \(member.name) (pid \(member.pid)): it ignored SIGTERM for 5 s")
            case .notRunning: break
            case .survived: say("warning: \(member.name) (pid \(member.pid)) survived SIGKILL")
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        for name in names where name.hasSuffix(".pid") || name.hasSuffix(".sock") || name == "lab.json" {
            let path = "\(dir)/\(name)"
            // Keep the pid file of a lab process that survived; a reused pid belongs to someone else.
            if name.hasSuffix(".pid"), let pid = PidFile.read(path), ProcessTable.isAlive(pid),
                ProcessTable.isOwner(pid, ofPidFile: path)
            {
                continue
            }
            unlink(path)
        }
        return members
    }
}
