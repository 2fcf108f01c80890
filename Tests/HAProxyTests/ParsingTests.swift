import Foundation
import HAProxy
import Testing

/// Replies captured from HAProxy 2.6.12 (Debian 12), with servers up, down, drained, in maintenance,
/// and tracking another server.
@Suite struct ParsingTests {
    static func fixture(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "txt"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func serversStateIsTyped() throws {
        let servers = try ServerState.parse(Self.fixture("show-servers-state-maint-2.6"))
        #expect(servers.map(\.server) == ["web1", "web2", "web3", "web4"])
        let byName = Dictionary(uniqueKeysWithValues: servers.map { ($0.server, $0) })
        #expect(byName["web1"]?.adminState == .maint)
        #expect(byName["web1"]?.admin == .forcedMaint)
        #expect(byName["web2"]?.adminState == .drain)
        #expect(byName["web2"]?.isUp == true)
        #expect(byName["web2"]?.port == 18082)
        // web4 tracks web1: in maintenance through it, not by itself.
        #expect(byName["web4"]?.admin == .inheritedMaint)
        #expect(byName["web4"]?.adminState == .maint)
        #expect(byName["web3"]?.operational == .stopped)
    }

    @Test func drainingServerWithFailingChecksIsDrainAndDown() throws {
        // `show stat` words this server `DOWN`; the state says drain, operationally stopped.
        let servers = try ServerState.parse(Self.fixture("show-servers-state-2.6"))
        let web2 = try #require(servers.first { $0.server == "web2" })
        #expect(web2.adminState == .drain)
        #expect(!web2.isUp)
        let stat = try StatRow.parse(Self.fixture("show-stat-down-2.6"))
        #expect(stat.first { $0.server == "web2" }?.status == "DOWN")
    }

    @Test func serversStateIgnoresColumnsItDoesNotKnow() throws {
        let text = """
            1
            # be_id be_name srv_id srv_name srv_addr srv_future_field srv_op_state srv_admin_state srv_uweight srv_iweight
            3 web 1 web1 10.0.0.1 zzz 2 8 100 100
            """
        let servers = try ServerState.parse(text)
        #expect(servers.count == 1)
        #expect(servers[0].server == "web1")
        #expect(servers[0].address == "10.0.0.1")
        #expect(servers[0].operational == .running)
        #expect(servers[0].adminState == .drain)
        #expect(servers[0].weight == 100)
    }

    @Test func serversStateErrorReplyIsAnError() {
        #expect(throws: HAProxyError.self) { try ServerState.parse("Can't find backend.\n\n") }
        #expect(throws: HAProxyError.self) { try ServerState.parse("") }
    }

    @Test func statColumnsByName() throws {
        let rows = try StatRow.parse(Self.fixture("show-stat-2.6"))
        let servers = rows.filter(\.isServer)
        #expect(servers.map(\.server) == ["web1", "web2", "web3", "web4"])
        let web2 = try #require(servers.first { $0.server == "web2" })
        #expect(web2.status == "DRAIN")
        #expect(web2.sessions == 0)
        #expect(web2.checkStatus == "L7OK")
        #expect(servers.first { $0.server == "web4" }?.status == "MAINT (via web/web1)")
        // "* L7STS": a check in progress; the marker is not part of the result.
        let down = try StatRow.parse(Self.fixture("show-stat-down-2.6"))
        #expect(down.first { $0.server == "web1" }?.checkStatus == "L7STS")
    }

    @Test func statWithExtraColumnsAndQuotedFields() throws {
        let text = """
            # svname,pxname,status,scur,newer_column,check_desc
            s1,b,UP 2/3,7,x,"Layer7 check passed, \"\"ok\"\""
            """
        let rows = try StatRow.parse(text)
        #expect(rows.count == 1)
        #expect(rows[0].proxy == "b")
        #expect(rows[0].status == "UP 2/3")
        #expect(rows[0].sessions == 7)
    }

    @Test func info() throws {
        let info = try ProcessStatus.parse(Self.fixture("show-info-2.6"))
        #expect(info.version == "2.6.12-1+deb12u4")
        #expect(info.pid != nil)
        #expect(info.startTime != nil)
        #expect(throws: HAProxyError.self) { try ProcessStatus.parse("Unknown command.\n") }
    }

    @Test func endpoints() throws {
        #expect(try RuntimeEndpoint(parsing: "/run/haproxy/admin1.sock") == .unix(path: "/run/haproxy/admin1.sock"))
        #expect(try RuntimeEndpoint(parsing: "unix@/tmp/a.sock") == .unix(path: "/tmp/a.sock"))
        #expect(try RuntimeEndpoint(parsing: "ipv4@127.0.0.1:9999") == .tcp(host: "127.0.0.1", port: 9999))
        #expect(try RuntimeEndpoint(parsing: "ipv6@[::1]:9999") == .tcp(host: "::1", port: 9999))
        for bad in ["ipv4@127.0.0.1", "ipv4@127.0.0.1:0", "ipv4@:80", "admin.sock", "ipv4@h:99999"] {
            #expect(throws: HAProxyError.self, "\(bad)") { try RuntimeEndpoint(parsing: bad) }
        }
    }
}
