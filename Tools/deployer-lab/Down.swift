import ArgumentParser

struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop the lab in a directory.",
        discussion: """
            Stops every process named by DIR/*.pid (SIGTERM, up to 5 s, then SIGKILL), then removes \
            pid files, sockets and lab.json; configs and logs stay. Never fails when things are \
            already gone.
            """)

    @Option(help: ArgumentHelp("The lab's directory (as given to `up`).", valueName: "dir"))
    var dir: String

    func run() throws {
        let dir = LabPath.absolute(dir)
        let stopped = LabController(say: { print($0) }).down(dir)
        if stopped.isEmpty { print("nothing was running in \(dir)") }
    }
}
