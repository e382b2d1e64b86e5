import Foundation
import ReelRedis
import Testing

@Suite struct RedisPoolTests {
    @Test func cacheHelpersRoundTrip() async throws {
        let pool = try RedisPool(url: TestRedis.url(), maxConnections: 2)
        let prefix = TestRedis.keyPrefix()
        try await pool.set(prefix + "a", [1, 0, 2], ttl: .seconds(60))
        try await pool.set(prefix + "b", Array("b".utf8))
        #expect(try await pool.get(prefix + "a") == [1, 0, 2])
        #expect(try await pool.mget([prefix + "a", prefix + "nope", prefix + "b"]) == [[1, 0, 2], nil, Array("b".utf8)])
        #expect(try await pool.command("EXISTS", .string(prefix + "a"), .string(prefix + "b")) == .integer(2))
        let replies = try await pool.pipeline([.get(prefix + "b"), .delete([prefix + "b"])])
        #expect(replies == [.bulk(Array("b".utf8)), .integer(1)])
        #expect(try await pool.delete(prefix + "a", prefix + "b") == 1)
        await pool.close()
        await #expect(throws: RedisError.self) { try await pool.get(prefix + "a") }
    }

    @Test func aKilledConnectionFailsOnceThenThePoolRecovers() async throws {
        let pool = try RedisPool(url: TestRedis.url(), maxConnections: 1)
        let key = TestRedis.keyPrefix() + "k"
        try await pool.set(key, [42])
        let before = try await pool.withConnection { conn in try await conn.clientID() }
        try await TestRedis.kill(clientID: before)
        do {
            _ = try await pool.get(key)
            Issue.record("expected the killed connection to fail")
        } catch {
            #expect(error.code == .unavailable)
        }
        // The broken connection was dropped: the next call opens a new one.
        #expect(try await pool.get(key) == [42])
        let after = try await pool.withConnection { conn in try await conn.clientID() }
        #expect(after != before)
        #expect(try await pool.delete(key) == 1)
        await pool.close()
    }

    @Test func fiftyConcurrentTasksShareFourConnections() async throws {
        let pool = try RedisPool(url: TestRedis.url(), maxConnections: 4)
        let prefix = TestRedis.keyPrefix()
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<50 {
                group.addTask {
                    let key = prefix + "\(i)"
                    try await pool.set(key, Array("value \(i)".utf8), ttl: .seconds(60))
                    guard try await pool.get(key) == Array("value \(i)".utf8) else {
                        throw RedisError(code: .unexpectedReply, message: "task \(i) read back the wrong value")
                    }
                    return try await pool.withConnection { conn in try await conn.clientID() }
                }
            }
            var ids = Set<Int64>()
            for try await id in group { ids.insert(id) }
            return ids
        }
        #expect(ids.count >= 1 && ids.count <= 4)
        #expect(try await pool.delete((0..<50).map { prefix + "\($0)" }) == 50)
        await pool.close()
    }

    @Test func aPoolToADownRedisFailsEveryCallerFast() async throws {
        let port = try RedisConnectionTests.closedPort()
        let pool = try RedisPool(url: "redis://127.0.0.1:\(port)", maxConnections: 2, connectTimeout: .seconds(2))
        let codes = await withTaskGroup(of: RedisError.Code?.self) { group in
            for i in 0..<20 {
                group.addTask {
                    do {
                        _ = try await pool.get("k\(i)")
                        return nil
                    } catch {
                        return (error as? RedisError)?.code
                    }
                }
            }
            var codes: [RedisError.Code?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(codes.count == 20)
        #expect(codes.allSatisfy { $0 == .unavailable })
        await pool.close()
    }
}
