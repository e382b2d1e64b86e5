import Foundation
import ReelRedis
import ReelTesting
import Testing

@Suite struct RedisConnectionTests {
    @Test func valuesAndKeysAreBinarySafe() async throws {
        let conn = try await TestRedis.connect()
        let prefix = TestRedis.keyPrefix()
        let value: [UInt8] = Array("a\0b\r\nc".utf8) + Array(0...255) + [0, 13, 10, 0]
        try await conn.set(prefix + "value", value)
        #expect(try await conn.get(prefix + "value") == value)

        // A key with NUL and CRLF in it, through the raw command API.
        let binaryKey = Array(prefix.utf8) + [0, 13, 10, 0xFF, 0]
        #expect(try await conn.command("SET", .bytes(binaryKey), .bytes(value)) == .status("OK"))
        #expect(try await conn.command("GET", .bytes(binaryKey)) == .bulk(value))
        #expect(try await conn.command("STRLEN", .bytes(binaryKey)) == .integer(Int64(value.count)))

        // Empty values are values, not misses.
        try await conn.set(prefix + "empty", [])
        #expect(try await conn.get(prefix + "empty") == [])
        #expect(try await conn.get(prefix + "missing") == nil)
        #expect(try await conn.delete(prefix + "value", prefix + "empty", prefix + "missing") == 2)
        #expect(try await conn.command("DEL", .bytes(binaryKey)) == .integer(1))
        await conn.close()
    }

    @Test func setWithTTLExpires() async throws {
        let conn = try await TestRedis.connect()
        let prefix = TestRedis.keyPrefix()
        // The TTL reaches Redis as milliseconds (read back on a long one, so a busy machine cannot expire it first).
        try await conn.set(prefix + "long", [9], ttl: .seconds(600))
        let pttl = try #require(try await conn.command("PTTL", .string(prefix + "long")).integer)
        #expect(pttl > 590_000 && pttl <= 600_000)
        try await conn.set(prefix + "short", [1, 2, 3], ttl: .milliseconds(150))
        try await conn.set(prefix + "forever", [4])
        #expect(try await conn.command("PTTL", .string(prefix + "forever")) == .integer(-1))
        // Bounded wait: the key goes once its 150 ms are up.
        try await eventually(timeout: 5, every: 0.05, "the key with a 150 ms TTL expiring") {
            try await conn.get(prefix + "short") == nil
        }
        #expect(try await conn.get(prefix + "forever") == [4])
        await #expect(throws: RedisError.self) { try await conn.set(prefix + "zero", [1], ttl: .zero) }
        #expect(try await conn.delete([prefix + "forever", prefix + "long"]) == 2)
        await conn.close()
    }

    @Test func mgetMarksMissingKeysWithNil() async throws {
        let conn = try await TestRedis.connect()
        let prefix = TestRedis.keyPrefix()
        try await conn.set(prefix + "a", Array("A".utf8))
        try await conn.set(prefix + "c", [0])
        let values = try await conn.mget([prefix + "a", prefix + "b", prefix + "c", prefix + "d"])
        #expect(values == [Array("A".utf8), nil, [0], nil])
        #expect(try await conn.mget([]) == [])
        #expect(try await conn.delete([]) == 0)
        #expect(try await conn.delete([prefix + "a", prefix + "c"]) == 2)
        await conn.close()
    }

    @Test func pipelineOfAThousandCommandsRepliesInOrder() async throws {
        let conn = try await TestRedis.connect()
        let list = TestRedis.keyPrefix() + "list"
        let commands = (1...1000).map { RedisCommand("RPUSH", .string(list), .integer($0)) }
        let replies = try await conn.pipeline(commands)
        #expect(replies.count == 1000)
        #expect(replies == (1...1000).map { RedisValue.integer(Int64($0)) })
        // The server saw them in the order they were sent.
        let stored = try #require(try await conn.command("LRANGE", .string(list), 0, -1).array)
        #expect(stored.compactMap(\.string) == (1...1000).map(String.init))

        // A typed mix, and an empty pipeline costs nothing.
        let mixed = try await conn.pipeline([
            .delete([list]), try .set(list, [7], ttl: .seconds(60)), .get(list), .mget([list, list + "x"]),
        ])
        #expect(mixed == [.integer(1), .status("OK"), .bulk([7]), .array([.bulk([7]), .null])])
        #expect(try await conn.pipeline([]) == [])
        #expect(try await conn.delete(list) == 1)
        await conn.close()
    }

    @Test func serverErrorsAreServerCodedAndLeaveTheConnectionUsable() async throws {
        let conn = try await TestRedis.connect()
        let list = TestRedis.keyPrefix() + "list"
        try await conn.command("RPUSH", .string(list), "x")
        do {
            _ = try await conn.get(list)
            Issue.record("expected WRONGTYPE")
        } catch {
            #expect(error.code == .server)
            #expect(error.message.hasPrefix("WRONGTYPE"))
            #expect(error.serverErrorPrefix == "WRONGTYPE")
            #expect(error.command == "GET")
            #expect(error.description.contains(conn.address))
            #expect(!error.description.contains(list))
        }
        #expect(conn.isReusable)
        #expect(try await conn.command("PING") == .status("PONG"))
        // In a pipeline the error takes its slot and the others still run.
        let replies = try await conn.pipeline([.get(list), RedisCommand("PING"), RedisCommand("LLEN", .string(list))])
        #expect(replies.count == 3)
        #expect(replies[0].errorMessage?.hasPrefix("WRONGTYPE") == true)
        #expect(replies[1] == .status("PONG"))
        #expect(replies[2] == .integer(1))
        #expect(conn.isReusable)
        #expect(try await conn.delete(list) == 1)
        await conn.close()
    }

    @Test func blockingCallsRunOnTheConnectionsOwnThread() async throws {
        let conn = try await TestRedis.connect(name: "reel-redis-chk")
        #expect(await conn.currentThreadName() == "reel-redis-chk")
        #expect(try await conn.command("PING") == .status("PONG"))
        await conn.close()
    }

    @Test func connectingToAClosedPortFailsFastAsUnavailable() async throws {
        let port = try Self.closedPort()
        do {
            _ = try await RedisConnection.connect(url: "redis://127.0.0.1:\(port)", connectTimeout: .seconds(2))
            Issue.record("expected connection refused")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.address == "127.0.0.1:\(port)")
            #expect(error.description.contains("127.0.0.1:\(port)"))
            #expect(error.description.contains("REEL_REDIS_URL"))
        }
    }

    @Test func aCommandThatOutlivesTheTimeoutBreaksTheConnection() async throws {
        let conn = try await TestRedis.connect(commandTimeout: .milliseconds(200))
        do {
            // Blocks server-side for 10 s; the 200 ms read timeout ends the wait.
            _ = try await conn.command("BLPOP", .string(TestRedis.keyPrefix() + "never"), 10)
            Issue.record("expected a timeout")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("timeout"))
        }
        #expect(!conn.isReusable)
        await #expect(throws: RedisError.self) { try await conn.command("PING") }
        await conn.close()
    }

    @Test func aConnectionKilledByTheServerFailsAsUnavailable() async throws {
        let conn = try await TestRedis.connect()
        try await TestRedis.kill(clientID: await conn.clientID())
        do {
            try await conn.command("PING")
            Issue.record("expected the killed connection to fail")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.command == "PING")
        }
        #expect(!conn.isReusable)
        do {
            try await conn.command("PING")
            Issue.record("expected the broken connection to keep failing")
        } catch {
            #expect(error.code == .unavailable)
        }
        await conn.close()
        await #expect(throws: RedisError.self) { try await conn.command("PING") }
    }

    @Test func theURLsDatabaseAndPasswordAreUsed() async throws {
        let url = try TestRedis.url()
        let key = TestRedis.keyPrefix() + "db"
        let db3 = try await RedisConnection.connect(url: url + "/3")
        let db0 = try await RedisConnection.connect(url: url)
        try await db3.set(key, [3])
        #expect(try await db0.get(key) == nil)
        #expect(try await db3.get(key) == [3])
        #expect(try await db3.delete(key) == 1)
        await db3.close()
        await db0.close()

        // The test server has no password: AUTH is refused, and the error says where to look.
        let withPassword = url.replacingOccurrences(of: "redis://", with: "redis://:not-the-password@")
        do {
            _ = try await RedisConnection.connect(url: withPassword)
            Issue.record("expected AUTH to fail")
        } catch {
            #expect(error.code == .server)
            #expect(error.command == "AUTH")
            #expect(error.description.contains("REEL_REDIS_URL"))
            #expect(!error.description.contains("not-the-password"))
        }
    }

    /// A loopback port nobody listens on: bound, then closed again.
    static func closedPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw POSIXError(.EADDRNOTAVAIL) }
        return UInt16(bigEndian: address.sin_port)
    }
}
