import ArgumentParser

struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace one backend's serve process with a new version (the lab's deploy).",
        discussion: """
            If the pid file names a live serve, it gets SIGTERM and is waited for (it finishes its \
            in-flight requests first). Then a new detached serve starts with the same port and pid file, \
            and this command waits until it accepts connections and the pid file names it. Works when \
            nothing is running yet (it just starts). Prints one line:
              web-1 on 127.0.0.1:18081: v6.21.17 -> v6.21.18 (pid 123 -> 456, 0.41 s)
            Exit status 0 on success, 1 (with `error: …` on stderr) on any failure.
            """)

    @Option(help: "TCP port on 127.0.0.1 the backend listens on.")
    var port: Int

    @Option(help: ArgumentHelp("The version to start, e.g. v6.21.18.", valueName: "version"))
    var version: String

    @Option(help: ArgumentHelp("The backend's pid file (read to find the old process; written by the new one).", valueName: "file"))
    var pidFile: String

    @Option(help: ArgumentHelp("Append the new serve's output to this file (default: discard).", valueName: "file"))
    var log: String?

    @Option(help: ArgumentHelp("Name in the report (default: the pid file's name without .pid).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("Bound on the whole restart: old process gone and new one serving.", valueName: "duration"))
    var timeout = LabDuration(milliseconds: 15_000)

    func validate() throws {
        _ = try UInt16.labPort(port, option: "--port")
        guard !version.isEmpty, !version.contains(where: \.isWhitespace) else {
            throw ValidationError("--version must be one word, e.g. v6.21.18")
        }
    }

    func run() throws {
        let pidFile = LabPath.absolute(pidFile)
        let fileName = pidFile.split(separator: "/").last.map(String.init) ?? pidFile
        let spec = BackendSpec(
            name: name ?? (fileName.hasSuffix(".pid") ? String(fileName.dropLast(4)) : fileName),
            port: try UInt16.labPort(port, option: "--port"), version: version, pidFile: pidFile,
            log: log.map(LabPath.absolute))
        let outcome = try BackendLauncher.restart(spec, timeout: timeout.duration)
        print(outcome.line(for: spec))
    }
}
