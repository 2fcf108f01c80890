import Foundation

/// A `ports` entry: `[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]`, ports or ranges (`3000-3005`), or the
/// long syntax (`target`, `published`, `host_ip`, `protocol`).
struct PortMapping: Equatable {
    /// The host address written, if any (`127.0.0.1`, `::1`); nil binds every address.
    var hostIP: String?
    /// The host ports; nil when docker picks one.
    var published: ClosedRange<Int>?
    var target: ClosedRange<Int>
    var proto: String

    static let protocols = ["tcp", "udp", "sctp"]

    /// Parses the short syntax; the error says what is wrong.
    static func parse(short text: String) -> Result<PortMapping, PortError> {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var proto = "tcp"
        if let slash = rest.lastIndex(of: "/") {
            proto = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var hostIP: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return .failure(PortError("`\(text)` opens `[` for an IPv6 host address but never closes it")) }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(PortError("`\(text)` needs `:` after the host address `[\(hostIP ?? "")]`")) }
            rest = rest.dropFirst()
        }
        var parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if hostIP == nil, parts.count > 3 {
            // An IPv6 address written without brackets: the last two parts are the ports.
            hostIP = parts.dropLast(2).joined(separator: ":")
            parts = Array(parts.suffix(2))
        } else if hostIP == nil, parts.count == 3 {
            hostIP = parts.removeFirst()
        }
        guard !parts.isEmpty, parts.count <= 2 else { return .failure(PortError("`\(text)` is not `[HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]`")) }
        let target: ClosedRange<Int>
        switch range(parts[parts.count - 1], what: "container port") {
        case .success(let value): target = value
        case .failure(let error): return .failure(error)
        }
        var published: ClosedRange<Int>?
        if parts.count == 2, !parts[0].isEmpty {
            switch range(parts[0], what: "host port") {
            case .success(let value): published = value
            case .failure(let error): return .failure(error)
            }
        }
        let mapping = PortMapping(hostIP: hostIP?.isEmpty == true ? nil : hostIP, published: published, target: target, proto: proto)
        return mapping.validated(text: text)
    }

    /// Checks what both syntaxes share: protocol, host address, and range sizes.
    func validated(text: String) -> Result<PortMapping, PortError> {
        guard Self.protocols.contains(proto) else {
            var message = "protocol `\(proto)` in `\(text)` is not one of `tcp`, `udp`, `sctp`"
            if Self.protocols.contains(proto.lowercased()) { message += "; write it in lower case (`\(proto.lowercased())`)" }
            return .failure(PortError(message))
        }
        if let hostIP, IPAddress(hostIP) == nil {
            return .failure(PortError("host address `\(hostIP)` in `\(text)` is not an IPv4 or IPv6 address"))
        }
        if let published, target.count > 1, published.count != target.count {
            return .failure(
                PortError("`\(text)` maps \(published.count) host port(s) to \(target.count) container ports; the ranges must be the same size"))
        }
        return .success(self)
    }

    /// A port (`8080`) or range (`3000-3005`), each in 1–65535.
    static func range(_ text: String, what: String) -> Result<ClosedRange<Int>, PortError> {
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var numbers: [Int] = []
        for bound in bounds {
            guard !bound.isEmpty, bound.allSatisfy(\.isASCIIDigit), let number = Int(bound.prefix(6)) else {
                return .failure(PortError("\(what) `\(text)` is not a port number or a range like `3000-3005`"))
            }
            guard (1...65535).contains(number) else {
                return .failure(PortError("\(what) \(bound) is outside 1–65535"))
            }
            numbers.append(number)
        }
        let low = numbers[0]
        let high = numbers.count == 2 ? numbers[1] : low
        guard low <= high else { return .failure(PortError("\(what) range `\(text)` ends before it starts")) }
        return .success(low...high)
    }

    /// Whether two bindings would take the same host port: same protocol, overlapping ports, and the
    /// same host address or an address that covers every one.
    func conflicts(with other: PortMapping) -> Int? {
        guard proto == other.proto, let mine = published, let theirs = other.published, mine.overlaps(theirs) else { return nil }
        guard Self.sharesAddress(hostIP, other.hostIP) else { return nil }
        return max(mine.lowerBound, theirs.lowerBound)
    }

    private static func sharesAddress(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b, let left = IPAddress(a), let right = IPAddress(b) else { return true }
        // `0.0.0.0` takes the port on every IPv4 address; `::` on every address (dual stack).
        if left.isUnspecified, !left.isV4 || right.isV4 { return true }
        if right.isUnspecified, !right.isV4 || left.isV4 { return true }
        return left == right
    }
}

/// Why a `ports` entry is wrong, written for the user.
struct PortError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
