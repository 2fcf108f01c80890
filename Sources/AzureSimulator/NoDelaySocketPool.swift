import JSONDocument
import FlyingFox
import FlyingSocks
import Glibc

/// FlyingFox's socket pool with TCP_NODELAY set on every socket it waits on. FlyingFox writes a
/// response's head and body separately; with Nagle's algorithm on, the body then waits for the
/// client's delayed ACK, about 40 ms a request on loopback. The listening socket is among the first
/// it waits on, and Linux hands TCP_NODELAY down to the connections it accepts.
struct NoDelaySocketPool: AsyncSocketPool {
    let base: any AsyncSocketPool

    func prepare() async throws { try await base.prepare() }

    func run() async throws { try await base.run() }

    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        var on: Int32 = 1
        // Fails harmlessly on a socket that is not TCP; nothing to report.
        _ = setsockopt(socket.file.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        try await base.suspendSocket(socket, untilReadyFor: events)
    }
}
