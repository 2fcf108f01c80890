import Foundation
import JSONDocument

/// Unsigned but well-formed JWTs: what the simulator's token endpoints mint and what its ARM
/// endpoints accept. az decodes them (without checking the signature) to read `tid`.
enum SimulatorToken {
    enum Verdict: Equatable {
        case valid
        case malformed
        case expired(Date)
    }

    static func mint(audience: String, issuer: String, tenant: String, appID: String, lifetime: TimeInterval, now: Date = Date()) -> String {
        let issued = Int(now.timeIntervalSince1970)
        let header: JSONValue = ["alg": "RS256", "typ": "JWT", "kid": "simulator"]
        let claims: JSONValue = [
            "aud": .string(audience), "iss": .string(issuer), "tid": .string(tenant),
            "oid": .string(stableUUID(appID)), "appid": .string(appID), "sub": .string(stableUUID(appID)),
            "iat": .int(issued), "nbf": .int(issued - 5), "exp": .int(issued + Int(lifetime)),
        ]
        return [header.data, claims.data, Data("deployer-arm-simulator-unsigned".utf8)].map(base64URL).joined(separator: ".")
    }

    static func check(_ token: String, now: Date = Date()) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = decode(parts[0]), JSONValue.parse(header)?["alg"] != nil,
            let payload = decode(parts[1]), let claims = JSONValue.parse(payload),
            let exp = claims["exp"]?.intValue ?? (claims["exp"].flatMap { value -> Int? in
                if case .double(let seconds) = value { return Int(seconds) }
                return nil
            })
        else { return .malformed }
        let expiry = Date(timeIntervalSince1970: TimeInterval(exp))
        return expiry > now ? .valid : .expired(expiry)
    }

    /// The `aud` claim of a token `check` finds valid, without its trailing slash.
    static func audience(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = decode(parts[1]), var audience = JSONValue.parse(payload)?["aud"]?.stringValue else {
            return nil
        }
        if audience.hasSuffix("/") { audience.removeLast() }
        return audience
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ part: Substring) -> Data? {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text)
    }

    /// A UUID-shaped id derived from a name, so the same client gets the same object id.
    static func stableUUID(_ name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(format: "%016llx", hash) + String(format: "%016llx", hash &* 31)
        let characters = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }.joined(separator: "-")
    }
}
