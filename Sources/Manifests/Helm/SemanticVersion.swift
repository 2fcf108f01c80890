/// A chart or application version: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`.
///
/// Helm reads chart versions leniently (a leading `v`, missing minor or patch parts: `v1.2`), and
/// its linter warns when a version is not strict SemVer 2. Both readings are offered here.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int
    /// Dot-separated pre-release identifiers (`rc.1` → `["rc", "1"]`); empty for a release.
    public var prerelease: [String]
    /// Dot-separated build metadata identifiers; ignored when versions are compared.
    public var build: [String]

    public init(major: Int, minor: Int, patch: Int, prerelease: [String] = [], build: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
        self.build = build
    }

    /// Parses strict SemVer 2: three numeric parts without leading zeros, no `v` prefix,
    /// pre-release identifiers without leading zeros in numeric ones.
    public init?(strict text: String) {
        guard let parsed = Self.parse(text, strict: true) else { return nil }
        self = parsed
    }

    /// Parses the way Helm does (Masterminds semver `NewVersion`): a `v` prefix and missing minor or
    /// patch parts are accepted, so `v1.2` is 1.2.0.
    public init?(lenient text: String) {
        guard let parsed = Self.parse(text, strict: false) else { return nil }
        self = parsed
    }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    /// Which part of a version to increase.
    public enum Part: String, Sendable, CaseIterable {
        case major, minor, patch
    }

    /// The next version after this one when `part` is increased, dropping build metadata.
    ///
    /// A pre-release is followed by its own release when that release is what the bump asks for
    /// (`1.3.0-rc.1` bumped by minor or patch is `1.3.0`, `2.0.0-beta` bumped by major is `2.0.0`);
    /// otherwise the part is increased and the lower parts reset (`1.2.3` → `1.3.0` by minor).
    public func bumped(_ part: Part) -> SemanticVersion {
        let isPrerelease = !prerelease.isEmpty
        switch part {
        case .major:
            if isPrerelease && minor == 0 && patch == 0 { return SemanticVersion(major: major, minor: 0, patch: 0) }
            return SemanticVersion(major: major + 1, minor: 0, patch: 0)
        case .minor:
            if isPrerelease && patch == 0 { return SemanticVersion(major: major, minor: minor, patch: 0) }
            return SemanticVersion(major: major, minor: minor + 1, patch: 0)
        case .patch:
            if isPrerelease { return SemanticVersion(major: major, minor: minor, patch: patch) }
            return SemanticVersion(major: major, minor: minor, patch: patch + 1)
        }
    }

    /// SemVer 2 precedence: numbers first, then a pre-release sorts before its release; build
    /// metadata does not count.
    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true), (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case let (l?, r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return left < right
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    /// Equality by precedence would ignore build metadata; `==` compares every part, as `Hashable` needs.
    public func hasSamePrecedence(as other: SemanticVersion) -> Bool {
        !(self < other) && !(other < self)
    }

    private static func parse(_ text: String, strict: Bool) -> SemanticVersion? {
        var rest = Substring(text)
        if !strict, rest.first == "v" { rest = rest.dropFirst() }
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<plus]
            guard build.allSatisfy(isIdentifier) else { return nil }
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<dash]
            guard prerelease.allSatisfy(isIdentifier) else { return nil }
            if strict, prerelease.contains(where: { $0.count > 1 && $0.hasPrefix("0") && $0.allSatisfy(\.isASCIIDigit) }) {
                return nil
            }
        }
        let numbers = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (strict ? 3...3 : 1...3).contains(numbers.count) else { return nil }
        var parts: [Int] = []
        for number in numbers {
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), number.count <= 18 else { return nil }
            if strict, number.count > 1, number.hasPrefix("0") { return nil }
            guard let value = Int(number) else { return nil }
            parts.append(value)
        }
        while parts.count < 3 { parts.append(0) }
        return SemanticVersion(major: parts[0], minor: parts[1], patch: parts[2], prerelease: prerelease, build: build)
    }

    private static func isIdentifier(_ identifier: String) -> Bool {
        !identifier.isEmpty && identifier.allSatisfy { $0.isASCIIDigit || $0.isASCIILetter || $0 == "-" }
    }
}
