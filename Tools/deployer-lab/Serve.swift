import ArgumentParser

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one tiny HTTP backend on 127.0.0.1 (foreground).",
        discussion: """
            Routes: GET /health → 200 "ok"; GET / → 200 "VERSION PORT"; GET /slow?ms=N → waits N ms \
            (at most 120000), then answers like /; anything else → 404. HTTP/1.1 keep-alive, \
            Content-Length on every response. The pid file is written (atomically) once listening.

            On SIGTERM or SIGINT the listening socket closes at once, in-flight requests finish (up to \
            130 s), idle keep-alive connections close, the pid file is removed if it still names this \
            process, and the exit status is 0.
            """)

    @Option(help: "TCP port on 127.0.0.1 to listen on.")
    var port: Int

    @Option(help: ArgumentHelp("The version this backend reports, e.g. v6.21.17.", valueName: "version"))
    var version: String

    @Option(help: ArgumentHelp("Where to write this process's pid once listening.", valueName: "file"))
    var pidFile: String?

    func validate() throws {
        _ = try UInt16.labPort(port, option: "--port")
        guard !version.isEmpty, !version.contains(where: \.isWhitespace) else {
            throw ValidationError("--version must be one word, e.g. v6.21.17")
        }
    }

    func run() throws {
        let server = HTTPServer(port: try UInt16.labPort(port, option: "--port"), version: version, pidFile: pidFile.map(LabPath.absolute))
        try server.run()
    }
}
