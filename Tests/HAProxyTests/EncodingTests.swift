import Foundation
import HAProxy
import Synchronization
import Testing

/// A transport that records what would have been sent and answers nothing.
final class RecordingTransport: RuntimeTransport {
    let sent = Mutex<[[UInt8]]>([])
    var endpoint: String { "recording" }
    func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] {
        sent.withLock { $0.append(request) }
        return []
    }
}

@Suite struct EncodingTests {
    static let hostile = [
        "web1;shutdown sessions server x/y", "web1\nshutdown sessions server x/y", "web1 ; disable server x/y",
        "web1\r\nset server x/y state maint", "web 1", "web1\\;x", "web/1", "", "web1\u{0}", "wéb1",
        String(repeating: "a", count: 256),
    ]

    @Test(arguments: hostile)
    func hostileServerNamesNeverReachTheSocket(_ name: String) async throws {
        let transport = RecordingTransport()
        let client = RuntimeAPIClient(transport: transport)
        await #expect(throws: HAProxyError.self) {
            try await client.setState(.drain, of: ServerRef(backend: "web", server: name))
        }
        await #expect(throws: HAProxyError.self) {
            try await client.shutdownSessions(of: ServerRef(backend: name, server: "web1"))
        }
        #expect(transport.sent.withLock { $0.isEmpty })
    }

    @Test func refusalNamesTheCharacter() {
        #expect {
            try ServerRef(backend: "web", server: "web1;shutdown sessions server x/y")
        } throws: { error in
            let message = (error as? HAProxyError)?.message ?? ""
            return message.contains("';'") && message.contains("nothing was sent")
        }
    }

    @Test func linesAreExactlyTheCommands() throws {
        let ref = try ServerRef(backend: "backend_web", server: "prod-backend-7.local:1")
        #expect(RuntimeCommand.setState(ref, .drain).line == "set server backend_web/prod-backend-7.local:1 state drain")
        #expect(RuntimeCommand.setState(ref, .ready).line == "set server backend_web/prod-backend-7.local:1 state ready")
        #expect(RuntimeCommand.shutdownSessions(ref).line == "shutdown sessions server backend_web/prod-backend-7.local:1")
        #expect(RuntimeCommand.setWeight(ref, 50).line == "set server backend_web/prod-backend-7.local:1 weight 50")
        #expect(try RuntimeCommand.setState(ref, .maint).encoded().last == 0x0A)
        #expect(throws: HAProxyError.self) { try RuntimeCommand.setWeight(ref, 257).encoded() }
        #expect(RuntimeCommand.showServersState(backend: nil).isMutation == false)
    }

    @Test func anyReplyToAMutationIsAFailure() async throws {
        struct Replying: RuntimeTransport {
            let reply: String
            var endpoint: String { "test" }
            func exchange(_ request: [UInt8], timeout: Duration) async throws -> [UInt8] { Array(reply.utf8) }
        }
        let ref = try ServerRef(backend: "web", server: "web1")
        for reply in ["No such server.\n\n", "Permission denied\n\n", "No such backend.\n\n"] {
            let client = RuntimeAPIClient(transport: Replying(reply: reply))
            await #expect {
                try await client.send(.setState(ref, .drain))
            } throws: { error in
                (error as? HAProxyError)?.kind == .refused
                    && (error as? HAProxyError)?.message.contains(reply.trimmingCharacters(in: .newlines)) == true
            }
        }
        // A bare newline is HAProxy's success.
        try await RuntimeAPIClient(transport: Replying(reply: "\n")).send(.setState(ref, .drain))
    }
}
