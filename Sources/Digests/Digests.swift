import CCrypto

/// SHA-256 and HMAC-SHA256 through OpenSSL's libcrypto: what Azure Storage's Shared Key signatures
/// and the checks of uploaded files need, on both sides of the wire.
public enum Digests {
    /// The SHA-256 digest of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "libcrypto cannot compute SHA-256")
        return Array(digest.prefix(32))
    }

    /// The SHA-256 digest of `bytes` as 64 lowercase hex digits (what `sha256sum` prints).
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        sha256(bytes).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: 32)
        var length = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                EVP_Q_mac(
                    nil, "HMAC", nil, "SHA256", nil, keyBytes.baseAddress, keyBytes.count, messageBytes.baseAddress,
                    messageBytes.count, &mac, mac.count, &length)
            }
        }
        precondition(result != nil && length == 32, "libcrypto cannot compute HMAC-SHA256")
        return mac
    }
}
