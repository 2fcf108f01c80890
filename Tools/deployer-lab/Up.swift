import ArgumentParser
import Foundation

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start a lab in the background: N backends behind M HAProxy instances.",
        discussion: """
            Backends web-1…web-N serve on 127.0.0.1:BASE+1…BASE+N (pid files and logs in DIR). Load \
            balancers lb-1…lb-M are HAProxy instances (DIR/lb-K.cfg) with a frontend on \
            127.0.0.1:BASE-100+K and an admin socket (level admin) on TCP 127.0.0.1:BASE+1000+K; with \
            --unix-sockets, lb-2… use DIR/lb-K.sock (mode 600) instead, so both kinds are exercised. \
            Waits (up to 15 s) until every LB reports every server UP, then writes DIR/lab.json. If a \
            lab is already running in DIR it is stopped first; if anything fails, whatever was started \
            is stopped and the exit status is 1.
            """)

    @Option(help: ArgumentHelp("Directory for configs, pid files, logs, sockets and lab.json.", valueName: "dir"))
    var dir: String

    @Option(help: "Number of backends (web-1…web-N).")
    var backends = 4

    @Option(help: "Number of HAProxy load balancers (lb-1…lb-M).")
    var lbs = 2

    @Option(help: "Backends use BASE+K, frontends BASE-100+K, TCP admin sockets BASE+1000+K.")
    var basePort = 18080

    @Option(help: ArgumentHelp("The version every backend starts with.", valueName: "version"))
    var version = "v6.21.17"

    @Flag(help: "Give lb-2… Unix admin sockets (DIR/lb-K.sock); lb-1 keeps TCP.")
    var unixSockets = false

    @Option(help: ArgumentHelp("The haproxy executable (default: from PATH, /usr/sbin, /usr/local/sbin).", valueName: "path"))
    var haproxy: String?

    func run() throws {
        let started = ContinuousClock.now
        let layout = try LabLayout(
            dir: LabPath.absolute(dir), backendCount: backends, lbCount: lbs, basePort: basePort, version: version,
            unixSockets: unixSockets)
        let executable = try haproxy ?? Self.findHAProxy()
        let manifest = try LabController(say: { print($0) }).up(layout, haproxy: executable)
        let seconds = String(format: "%.2f", (ContinuousClock.now - started).seconds)
        print("")
        print(
            "lab up in \(layout.dir) (\(manifest.backends.count) backends on \(version), \(manifest.lbs.count) load balancers, \(seconds) s); described in \(layout.dir)/lab.json"
        )
        for lb in layout.loadBalancers {
            print("  curl http://127.0.0.1:\(lb.frontendPort)/    # \(lb.name)")
        }
        for lb in layout.loadBalancers {
            print("  echo \"show servers state\" | socat - \(lb.admin.socatAddress)    # \(lb.name) admin")
        }
        print("  deployer-lab down --dir \(layout.dir)")
    }

    static func findHAProxy() throws(LabError) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/haproxy" } + ["/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw LabError("haproxy is not installed (Debian: apt-get install haproxy)")
        }
        return found
    }
}
