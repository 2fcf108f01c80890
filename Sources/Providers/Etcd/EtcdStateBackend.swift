public import Deployer
public import Foundation
import JSONDocument
import Synchronization

/// An environment's deploy state in etcd, through its v3 JSON gateway (`/v3/kv/range`, `/v3/kv/txn`,
/// `/v3/lease/grant`, `/v3/auth/authenticate`) over HTTP: no gRPC. Every object is a key under
/// `prefix/`; every write is a transaction whose condition is the object's state (absent for a
/// create, its bytes for a replace or a delete), so two machines never both win. An appended object
/// (a journal, the audit log) is one key per record under `prefix/KEY/~ID`, read back in the order
/// etcd created them; a record retried after a lost answer keeps its ID, so it is never written
/// twice. Heartbeats are bound to a lease of `heartbeatTTL`: a holder that dies leaves its lock,
/// but its heartbeat goes, so every machine sees it gone; a record of each beat's time outside the
/// lease (`prefix/.last-beat/KEY`, written in the same transaction: when that lease runs out) says
/// since when.
///
/// Endpoints are tried in turn: one that does not answer is left for the next. An endpoint that
/// answers with an error, or none answering, fails the operation (state is never guessed).
public actor EtcdStateBackend: StateBackend {
    public nonisolated let location: String
    public nonisolated let isShared = true
    /// How long a heartbeat outlives its last write, by default.
    public static let defaultHeartbeatTTL = 15
    /// How long a heartbeat of this backend outlives its last write (seconds; etcd's minimum is 2).
    public nonisolated let heartbeatTTL: Int
    /// How many keys a snapshot reads of a folder whose newest object it wants.
    public nonisolated let snapshotLimit: Int

    let endpoints: [URL]
    let prefix: String
    let user: String?
    let password: String?
    let transport: any HTTPTransport
    private var current = 0
    private var token: String?

    /// - Parameters:
    ///   - endpoints: `http://host:port` of the cluster's members.
    ///   - prefix: the environment's folder of keys (`deployer/production`).
    ///   - user, password: etcd authentication, when the cluster has it on.
    public init(
        endpoints: [URL], prefix: String, user: String? = nil, password: String? = nil, transport: any HTTPTransport,
        heartbeatTTL: Int = defaultHeartbeatTTL, snapshotLimit: Int = defaultSnapshotLimit
    ) {
        self.heartbeatTTL = heartbeatTTL
        self.snapshotLimit = snapshotLimit
        self.endpoints = endpoints
        self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.user = user
        self.password = password
        self.transport = transport
        location = "etcd://\(endpoints.first?.host ?? "?"):\(endpoints.first?.port ?? 2379)/\(self.prefix)"
    }

    // MARK: StateBackend

    public func read(_ key: String) async throws -> Data? {
        try checkKey(key)
        let whole = try await range(path(key)).first?.value
        let parts = try await range(prefix: path(key) + "/~", sortByCreation: true).map(\.value)
        guard whole != nil || !parts.isEmpty else { return nil }
        return parts.reduce(into: whole ?? Data()) { $0.append($1) }
    }

    public func create(_ key: String, _ data: Data) async throws -> Bool {
        try checkKey(key)
        return try await write(key, compare: [["target": "CREATE", "key": .string(Self.encode(path(key))), "create_revision": "0", "result": "EQUAL"]], data)
    }

    public func replace(_ key: String, _ data: Data, expected: Data) async throws -> Bool {
        try checkKey(key)
        return try await write(
            key, compare: [["target": "VALUE", "key": .string(Self.encode(path(key))), "value": .string(expected.base64EncodedString()), "result": "EQUAL"]],
            data)
    }

    public func delete(_ key: String, expected: Data) async throws -> Bool {
        try checkKey(key)
        var deletes: [JSONValue] = [["request_delete_range": ["key": .string(Self.encode(path(key)))]]]
        if Self.isHeartbeat(key) { deletes.append(["request_delete_range": ["key": .string(Self.encode(lastBeatPath(key)))]]) }
        return try await transaction(
            compare: [["target": "VALUE", "key": .string(Self.encode(path(key))), "value": .string(expected.base64EncodedString()), "result": "EQUAL"]],
            success: deletes)
    }

    /// Gone when the heartbeat's lease ran out: its key is absent while the record of its last beat is
    /// not. Both read in one transaction, so a beat in between cannot be mistaken for an expiry.
    public func heartbeatExpiry(_ key: String) async throws -> Date? {
        try checkKey(key)
        guard Self.isHeartbeat(key) else { return nil }
        let answer = try await call(
            "/v3/kv/txn",
            [
                "compare": [],
                "success": [
                    ["request_range": ["key": .string(Self.encode(path(key))), "keys_only": true]],
                    ["request_range": ["key": .string(Self.encode(lastBeatPath(key)))]],
                ],
                "failure": [],
            ])
        let ranges = try answer.member("responses").array.map { try kvs($0.member("response_range")) }
        guard ranges.count == 2, ranges[0].isEmpty, let last = ranges[1].first else { return nil }
        guard let runsOut = try? Date(String(decoding: last.value, as: UTF8.self), strategy: .iso8601) else {
            throw StateError(backend: location, "the record of the last heartbeat of \(key) is not a date")
        }
        return runsOut
    }

    public func append(_ key: String, _ data: Data) async throws {
        try checkKey(key)
        // One ID per record, kept across retries: a put whose answer was lost is not made twice.
        let part = path(key) + "/~" + UUID().uuidString.lowercased()
        _ = try await transaction(
            compare: [["target": "CREATE", "key": .string(Self.encode(part)), "create_revision": "0", "result": "EQUAL"]],
            success: [["request_put": put(part, data, lease: nil)]])
    }

    public func list(_ directory: String) async throws -> [String] {
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        let base = path(folder)
        let keys = try await range(prefix: base, keysOnly: true).map(\.key)
        let names = Set(keys.compactMap { Self.name($0, under: base) })
        return names.sorted()
    }

    /// Everything in one transaction: each key (whole, and its appended records), each folder, the
    /// records of the last beats, and for each newest folder its keys in descending order (at most
    /// `snapshotLimit`), which hold the newest object whole unless it is longer than that — then it is
    /// read after, on its own.
    public func snapshot(keys: [String], folders: [String], newestIn newestFolders: [String]) async throws -> StateSnapshot {
        for key in keys + folders + newestFolders { try checkKey(key) }
        var snapshot = StateSnapshot(keys: keys, folders: folders, newestIn: newestFolders)
        var requests: [JSONValue] = []
        for key in keys {
            requests.append(["request_range": ["key": .string(Self.encode(path(key)))]])
            requests.append(["request_range": Self.rangeRequest(prefix: path(key) + "/~")])
        }
        for folder in folders { requests.append(["request_range": Self.rangeRequest(prefix: path(folder) + "/")]) }
        let beats = folders.contains { Self.isHeartbeat($0 + "/") }
        if beats { requests.append(["request_range": Self.rangeRequest(prefix: lastBeatPath(""))]) }
        for folder in newestFolders {
            requests.append(["request_range": Self.rangeRequest(prefix: path(folder) + "/", descending: true, limit: snapshotLimit)])
        }
        let answer = try await call("/v3/kv/txn", ["compare": [], "success": .array(requests), "failure": []])
        var ranges = try answer.member("responses").array.map { try kvs($0.member("response_range")) }[...]
        guard ranges.count == requests.count else {
            throw StateError(backend: location, "etcd answered \(ranges.count) of the \(requests.count) reads of one transaction")
        }
        for key in keys {
            let found = ranges.removeFirst() + ranges.removeFirst()
            if !found.isEmpty { snapshot.objects[key] = Self.joined(found) }
        }
        for folder in folders {
            let objects = Self.objects(ranges.removeFirst(), under: path(folder) + "/")
            snapshot.listings[folder] = objects.keys.sorted()
            for (name, data) in objects { snapshot.objects["\(folder)/\(name)"] = data }
        }
        if beats {
            snapshot.expiriesRead = true
            for beat in ranges.removeFirst() {
                let key = String(beat.key.dropFirst(lastBeatPath("").count))
                guard snapshot.folders.contains(StateSnapshot.folder(of: key)), snapshot.objects[key] == nil else { continue }
                guard let runsOut = try? Date(String(decoding: beat.value, as: UTF8.self), strategy: .iso8601) else {
                    throw StateError(backend: location, "the record of the last heartbeat of \(key) is not a date")
                }
                snapshot.expiries[key] = runsOut
            }
        }
        for folder in newestFolders {
            let base = path(folder) + "/"
            let found = ranges.removeFirst()
            guard let first = found.first, let firstName = Self.name(first.key, under: base) else { continue }
            // Keys come greatest first: once one sorts below the first name, every object named from
            // it up is whole here, and the newest is the greatest of them.
            if found.count < snapshotLimit || found.contains(where: { $0.key < base + firstName }) {
                let objects = Self.objects(found, under: base)
                if let newest = objects.keys.filter({ $0 >= firstName }).max() {
                    snapshot.newest[folder] = newest
                    snapshot.objects["\(folder)/\(newest)"] = objects[newest]
                }
            } else if let newest = try await newest(in: folder) {
                snapshot.newest[folder] = newest
                snapshot.objects["\(folder)/\(newest)"] = try await read("\(folder)/\(newest)")
            }
        }
        return snapshot
    }

    /// How many keys a snapshot reads of a folder whose newest object it wants, by default: a journal of
    /// about 60 hosts.
    public static let defaultSnapshotLimit = 1000

    /// The name in its folder of `key` (`folder/name` or an appended `folder/name/~ID`); nil for keys of
    /// subfolders.
    static func name(_ key: String, under base: String) -> String? {
        let rest = key.dropFirst(base.count)
        guard let name = rest.split(separator: "/", maxSplits: 1).first, !name.isEmpty else { return nil }
        let remainder = rest.dropFirst(name.count)
        guard remainder.isEmpty || remainder.hasPrefix("/~") else { return nil }
        return String(name)
    }

    /// The objects of a folder from its keys, each whole: its own value, then its appended records in
    /// the order etcd created them.
    static func objects(_ found: [KeyValue], under base: String) -> [String: Data] {
        Dictionary(grouping: found) { name($0.key, under: base) ?? "" }.filter { !$0.key.isEmpty }.mapValues(joined)
    }

    static func joined(_ found: [KeyValue]) -> Data {
        func order(_ item: KeyValue) -> (Int, Int64) { (item.key.split(separator: "/").last?.hasPrefix("~") == true ? 1 : 0, item.created) }
        return found.sorted { order($0) < order($1) }.reduce(into: Data()) { $0.append($1.value) }
    }

    // MARK: etcd

    func path(_ key: String) -> String { prefix + "/" + key }

    /// Where the time of a heartbeat's last write is kept, outside its lease.
    func lastBeatPath(_ key: String) -> String { prefix + "/.last-beat/" + key }

    static func isHeartbeat(_ key: String) -> Bool { key.hasPrefix("heartbeat/") }

    /// The writes of an object: for a heartbeat, under a new lease, with the time that lease runs out
    /// beside it.
    private func puts(_ key: String, _ data: Data) async throws -> [JSONValue] {
        guard Self.isHeartbeat(key) else { return [["request_put": put(path(key), data, lease: nil)]] }
        let lease = try await grantLease()
        return [
            ["request_put": put(path(key), data, lease: lease)],
            ["request_put": put(lastBeatPath(key), Data(Date().addingTimeInterval(TimeInterval(heartbeatTTL)).formatted(.iso8601).utf8), lease: nil)],
        ]
    }

    private func put(_ key: String, _ data: Data, lease: String?) -> JSONValue {
        var request: JSONValue = ["key": .string(Self.encode(key)), "value": .string(data.base64EncodedString())]
        if let lease { request["lease"] = .string(lease) }
        return request
    }

    /// A write of `key`, made again with a new lease when etcd says the lease just granted ran out
    /// before the write reached it (a heartbeat on a slow machine).
    private func write(_ key: String, compare: [JSONValue], _ data: Data) async throws -> Bool {
        do {
            return try await transaction(compare: compare, success: puts(key, data))
        } catch let error as StateError where Self.isHeartbeat(key) && error.message.contains("requested lease not found") {
            return try await transaction(compare: compare, success: puts(key, data))
        }
    }

    private func transaction(compare: [JSONValue], success: [JSONValue]) async throws -> Bool {
        let answer = try await call("/v3/kv/txn", ["compare": .array(compare), "success": .array(success), "failure": []])
        return answer.member("succeeded").bool ?? false
    }

    private func grantLease() async throws -> String {
        let answer = try await call("/v3/lease/grant", ["TTL": .int(heartbeatTTL)])
        guard let id = answer.member("ID").string ?? answer.member("ID").number.map({ String(Int64($0)) }) else {
            throw StateError(backend: location, "etcd granted no lease")
        }
        return id
    }

    private func range(_ key: String) async throws -> [KeyValue] {
        try await kvs(call("/v3/kv/range", ["key": .string(Self.encode(key))]))
    }

    private func range(prefix: String, sortByCreation: Bool = false, keysOnly: Bool = false) async throws -> [KeyValue] {
        try kvs(await call("/v3/kv/range", Self.rangeRequest(prefix: prefix, sortByCreation: sortByCreation, keysOnly: keysOnly)))
    }

    /// A range over every key that starts with `prefix`: in creation order, or in descending key order
    /// at most `limit` of them.
    static func rangeRequest(
        prefix: String, sortByCreation: Bool = false, keysOnly: Bool = false, descending: Bool = false, limit: Int? = nil
    ) -> JSONValue {
        var request: JSONValue = ["key": .string(encode(prefix)), "range_end": .string(encode(rangeEnd(prefix)))]
        if sortByCreation {
            request["sort_order"] = "ASCEND"
            request["sort_target"] = "CREATE"
        }
        if descending {
            request["sort_order"] = "DESCEND"
            request["sort_target"] = "KEY"
        }
        if let limit { request["limit"] = .int(limit) }
        if keysOnly { request["keys_only"] = true }
        return request
    }

    typealias KeyValue = (key: String, value: Data, created: Int64)

    private func kvs(_ answer: JSONValue) throws -> [KeyValue] {
        try answer.member("kvs").array.map { item in
            guard let key = item.member("key").string.flatMap({ Data(base64Encoded: $0) }) else {
                throw StateError(backend: location, "etcd answered a key that is not base64")
            }
            let value = item.member("value").string.flatMap { Data(base64Encoded: $0) } ?? Data()
            // int64 fields come as strings through the gateway.
            let created = item.member("create_revision").string.flatMap { Int64($0) } ?? item.member("create_revision").number.map { Int64($0) } ?? 0
            return (String(decoding: key, as: UTF8.self), value, created)
        }
    }

    /// POSTs `body` to the first endpoint that answers, authenticating first when a user is set.
    private func call(_ path: String, _ body: JSONValue, retried: Bool = false) async throws -> JSONValue {
        var failures: [String] = []
        for offset in 0..<endpoints.count {
            let index = (current + offset) % endpoints.count
            let endpoint = endpoints[index]
            var headers = ["Content-Type": "application/json"]
            if user != nil, path != "/v3/auth/authenticate" {
                headers["Authorization"] = try await authToken(endpoint)
            }
            let response: HTTPExchangeResponse
            do {
                response = try await transport.send(
                    HTTPExchangeRequest(method: "POST", url: endpoint.appendingPathComponent(path), headers: headers, body: body.data))
            } catch let failure as TransportFailure {
                failures.append("\(endpoint.host ?? "?"):\(endpoint.port ?? 0): \(failure.message)")
                continue
            }
            current = index
            let answer = JSONValue.parse(response.body) ?? .null
            guard response.status == 200 else {
                let message = answer.member("message").string ?? answer.member("error").string ?? "HTTP \(response.status)"
                if !retried, user != nil, message.contains("invalid auth token") {
                    token = nil
                    return try await call(path, body, retried: true)
                }
                throw StateError(backend: location, "etcd refused \(path): \(message)")
            }
            return answer
        }
        throw StateError(backend: location, "no etcd endpoint answered (\(failures.joined(separator: "; ")))")
    }

    private func authToken(_ endpoint: URL) async throws -> String {
        if let token { return token }
        let answer = try await call("/v3/auth/authenticate", ["name": .string(user ?? ""), "password": .string(password ?? "")])
        guard let token = answer.member("token").string else {
            throw StateError(backend: location, "etcd gave no token for user \(user ?? "")")
        }
        self.token = token
        return token
    }

    static func encode(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// The first key after every key that starts with `prefix` (etcd's range end for a prefix).
    static func rangeEnd(_ prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        return "\0"
    }
}
