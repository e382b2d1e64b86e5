import Foundation
import ReelRedis

/// The Redis that scripts/test.sh starts, and per-test key names.
///
/// Tests run in parallel against one server, so every test works under a key
/// prefix of its own and never touches another test's keys or connections.
enum TestRedis {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "REEL_TEST_REDIS_URL is not set: run the tests through scripts/test.sh, which starts a private Redis "
                + "and exports it, or export REEL_TEST_REDIS_URL=redis://127.0.0.1:PORT yourself"
        }
    }

    /// The server's URL; throws (failing the test, never skipping it) when unset.
    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["REEL_TEST_REDIS_URL"], !url.isEmpty else {
            throw NotConfigured()
        }
        return url
    }

    /// A prefix no other test (or earlier run) uses.
    static func keyPrefix() -> String { "reel-test:\(UUID().uuidString):" }

    static func connect(
        name: String = "reel-redis-test", commandTimeout: Duration = .seconds(5)
    ) async throws -> RedisConnection {
        try await RedisConnection.connect(url: url(), name: name, commandTimeout: commandTimeout)
    }

    /// Closes the server side of `victim`'s connection, as a Redis restart or
    /// an operator's `CLIENT KILL` would, from a connection of its own.
    static func kill(clientID: Int64) async throws {
        let admin = try await connect(name: "reel-redis-admin")
        let killed = try await admin.command("CLIENT", "KILL", "ID", .integer(clientID))
        await admin.close()
        guard killed == .integer(1) else { throw KillFailed(reply: killed) }
    }

    struct KillFailed: Error { let reply: RedisValue }
}

extension RedisConnection {
    /// The OS name of the thread running this actor method.
    func currentThreadName() -> String? {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server's id for this connection (what `CLIENT KILL ID` takes).
    func clientID() throws -> Int64 {
        guard let id = try command("CLIENT", "ID").integer else { throw RedisError(code: .unexpectedReply, message: "CLIENT ID") }
        return id
    }
}
