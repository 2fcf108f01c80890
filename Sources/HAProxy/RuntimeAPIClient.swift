import Foundation

/// A client of one HAProxy's runtime API (the admin socket).
///
/// One command per connection (HAProxy's non-interactive mode), not the interactive `prompt` mode:
/// - the reply to a command is everything until HAProxy closes the connection, so a reply can never
///   be mistaken for part of another one (in prompt mode the end of a reply is a blank line or a
///   prompt, and a reply containing one would desynchronise the session);
/// - a timeout or a broken connection loses one command, never a session's worth of state;
/// - nothing stays open between polls, so HAProxy's `stats timeout` (10 s by default) cannot cut a
///   session in the middle of a long drain;
/// - it behaves the same on 2.6 (where `prompt` is a toggle) and 3.2+ (`prompt n|i|p|timed`).
/// The cost is one connect per command: about 0.1 ms on a local Unix socket, and one channel (not
/// one SSH session) over SSH.
public struct RuntimeAPIClient: Sendable {
    public let transport: any RuntimeTransport
    /// For each command: connect, send and the whole reply.
    public var timeout: Duration

    public init(transport: any RuntimeTransport, timeout: Duration = .seconds(5)) {
        self.transport = transport
        self.timeout = timeout
    }

    /// Sends one command and returns its reply. For a mutation, HAProxy prints nothing on success,
    /// so any text in the reply is its refusal and is thrown as `.refused`.
    @discardableResult
    public func send(_ command: RuntimeCommand) async throws(HAProxyError) -> String {
        let request = try command.encoded()
        let bytes: [UInt8]
        do {
            bytes = try await transport.exchange(request, timeout: timeout)
        } catch let error as HAProxyError {
            throw error
        } catch {
            throw HAProxyError(.unreachable, "\(transport.endpoint): \(error)")
        }
        let reply = String(decoding: bytes, as: UTF8.self)
        if command.isMutation {
            let text = reply.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty {
                throw HAProxyError(.refused, "`\(command.line)` was refused by \(transport.endpoint): \(text)")
            }
        }
        return reply
    }

    /// Every server of `backend` (or of every backend), from `show servers state`.
    public func serversState(backend: RuntimeName? = nil) async throws(HAProxyError) -> [ServerState] {
        let reply = try await send(.showServersState(backend: backend))
        do {
            return try ServerState.parse(reply)
        } catch {
            if let backend, reply.contains("Can't find backend") {
                throw HAProxyError(.refused, "\(transport.endpoint): no backend \(backend) in this HAProxy")
            }
            throw HAProxyError(error.kind, "\(transport.endpoint): \(error.message)")
        }
    }

    /// One server's state; throws `.refused` when the backend has no such server.
    public func server(_ ref: ServerRef) async throws(HAProxyError) -> ServerState {
        let servers = try await serversState(backend: ref.backend)
        guard let found = servers.first(where: { $0.server == ref.server.rawValue }) else {
            throw HAProxyError(.refused, "\(transport.endpoint): backend \(ref.backend) has no server \(ref.server)")
        }
        return found
    }

    /// `show stat`: sessions, status words and check results of every proxy and server.
    public func stat() async throws(HAProxyError) -> [StatRow] {
        let reply = try await send(.showStat)
        do {
            return try StatRow.parse(reply)
        } catch {
            throw HAProxyError(error.kind, "\(transport.endpoint): \(error.message)")
        }
    }

    /// `show info`.
    public func info() async throws(HAProxyError) -> ProcessStatus {
        let reply = try await send(.showInfo)
        do {
            return try ProcessStatus.parse(reply)
        } catch {
            throw HAProxyError(error.kind, "\(transport.endpoint): \(error.message)")
        }
    }

    /// What a poll needs in one round trip: which process answers, the backend's servers, and every
    /// row of `show stat`.
    public func snapshot(backend: RuntimeName) async throws(HAProxyError) -> (process: ProcessStatus, servers: [ServerState], stat: [StatRow]) {
        let reply = try await send(.snapshot(backend: backend))
        let parts = reply.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        do throws(HAProxyError) {
            guard parts.count == 3 else {
                if reply.contains("Can't find backend") {
                    throw HAProxyError(.refused, "no backend \(backend) in this HAProxy")
                }
                throw HAProxyError(.unexpectedReply, "expected 3 replies to `\(RuntimeCommand.snapshot(backend: backend).line)`, got \(parts.count)")
            }
            return (try ProcessStatus.parse(parts[0]), try ServerState.parse(parts[1]), try StatRow.parse(parts[2]))
        } catch {
            throw HAProxyError(error.kind, "\(transport.endpoint): \(error.message)")
        }
    }

    /// `set server B/S state ready|drain|maint`, then reads the server back: returns its state once the
    /// change shows, and throws `.notConfirmed` when it does not.
    @discardableResult
    public func setState(_ state: RuntimeCommand.AdminTarget, of ref: ServerRef) async throws(HAProxyError) -> ServerState {
        try await send(.setState(ref, state))
        let now = try await server(ref)
        guard now.adminState == state else {
            let why = now.admin.reasons.isEmpty ? "" : " (\(now.admin.reasons.joined(separator: ", ")))"
            throw HAProxyError(
                .notConfirmed,
                "\(transport.endpoint): \(ref) was set to \(state.rawValue) but reads \(now.adminState.rawValue)\(why)")
        }
        return now
    }

    /// `set server B/S weight W`, confirmed by reading it back.
    @discardableResult
    public func setWeight(_ weight: Int, of ref: ServerRef) async throws(HAProxyError) -> ServerState {
        try await send(.setWeight(ref, weight))
        let now = try await server(ref)
        guard now.weight == weight else {
            throw HAProxyError(.notConfirmed, "\(transport.endpoint): \(ref) weight was set to \(weight) but reads \(now.weight)")
        }
        return now
    }

    /// `shutdown sessions server B/S`: ends every stream on the server at once.
    public func shutdownSessions(of ref: ServerRef) async throws(HAProxyError) {
        try await send(.shutdownSessions(ref))
    }
}
