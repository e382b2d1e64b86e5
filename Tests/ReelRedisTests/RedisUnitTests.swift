import ReelRedis
import Testing

/// Pure parts, no server needed.
@Suite struct RedisUnitTests {
    @Test func urlsAreCheckedWhenThePoolIsMade() throws {
        for bad in ["127.0.0.1:6379", "http://h:1", "rediss://h:6380", "redis://", "redis://h:0", "redis://h:x", "redis://h/db"] {
            do {
                _ = try RedisPool(url: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.code == .clientMisuse, "\(bad)")
                #expect(error.description.contains("REEL_REDIS_URL"), "\(bad)")
            }
        }
        #expect(try RedisPool(url: "redis://cache.internal").address == "cache.internal:6379")
        #expect(try RedisPool(url: "redis://:s3cret@10.0.0.5:6380/2").address == "10.0.0.5:6380")
        #expect(try RedisPool(url: "redis://user:p%40ss@[::1]:7000/0").address == "[::1]:7000")
    }

    @Test func errorsNeverShowThePassword() async throws {
        do {
            _ = try await RedisConnection.connect(url: "redis://:hunter2@127.0.0.1:1")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unavailable)
            #expect(!error.description.contains("hunter2"))
            #expect(!error.debugDescription.contains("hunter2"))
        }
    }

    @Test func argumentsAndCommandsAreTheBytesOnTheWire() throws {
        #expect(RedisArgument("GET").bytes == Array("GET".utf8))
        #expect(RedisArgument.integer(-15).bytes == Array("-15".utf8))
        #expect(RedisArgument.bytes([0, 13, 10]).bytes == [0, 13, 10])
        #expect(try RedisCommand.set("k", [1], ttl: .milliseconds(1500)).arguments == ["SET", "k", .bytes([1]), "PX", 1500])
        // Rounded up: a TTL never ends early, and a sub-millisecond one still expires.
        #expect(try RedisCommand.set("k", [1], ttl: .microseconds(1)).arguments.last == 1)
        #expect(try RedisCommand.set("k", [1], ttl: .nanoseconds(1_000_001)).arguments.last == 2)
        #expect(try RedisCommand.set("k", [1]).arguments == ["SET", "k", .bytes([1])])
        #expect(throws: RedisError.self) { try RedisCommand.set("k", [1], ttl: .seconds(-1)) }
        #expect(RedisCommand.mget(["a", "b"]).arguments == ["MGET", "a", "b"])
    }

    @Test func valueAccessorsAnswerWithoutASwitch() {
        #expect(RedisValue.bulk(Array("hi".utf8)).string == "hi")
        #expect(RedisValue.status("OK").bytes == Array("OK".utf8))
        #expect(RedisValue.integer(3).integer == 3)
        #expect(RedisValue.null.isNull)
        #expect(RedisValue.array([.null]).array == [.null])
        #expect(RedisValue.error("ERR x").errorMessage == "ERR x")
        #expect(RedisValue.integer(3).string == nil)
    }
}
