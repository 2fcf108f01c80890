import Foundation

/// An IPv4 or IPv6 address, as bytes (4 or 16).
struct IPAddress: Hashable, CustomStringConvertible {
    var bytes: [UInt8]
    let description: String

    static func == (lhs: IPAddress, rhs: IPAddress) -> Bool { lhs.bytes == rhs.bytes }
    func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    var isV4: Bool { bytes.count == 4 }
    var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    init?(_ text: String) {
        if text.contains(":") {
            guard let bytes = Self.parseV6(text) else { return nil }
            self.bytes = bytes
        } else {
            guard let bytes = Self.parseV4(text) else { return nil }
            self.bytes = bytes
        }
        description = text
    }

    private static func parseV4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // Leading zeros are refused: some tools read them as octal.
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), part == "0" || !part.hasPrefix("0"),
                let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseV6(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        var tail: [UInt8] = []
        // An embedded IPv4 address at the end (`::ffff:10.0.0.1`).
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = parseV4(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = v4
            text = text[...lastColon]
            if text.hasSuffix(":"), !text.hasSuffix("::") { text = text.dropLast() }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 {
            let all = head + tail
            return all.count == 16 ? all : nil
        }
        guard let rest = groups(halves[1]) else { return nil }
        let known = head.count + rest.count + tail.count
        guard known <= 14 else { return nil }
        return head + Array(repeating: 0, count: 16 - known) + rest + tail
    }
}

/// A subnet in CIDR form (`172.20.0.0/16`, `fd00::/64`).
struct IPSubnet: Hashable, CustomStringConvertible {
    var address: IPAddress
    var prefix: Int

    var description: String { "\(address)/\(prefix)" }

    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])), parts[1].allSatisfy(\.isASCIIDigit),
            let prefix = Int(parts[1]), (0...(address.bytes.count * 8)).contains(prefix)
        else { return nil }
        self.address = address
        self.prefix = prefix
    }

    func contains(_ other: IPAddress) -> Bool {
        other.isV4 == address.isV4 && Self.samePrefix(address.bytes, other.bytes, bits: prefix)
    }

    func overlaps(_ other: IPSubnet) -> Bool {
        address.isV4 == other.address.isV4
            && Self.samePrefix(address.bytes, other.address.bytes, bits: min(prefix, other.prefix))
    }

    private static func samePrefix(_ a: [UInt8], _ b: [UInt8], bits: Int) -> Bool {
        var remaining = bits
        for index in a.indices where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if a[index] & mask != b[index] & mask { return false }
            remaining -= take
        }
        return true
    }
}
