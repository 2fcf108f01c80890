import Foundation

/// How compose files found by a directory walk form projects.
///
/// In each directory the default file (`compose.yaml`, …, `docker-compose.yml`) is a base, with
/// `compose.override.yaml` / `docker-compose.override.yml` applied as compose applies them. Any other
/// compose file is a project of its own when it is complete alone (every service has an image or a
/// build, and what it refers to is defined in it); otherwise it is an overlay: of `X.yml` when it is
/// named `X.override.yml`, else of the nearest base in its directory or above, together with the
/// sibling files that define the services it changes but does not define itself.
enum ComposeProjectGrouping {
    struct Project: Equatable {
        var files: [String]
        /// The project directory (the base's), nil for the first file's directory.
        var directory: String?
    }

    /// What grouping needs to know of one file, read without interpolation.
    struct Outline {
        var path: String
        /// Services that have an image, a build or an extends.
        var complete: Set<String> = []
        var services: [String] = []
        /// Whether everything the file refers to is defined in it.
        var selfContained = true
    }

    static func projects(of files: [String]) -> [Project] {
        let outlines = Dictionary(uniqueKeysWithValues: files.map { ($0, outline($0)) })
        let directoryOf = { (file: String) in ComposeLoader.directory(of: file) }
        var bases: [String: String] = [:]
        for file in files {
            let name = (file as NSString).lastPathComponent
            guard let rank = ComposeValidator.baseNames.firstIndex(of: name) else { continue }
            let directory = directoryOf(file)
            if let current = bases[directory],
                let currentRank = ComposeValidator.baseNames.firstIndex(of: (current as NSString).lastPathComponent),
                currentRank < rank
            {
                continue
            }
            bases[directory] = file
        }
        var projects: [Project] = []
        var used = Set<String>()
        for (directory, base) in bases.sorted(by: { $0.key < $1.key }) {
            let overrides = ComposeValidator.overrideNames.map { directory + "/" + $0 }.filter { files.contains($0) }
            projects.append(Project(files: [base] + overrides.prefix(1), directory: nil))
            used.insert(base)
            used.formUnion(overrides.prefix(1))
        }
        for file in files where !used.contains(file) && !bases.values.contains(file) {
            guard let outline = outlines[file] else { continue }
            if outline.selfContained {
                projects.append(Project(files: [file], directory: nil))
                continue
            }
            if let target = overriddenFile(of: file, among: files) {
                projects.append(Project(files: [target, file], directory: directoryOf(target)))
                continue
            }
            guard let base = nearestBase(of: file, bases: bases) else {
                projects.append(Project(files: [file], directory: nil))
                continue
            }
            let baseServices = Set(outlines[base]?.services ?? [])
            let missing = outline.services.filter { !outline.complete.contains($0) && !baseServices.contains($0) }
            var providers: [String] = []
            for name in missing {
                let provider = files.sorted().first { candidate in
                    candidate != file && candidate != base && directoryOf(candidate) == directoryOf(file)
                        && outlines[candidate]?.complete.contains(name) == true
                }
                if let provider, !providers.contains(provider) { providers.append(provider) }
            }
            projects.append(Project(files: [base] + providers + [file], directory: directoryOf(base)))
        }
        return projects
    }

    /// `X.yml` for `X.override.yml` (or `.yaml`), when it was found too.
    static func overriddenFile(of file: String, among files: [String]) -> String? {
        let name = (file as NSString).lastPathComponent
        guard let range = name.range(of: ".override.") else { return nil }
        let stem = String(name[..<range.lowerBound])
        let directory = (file as NSString).deletingLastPathComponent
        for ext in ["yml", "yaml"] {
            let candidate = (directory.isEmpty ? "" : directory + "/") + stem + "." + ext
            if files.contains(candidate) { return candidate }
        }
        return nil
    }

    /// The base of the file's directory, or of the nearest directory above it that has one.
    static func nearestBase(of file: String, bases: [String: String]) -> String? {
        var directory = ComposeLoader.directory(of: file)
        while true {
            if let base = bases[directory], base != file { return base }
            let parent = (directory as NSString).deletingLastPathComponent
            if parent.isEmpty || parent == directory { return directory != "." ? bases["."] : nil }
            directory = parent
        }
    }

    /// The services of a file and whether it stands alone.
    static func outline(_ file: String) -> Outline {
        var outline = Outline(path: file)
        guard case .success(let text) = ManifestFile.read(file), let root = YAMLParser.parse(text, file: file).root
        else { return outline }
        if root["include"] != nil { return outline }
        let defined = { (section: String) in Set(root[section]?.pairs?.map(\.key) ?? []) }
        let networks = defined("networks").union(["default"])
        let volumes = defined("volumes")
        let secrets = defined("secrets")
        let configs = defined("configs")
        let services = root["services"]?.pairs ?? []
        let serviceNames = Set(services.map(\.key))
        for service in services {
            outline.services.append(service.key)
            let settings = service.value
            if settings["image"] != nil || settings["build"] != nil || settings["extends"] != nil {
                outline.complete.insert(service.key)
            } else {
                outline.selfContained = false
            }
            var references: [(String, Set<String>)] = []
            for key in ["depends_on", "links"] {
                let names = settings[key]?.items?.compactMap { $0.scalar?.text } ?? settings[key]?.pairs?.map(\.key) ?? []
                references += names.map { (ComposeLoader.referencedService($0, key: key) ?? $0, serviceNames) }
            }
            let serviceNetworks = settings["networks"]?.items?.compactMap { $0.scalar?.text } ?? settings["networks"]?.pairs?.map(\.key) ?? []
            references += serviceNetworks.map { ($0, networks) }
            for volume in settings["volumes"]?.items ?? [] {
                let source = volume["source"]?.scalar?.text ?? volume.scalar?.text.split(separator: ":").first.map(String.init)
                let type = volume["type"]?.scalar?.text ?? "volume"
                guard let source, type == "volume", volume.scalar == nil || (volume.scalar?.text.contains(":") ?? false),
                    let first = source.first, first != "/", first != ".", first != "~", first != "$"
                else { continue }
                references.append((source, volumes))
            }
            for (key, known) in [("secrets", secrets), ("configs", configs)] {
                for entry in settings[key]?.items ?? [] {
                    if let name = entry["source"]?.scalar?.text ?? entry.scalar?.text { references.append((name, known)) }
                }
            }
            if references.contains(where: { !$0.1.contains($0.0) }) { outline.selfContained = false }
        }
        return outline
    }
}
