public import Deployer
import Foundation
import JSONDocument

/// The deploy lock kept in Azure, as tags on the scale set written with `If-Match`, so operators on
/// different machines see each other. Tags hold at most 256 characters each; the holder is spread over
/// several.
public struct ScaleSetTagLock: DeployLock {
    public let client: ScaleSetClient
    static let prefix = "deployer-lock-"

    public init(client: ScaleSetClient) { self.client = client }

    public func acquire(_ info: LockInfo) async throws -> LockInfo? {
        try await write { current in current == nil ? (info, nil) : (nil, current) }
    }

    public func takeOver(from expected: LockInfo, to info: LockInfo) async throws -> Bool {
        let holder = try await write { current in current == expected ? (info, nil) : (nil, current) }
        return holder == nil
    }

    public func release(_ holder: LockInfo) async throws {
        _ = try await write(clearing: true) { current in current == holder ? (nil, nil) : (nil, current) }
    }

    public func current() async throws -> LockInfo? {
        Self.decode(try await client.model().tags)
    }

    /// Reads the tags, decides, and writes with `If-Match`; a 412 (someone wrote in between) reads again.
    /// `decide` returns the new holder to write, or the holder that stands (nothing written).
    private func write(
        clearing: Bool = false, _ decide: (LockInfo?) -> (write: LockInfo?, standing: LockInfo?)
    ) async throws -> LockInfo? {
        for _ in 1...5 {
            let model = try await client.model()
            let current = Self.decode(model.tags)
            let (next, standing) = decide(current)
            if next == nil, !(clearing && current != nil && standing == nil) { return standing }
            var tags = model.tags.filter { !$0.key.hasPrefix(Self.prefix) }
            if let next { tags.merge(Self.encode(next)) { _, new in new } }
            do {
                try await client.replaceTags(tags, ifMatch: model.etag)
                return nil
            } catch let error as ARMError where error.status == 412 {
                continue
            }
        }
        throw DeployerError("could not write the lock tags on \(client.name): they kept changing under us")
    }

    static func encode(_ info: LockInfo) -> [String: String] {
        var tags = [
            prefix + "user": String(info.user.prefix(256)), prefix + "host": String(info.host.prefix(256)),
            prefix + "pid": String(info.pid), prefix + "since": String(Int(info.since.timeIntervalSince1970)),
            prefix + "command": String(info.command.prefix(256)), prefix + "manual": info.manual ? "true" : "false",
        ]
        if let id = info.deployID { tags[prefix + "deploy"] = id }
        if let message = info.message { tags[prefix + "message"] = String(message.prefix(256)) }
        return tags
    }

    static func decode(_ tags: [String: String]) -> LockInfo? {
        guard let user = tags[prefix + "user"], let since = tags[prefix + "since"].flatMap(Double.init) else { return nil }
        return LockInfo(
            user: user, host: tags[prefix + "host"] ?? "?", pid: tags[prefix + "pid"].flatMap(Int32.init) ?? 0,
            since: Date(timeIntervalSince1970: since), deployID: tags[prefix + "deploy"], command: tags[prefix + "command"] ?? "",
            message: tags[prefix + "message"], manual: tags[prefix + "manual"] == "true")
    }
}
