import Foundation

/// `deploy.compose`: ship a compose file with one service's image set to the deployed version,
/// then pull and recreate that service (and only it) on each host.
public struct ComposeAction: Sendable, Equatable {
    /// The compose file where deployer runs, resolved next to the environment file.
    public var file: String
    public var service: String
    /// The compose project directory on the host; may use `{{ var }}` of the host.
    public var projectDirectory: String
    /// The file's name in the project directory (default: the local file's name).
    public var remoteFile: String
    /// The compose command on the host (`docker compose`, `docker-compose`, `podman compose`).
    public var command: String
    public var become: Bool
    public var timeout: Duration
    /// The compose file's text as read; only the image reference of `service` is changed when rendered.
    public var source: String
    /// The service's `image:` as written (`ghcr.io/org/app:v6.21.17`).
    public var image: String
    /// Where that image reference is written.
    public var imageLocation: SourceLocation

    public init(
        file: String, service: String, projectDirectory: String, remoteFile: String, command: String, become: Bool,
        timeout: Duration, source: String, image: String, imageLocation: SourceLocation
    ) {
        self.file = file
        self.service = service
        self.projectDirectory = projectDirectory
        self.remoteFile = remoteFile
        self.command = command
        self.become = become
        self.timeout = timeout
        self.source = source
        self.image = image
        self.imageLocation = imageLocation
    }

    /// The image reference with its tag (and any digest) replaced by `version`.
    public func image(version: String) -> String {
        ComposeImage.retag(image, to: version)
    }

    /// The compose file with the service's image set to `version`; every other byte is kept.
    public func rendered(version: String) -> String {
        var lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = imageLocation.line - 1
        // Loading checked that the reference is written literally at this place.
        guard lines.indices.contains(index), let range = ComposeImage.range(of: image, in: lines[index], from: imageLocation.column)
        else { return source }
        lines[index].replaceSubrange(range, with: image(version: version))
        return lines.joined(separator: "\n")
    }
}

/// Image references as compose files write them: `[registry[:port]/]path[:tag][@digest]`.
public enum ComposeImage {
    /// `reference` with `tag` in place of its tag and without its digest (which would pin the old image).
    public static func retag(_ reference: String, to tag: String) -> String {
        var name = Substring(reference)
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        let lastSlash = name.lastIndex(of: "/")
        let pathStart = lastSlash.map { name.index(after: $0) } ?? name.startIndex
        if let colon = name[pathStart...].lastIndex(of: ":") { name = name[..<colon] }
        return name + ":" + tag
    }

    /// The tag of `reference` (`registry:5000/app:v2@sha256:…` → `v2`), nil when it has none.
    public static func tag(of reference: String) -> String? {
        var name = Substring(reference)
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        let pathStart = name.lastIndex(of: "/").map { name.index(after: $0) } ?? name.startIndex
        guard let colon = name[pathStart...].lastIndex(of: ":") else { return nil }
        let tag = String(name[name.index(after: colon)...])
        return isValidTag(tag) ? tag : nil
    }

    /// Whether `tag` can be an image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    public static func isValidTag(_ tag: String) -> Bool {
        guard let first = tag.unicodeScalars.first, tag.unicodeScalars.count <= 128 else { return false }
        func word(_ scalar: Unicode.Scalar) -> Bool {
            scalar.isASCII && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_")
        }
        return word(first) && tag.unicodeScalars.allSatisfy { word($0) || $0 == "." || $0 == "-" }
    }

    /// Where `reference` is written literally on `line`, at or after `column` (1-based).
    static func range(of reference: String, in line: String, from column: Int) -> Range<String.Index>? {
        guard column >= 1, column - 1 <= line.count else { return nil }
        let start = line.index(line.startIndex, offsetBy: column - 1)
        return line.range(of: reference, range: start..<line.endIndex)
    }
}
