/// One command of a ``RedisConnection/pipeline(_:)``: its name and arguments.
///
/// The static members build the cache's everyday commands the same way the
/// pool's helpers send them, so a pipeline of them reads like a list of calls:
/// `[.set(key, value, ttl: .seconds(60)), .get(other)]`.
public struct RedisCommand: Sendable, Hashable {
    /// The command name first (`SET`), then its arguments.
    public let arguments: [RedisArgument]

    public init(_ arguments: [RedisArgument]) { self.arguments = arguments }
    public init(_ arguments: RedisArgument...) { self.arguments = arguments }

    /// The command name, for error messages (never the arguments).
    var name: String {
        arguments.first.map { String(decoding: $0.bytes.prefix(32), as: UTF8.self).uppercased() } ?? "(empty)"
    }

    /// `GET key`: the value, or null when the key is missing or expired.
    public static func get(_ key: String) -> RedisCommand { RedisCommand("GET", .string(key)) }

    /// `SET key value [PX ms]`: stores the value, with a time to live when
    /// `ttl` is given (PX, so sub-second TTLs keep their precision).
    public static func set(_ key: String, _ value: [UInt8], ttl: Duration? = nil) throws(RedisError) -> RedisCommand {
        guard let ttl else { return RedisCommand("SET", .string(key), .bytes(value)) }
        return RedisCommand("SET", .string(key), .bytes(value), "PX", .integer(try RedisTTL.milliseconds(ttl)))
    }

    /// `DEL key…`: removes the keys; the reply counts those that existed.
    public static func delete(_ keys: [String]) -> RedisCommand {
        RedisCommand(["DEL"] + keys.map { .string($0) })
    }

    /// `MGET key…`: one reply element per key, null for the missing ones.
    public static func mget(_ keys: [String]) -> RedisCommand {
        RedisCommand(["MGET"] + keys.map { .string($0) })
    }
}

/// Turns a Swift `Duration` into the whole milliseconds of `SET … PX`.
enum RedisTTL {
    /// Rounds up, so a TTL never expires earlier than asked and a positive TTL
    /// under a millisecond still expires (Redis rejects `PX 0`); zero or
    /// negative TTLs are refused here with a clear error instead.
    static func milliseconds(_ ttl: Duration) throws(RedisError) -> Int64 {
        let (seconds, attoseconds) = ttl.components
        // Redis stores expiry as a Unix time in ms; a century is plenty.
        guard ttl > .zero, seconds < 100 * 365 * 86_400 else {
            throw RedisError(
                code: .clientMisuse, message: "a Redis TTL must be positive and under a century, not \(ttl)",
                command: "SET", hint: "pass nil for a key that never expires")
        }
        let (whole, fraction) = attoseconds.quotientAndRemainder(dividingBy: 1_000_000_000_000_000)
        return seconds * 1000 + whole + (fraction > 0 ? 1 : 0)
    }
}
