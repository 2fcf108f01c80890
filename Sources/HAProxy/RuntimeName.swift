/// A backend or server name as HAProxy allows it in its configuration: letters, digits, `-`, `_`,
/// `.` and `:` (HAProxy's `invalid_char()`), at most 255 bytes. Anything else — a space, `;`, `/`,
/// `\`, a newline — could end or change a runtime-API command, so it is refused before a byte is sent.
public struct RuntimeName: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(_ text: String, role: String = "name") throws(HAProxyError) {
        guard !text.isEmpty else { throw HAProxyError(.invalidArgument, "the HAProxy \(role) is empty") }
        guard text.utf8.count <= 255 else {
            throw HAProxyError(.invalidArgument, "the HAProxy \(role) is longer than 255 bytes")
        }
        if let bad = text.unicodeScalars.first(where: { !RuntimeName.allowed($0) }) {
            throw HAProxyError(
                .invalidArgument,
                "the HAProxy \(role) \(RuntimeName.quoted(text)) contains \(RuntimeName.describe(bad)); HAProxy names "
                    + "use only letters, digits, '-', '_', '.' and ':' (nothing was sent)")
        }
        rawValue = text
    }

    public var description: String { rawValue }

    static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", ":": return true
        default: return false
        }
    }

    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": return "a space"
        case "\n": return "a newline"
        case "\r": return "a carriage return"
        case "\t": return "a tab"
        case ";": return "';' (which would start another command)"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                return "a control character (U+\(String(scalar.value, radix: 16, uppercase: true)))"
            }
            return "'\(scalar)'"
        }
    }

    /// The name as printable text: control characters escaped, so a message can never smuggle them.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A server of a backend: `backend/server`, as every server command names it.
public struct ServerRef: Sendable, Hashable, CustomStringConvertible {
    public let backend: RuntimeName
    public let server: RuntimeName

    public init(backend: RuntimeName, server: RuntimeName) {
        self.backend = backend
        self.server = server
    }

    /// Validates both names; throws before anything could be sent.
    public init(backend: String, server: String) throws(HAProxyError) {
        self.backend = try RuntimeName(backend, role: "backend name")
        self.server = try RuntimeName(server, role: "server name")
    }

    public var description: String { "\(backend)/\(server)" }
}
