import Foundation

/// One lab load balancer: an HAProxy with a frontend and an admin socket.
struct LoadBalancerSpec: Sendable, Equatable {
    let name: String
    let frontendPort: UInt16
    let admin: AdminAddress
    let config: String
    let pidFile: String
    let log: String
}

/// Everything `up` starts, computed from its options before anything is started.
struct LabLayout: Sendable, Equatable {
    let dir: String
    let basePort: Int
    let version: String
    let backends: [BackendSpec]
    let loadBalancers: [LoadBalancerSpec]

    /// Backends on base+1…base+N; frontends on base-100+K; TCP admin sockets on base+1000+K.
    /// With `unixSockets`, lb-2… use DIR/lb-K.sock (lb-1 stays on TCP, so both kinds get used).
    init(dir: String, backendCount: Int, lbCount: Int, basePort: Int, version: String, unixSockets: Bool) throws(LabError) {
        guard (1...64).contains(backendCount) else { throw LabError("--backends must be between 1 and 64") }
        guard (1...16).contains(lbCount) else { throw LabError("--lbs must be between 1 and 16") }
        guard basePort - 100 + 1 >= 1024, basePort + 1000 + lbCount <= 65535, basePort + backendCount <= 65535 else {
            throw LabError("--base-port \(basePort) puts lab ports outside 1024…65535 (frontends use base-100+K, admin sockets base+1000+K)")
        }
        self.dir = dir
        self.basePort = basePort
        self.version = version
        backends = (1...backendCount).map { index in
            BackendSpec(
                name: "web-\(index)", port: UInt16(basePort + index), version: version,
                pidFile: "\(dir)/web-\(index).pid", log: "\(dir)/web-\(index).log")
        }
        loadBalancers = try (1...lbCount).map { (index) throws(LabError) in
            let admin: AdminAddress
            if unixSockets, index > 1 {
                let path = "\(dir)/lb-\(index).sock"
                guard path.utf8.count < 108 else { throw LabError("\(path) is too long for a Unix socket; use a shorter --dir") }
                admin = .unix(path)
            } else {
                admin = .tcp(.local(UInt16(basePort + 1000 + index)))
            }
            return LoadBalancerSpec(
                name: "lb-\(index)", frontendPort: UInt16(basePort - 100 + index), admin: admin,
                config: "\(dir)/lb-\(index).cfg", pidFile: "\(dir)/lb-\(index).pid", log: "\(dir)/lb-\(index).log")
        }
    }

    /// The HAProxy configuration of one load balancer, in front of every backend.
    func configuration(for lb: LoadBalancerSpec) -> String {
        let socket: String
        switch lb.admin {
        case .tcp: socket = "\(lb.admin) level admin"
        case .unix(let path): socket = "\(path) mode 600 level admin"
        }
        let servers = backends.map { "    server \($0.name) 127.0.0.1:\($0.port)" }.joined(separator: "\n")
        return """
            # \(lb.name) of the deployer lab in \(dir) (written by deployer-lab up)
            global
                stats socket \(socket)
                stats timeout 10s

            defaults
                mode http
                timeout connect 1s
                timeout client 30s
                timeout server 130s
                retries 3
                option redispatch
                retry-on conn-failure empty-response

            frontend fe
                bind 127.0.0.1:\(lb.frontendPort)
                default_backend web

            backend web
                balance roundrobin
                option httpchk GET /health
                http-check expect status 200
                default-server check inter 200ms fall 2 rise 2
            \(servers)

            """
    }

    var manifest: LabManifest {
        LabManifest(
            dir: dir, basePort: basePort, version: version,
            backends: backends.map {
                .init(name: $0.name, host: "127.0.0.1", port: Int($0.port), pidFile: $0.pidFile, log: $0.log ?? "")
            },
            lbs: loadBalancers.map { lb in
                let kind: String
                switch lb.admin {
                case .tcp: kind = "tcp"
                case .unix: kind = "unix"
                }
                return .init(
                    name: lb.name, frontend: "127.0.0.1:\(lb.frontendPort)", frontendURL: "http://127.0.0.1:\(lb.frontendPort)/",
                    adminSocket: lb.admin.description, adminSocketKind: kind, config: lb.config, pidFile: lb.pidFile, log: lb.log)
            })
    }
}

/// DIR/lab.json: what a running lab consists of, for tests and `make demo-haproxy`.
struct LabManifest: Codable, Sendable, Equatable {
    struct Backend: Codable, Sendable, Equatable {
        let name: String
        let host: String
        let port: Int
        let pidFile: String
        let log: String
    }

    struct LoadBalancer: Codable, Sendable, Equatable {
        let name: String
        /// `127.0.0.1:17981`
        let frontend: String
        let frontendURL: String
        /// `ipv4@127.0.0.1:19081` or the Unix socket's path, as HAProxy's `stats socket` takes it.
        let adminSocket: String
        /// `tcp` or `unix`
        let adminSocketKind: String
        let config: String
        let pidFile: String
        let log: String
    }

    let dir: String
    let basePort: Int
    let version: String
    let backends: [Backend]
    let lbs: [LoadBalancer]

    func write(to path: String) throws(LabError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(self) + Data("\n".utf8)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LabError("cannot write \(path): \(error.localizedDescription)")
        }
    }
}
