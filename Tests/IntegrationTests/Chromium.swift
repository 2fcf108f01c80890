import Foundation
import Testing

/// Debian's headless Chromium, as a reader's browser: the DOM it parses a page into, and the picture it
/// draws. Each run has its own profile in the scratch directory and a time limit.
enum Chromium {
    static let path = "/usr/bin/chromium"

    private static func run(_ arguments: [String], profile: String, stdout: FileHandle) throws {
        try #require(FileManager.default.isExecutableFile(atPath: path), "chromium is installed by `make deps`")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)"] + arguments
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
    }

    /// The page's DOM as Chromium parsed it (`--dump-dom`).
    static func dom(of file: String, scratch: String) throws -> String {
        let output = scratch + "/dom-\(UUID().uuidString).html"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        try run(["--dump-dom", "file://\(file)"], profile: scratch + "/chromium-dom", stdout: try FileHandle(forWritingTo: URL(fileURLWithPath: output)))
        return try String(contentsOfFile: output, encoding: .utf8)
    }

    /// The page drawn in a window of `width` × `height` as a PNG; checks it is one, of that size and not blank.
    @discardableResult
    static func screenshot(of file: String, scratch: String, width: Int = 1040, height: Int = 900) throws -> Data {
        let picture = scratch + "/screenshot-\(UUID().uuidString).png"
        try run(
            ["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(picture)", "file://\(file)"],
            profile: scratch + "/chromium-shot", stdout: FileHandle.nullDevice)
        let data = try Data(contentsOf: URL(fileURLWithPath: picture))
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG")
        // Width and height from the IHDR chunk: the window's size.
        #expect(data.count > 24 && data[16..<20].reduce(0) { $0 << 8 | Int($1) } == width && data[20..<24].reduce(0) { $0 << 8 | Int($1) } == height)
        #expect(data.count > 20_000, "a drawn page, not a blank one: \(data.count) bytes")
        return data
    }
}
