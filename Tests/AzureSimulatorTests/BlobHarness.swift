import AzureSimulator
import Foundation

/// A simulator with one storage account (and its container `state`), and Blob request helpers:
/// a storage bearer token on every request unless told otherwise, or a Shared Key signature
/// built here from the spec, independently of the simulator's own code.
struct BlobHarness {
    static let account = "stdeployerstate"
    static let group = "rg-platform-state"
    static let armPath =
        "/subscriptions/\(Harness.sub)/resourceGroups/\(group)/providers/Microsoft.Storage/storageAccounts/\(account)"
    static let version = "2026-02-06"

    enum Auth {
        case bearer
        case token(String)
        case sharedKey
        /// Signs with this key instead of the account's.
        case sharedKeyWith(String)
        case none
    }

    let simulator: ARMSimulator
    let storageToken: String
    let armToken: String

    init(containers: [String] = ["state"], faults: [FaultSpec] = []) async {
        let scenario = Harness.scenario(faults: faults) {
            $0.storageAccounts = [SimulatorScenario.StorageAccount(resourceGroup: Self.group, name: Self.account, containers: containers)]
        }
        simulator = ARMSimulator(scenario: scenario)
        storageToken = await simulator.token(audience: "https://storage.azure.com")
        armToken = await simulator.token()
    }

    var key: String {
        get async { await simulator.storageKey(account: Self.account)! }
    }

    /// Sends `method` to `/{account}/{path}`; `path` is as it goes on the wire (percent-encoded).
    @discardableResult
    func send(
        _ method: String, _ path: String, query: String = "", headers: [String: String] = [:], body: Data = Data(),
        auth: Auth = .bearer, version: String? = BlobHarness.version
    ) async -> SimulatedResponse {
        let request = await prepared(method, path, query: query, headers: headers, body: body, auth: auth, version: version)
        return await simulator.handle(request)
    }

    func prepared(
        _ method: String, _ path: String, query: String = "", headers: [String: String] = [:], body: Data = Data(),
        auth: Auth = .bearer, version: String? = BlobHarness.version
    ) async -> SimulatedRequest {
        var all = ["Host": "127.0.0.1:8443", "X-Forwarded-Proto": "https", "x-ms-date": "Mon, 02 Mar 2026 10:00:00 GMT"]
        if let version { all["x-ms-version"] = version }
        if !body.isEmpty || method == "PUT" { all["Content-Length"] = String(body.count) }
        for (name, value) in headers { all[name] = value }
        let fullPath = "/\(Self.account)" + (path.isEmpty ? "" : "/" + path)
        switch auth {
        case .bearer: all["Authorization"] = "Bearer \(storageToken)"
        case .token(let token): all["Authorization"] = "Bearer \(token)"
        case .sharedKey, .sharedKeyWith:
            var signingKey = await key
            if case .sharedKeyWith(let other) = auth { signingKey = other }
            let text = Self.stringToSign(method: method, path: fullPath, query: query, headers: all)
            all["Authorization"] = "SharedKey \(Self.account):\(SharedKeySignature.sign(text, key: signingKey)!)"
        case .none: break
        }
        return SimulatedRequest(method: method, path: fullPath, query: query, headers: all, body: body)
    }

    /// The string to sign, straight from "Authorize with Shared Key" (2015-02-21 and later),
    /// with the x-ms-* headers in plain byte order unless `order` says otherwise.
    static func stringToSign(
        method: String, path: String, query: String, headers: [String: String], order: (String, String) -> Bool = (<)
    ) -> String {
        func header(_ name: String) -> String {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value ?? ""
        }
        var length = header("Content-Length")
        if length == "0" { length = "" }
        var text = [
            method, header("Content-Encoding"), header("Content-Language"), length, header("Content-MD5"), header("Content-Type"),
            header("Date"), header("If-Modified-Since"), header("If-Match"), header("If-None-Match"), header("If-Unmodified-Since"),
            header("Range"),
        ].joined(separator: "\n") + "\n"
        let msHeaders = headers.filter { $0.key.lowercased().hasPrefix("x-ms-") }.map { ($0.key.lowercased(), $0.value) }
        for (name, value) in msHeaders.sorted(by: { order($0.0, $1.0) }) {
            text += "\(name):\(value.trimmingCharacters(in: .whitespaces))\n"
        }
        text += "/\(account)\(path)"
        let items = query.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return (parts[0].lowercased(), (parts.count > 1 ? parts[1] : "").removingPercentEncoding!)
        }
        for (name, value) in items.sorted(by: { $0.0 < $1.0 }) { text += "\n\(name):\(value)" }
        return text
    }

    // MARK: Shortcuts

    @discardableResult
    func putBlock(_ name: String, _ text: String, headers: [String: String] = [:], container: String = "state") async -> SimulatedResponse {
        var all = ["x-ms-blob-type": "BlockBlob"]
        for (key, value) in headers { all[key] = value }
        return await send("PUT", "\(container)/\(name)", headers: all, body: Data(text.utf8))
    }

    @discardableResult
    func createAppend(_ name: String, headers: [String: String] = [:]) async -> SimulatedResponse {
        var all = ["x-ms-blob-type": "AppendBlob"]
        for (key, value) in headers { all[key] = value }
        return await send("PUT", "state/\(name)", headers: all)
    }

    @discardableResult
    func lease(_ name: String, _ action: String, _ headers: [String: String] = [:]) async -> SimulatedResponse {
        var all = ["x-ms-lease-action": action]
        for (key, value) in headers { all[key] = value }
        return await send("PUT", "state/\(name)", query: "comp=lease", headers: all)
    }

    func leaseState(_ name: String) async -> String? {
        await send("HEAD", "state/\(name)").header("x-ms-lease-state")
    }
}

extension SimulatedResponse {
    /// The Blob error code, from the header and (when there is a body) the XML, which must agree.
    var blobCode: String? {
        let header = header("x-ms-error-code")
        guard !body.isEmpty else { return header }
        let xml = String(decoding: body, as: UTF8.self)
        guard let start = xml.range(of: "<Code>"), let end = xml.range(of: "</Code>", range: start.upperBound..<xml.endIndex) else {
            return nil
        }
        let code = String(xml[start.upperBound..<end.lowerBound])
        return code == header ? code : "mismatch: header \(header ?? "none"), body \(code)"
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// Every `<element>` value in the body, in order.
    func xmlValues(_ element: String) -> [String] {
        let xml = text
        var values: [String] = []
        var cursor = xml.startIndex
        while let start = xml.range(of: "<\(element)>", range: cursor..<xml.endIndex),
            let end = xml.range(of: "</\(element)>", range: start.upperBound..<xml.endIndex)
        {
            values.append(String(xml[start.upperBound..<end.lowerBound]))
            cursor = end.upperBound
        }
        return values
    }
}
