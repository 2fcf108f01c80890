import Foundation
import JSONDocument
import Digests

/// Azure Storage's Shared Key scheme for the Blob service, version 2015-02-21 and later:
/// `Authorization: SharedKey {account}:{base64 HMAC-SHA256 of the string to sign}`.
public enum SharedKeySignature {
    /// The standard headers that open the string to sign, in order.
    static let signedHeaders = [
        "Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date", "If-Modified-Since",
        "If-Match", "If-None-Match", "If-Unmodified-Since", "Range",
    ]

    /// The base64 HMAC-SHA256 of `stringToSign` under the base64 account key; nil when the key is not base64.
    public static func sign(_ stringToSign: String, key: String) -> String? {
        guard let secret = Data(base64Encoded: key) else { return nil }
        return Data(Digests.hmacSHA256(key: Array(secret), Array(stringToSign.utf8))).base64EncodedString()
    }

    /// What the service signs for a request to `account`: the verb, the standard headers
    /// (Content-Length empty when 0), the `x-ms-*` headers lowercased, trimmed and in the
    /// service's order, then `/{account}{path as sent}` and each query parameter as
    /// `\nname:value` (names lowercased and sorted, values decoded, repeated values sorted and
    /// joined with commas).
    static func stringToSign(_ request: SimulatedRequest, account: String) -> String {
        var lines = [request.method]
        for name in signedHeaders {
            var value = request.header(name) ?? ""
            if name == "Content-Length", value == "0" { value = "" }
            lines.append(value)
        }
        var text = lines.joined(separator: "\n") + "\n"
        var canonical: [String: String] = [:]
        for (name, value) in request.headers where name.lowercased().hasPrefix("x-ms-") {
            let key = name.lowercased()
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            canonical[key] = canonical[key].map { $0 + "," + trimmed } ?? trimmed
        }
        for name in canonical.keys.sorted(by: { headerOrder($0, $1) < 0 }) {
            text += name + ":" + canonical[name]! + "\n"
        }
        text += "/" + account + request.path
        var parameters: [String: [String]] = [:]
        for item in request.queryItems {
            parameters[item.name.lowercased(), default: []].append(item.value)
        }
        for name in parameters.keys.sorted() {
            text += "\n" + name + ":" + parameters[name]!.sorted().joined(separator: ",")
        }
        return text
    }

    /// The service's collation for header names (as azure-storage-blob's `_storage_header_sort`
    /// reproduces it): hyphens are ignored at the first level and only break ties at the second,
    /// so `x-ms-meta-ab` sorts before `x-ms-meta-a-z`. Negative when `lhs` comes first.
    static func headerOrder(_ lhs: String, _ rhs: String) -> Int {
        let left = Array(lhs.unicodeScalars.map { Int($0.value) })
        let right = Array(rhs.unicodeScalars.map { Int($0.value) })
        var level = 0
        var i = 0
        var j = 0
        while level < 2 {
            if level == 1 && i != j { return i > j ? -1 : 1 }
            let w1 = i < left.count ? weight(left[i], level: level) : 1
            let w2 = j < right.count ? weight(right[j], level: level) : 1
            if w1 == 1 && w2 == 1 {
                i = 0
                j = 0
                level += 1
            } else if w1 == w2 {
                i += 1
                j += 1
            } else if w1 == 0 {
                i += 1
            } else if w2 == 0 {
                j += 1
            } else {
                return w1 < w2 ? -1 : 1
            }
        }
        return 0
    }

    /// First level: letters and digits by value, case folded, a few symbols before them, hyphen
    /// (and control characters) ignored. Second level: only `'` and `-` weigh. Characters past
    /// ASCII weigh by their code point, after every ASCII one.
    private static func weight(_ scalar: Int, level: Int) -> Int {
        if level == 1 {
            return scalar == 0x27 ? 0x8012 : scalar == 0x2D ? 0x8212 : 0
        }
        guard scalar < 128 else { return 0x10000 + scalar }
        return levelZero[scalar]
    }

    private static let levelZero: [Int] = [
        0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0,
        0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0,
        0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x71c, 0x0, 0x71f, 0x721, 0x723, 0x725,
        0x0, 0x0, 0x0, 0x72d, 0x803, 0x0, 0x0, 0x733, 0x0, 0xd03, 0xd1a, 0xd1c, 0xd1e,
        0xd20, 0xd22, 0xd24, 0xd26, 0xd28, 0xd2a, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0,
        0xe02, 0xe09, 0xe0a, 0xe1a, 0xe21, 0xe23, 0xe25, 0xe2c, 0xe32, 0xe35, 0xe36, 0xe48, 0xe51,
        0xe70, 0xe7c, 0xe7e, 0xe89, 0xe8a, 0xe91, 0xe99, 0xe9f, 0xea2, 0xea4, 0xea6, 0xea7, 0xea9,
        0x0, 0x0, 0x0, 0x743, 0x744, 0x748, 0xe02, 0xe09, 0xe0a, 0xe1a, 0xe21, 0xe23, 0xe25,
        0xe2c, 0xe32, 0xe35, 0xe36, 0xe48, 0xe51, 0xe70, 0xe7c, 0xe7e, 0xe89, 0xe8a, 0xe91, 0xe99,
        0xe9f, 0xea2, 0xea4, 0xea6, 0xea7, 0xea9, 0x0, 0x74c, 0x0, 0x750, 0x0,
    ]
}
