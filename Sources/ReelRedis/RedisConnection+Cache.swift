/// The commands a cache in front of PostgreSQL uses every request, typed.
///
/// Each one checks the reply's shape, so a caller gets bytes, a count or an
/// error, never a ``RedisValue`` to pick apart.
extension RedisConnection {
    /// `GET`: the cached bytes, or nil on a miss (absent or expired key).
    public func get(_ key: String) throws(RedisError) -> [UInt8]? {
        let reply = try command(.get(key))
        switch reply {
        case .bulk(let bytes): return bytes
        case .null: return nil
        default: throw unexpected(reply, to: "GET", wanted: "a bulk string or null")
        }
    }

    /// `SET … [PX ms]`: caches `value`, expiring after `ttl` when given, so a
    /// missed invalidation heals by itself.
    public func set(_ key: String, _ value: [UInt8], ttl: Duration? = nil) throws(RedisError) {
        let reply = try command(try .set(key, value, ttl: ttl))
        guard reply == .status("OK") else { throw unexpected(reply, to: "SET", wanted: "+OK") }
    }

    /// `DEL`: drops cached entries after the source of truth changed; returns
    /// how many existed. No keys, no round trip.
    @discardableResult
    public func delete(_ keys: [String]) throws(RedisError) -> Int {
        if keys.isEmpty { return 0 }
        let reply = try command(.delete(keys))
        guard let count = reply.integer else { throw unexpected(reply, to: "DEL", wanted: "an integer") }
        return Int(count)
    }

    /// `DEL`, with the keys written inline.
    @discardableResult
    public func delete(_ keys: String...) throws(RedisError) -> Int { try delete(keys) }

    /// `MGET`: many lookups in one round trip; nil marks each miss, in the
    /// order of `keys`. No keys, no round trip.
    public func mget(_ keys: [String]) throws(RedisError) -> [[UInt8]?] {
        if keys.isEmpty { return [] }
        let reply = try command(.mget(keys))
        guard let elements = reply.array, elements.count == keys.count else {
            throw unexpected(reply, to: "MGET", wanted: "an array of \(keys.count) elements")
        }
        var values: [[UInt8]?] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            switch element {
            case .bulk(let bytes): values.append(bytes)
            case .null: values.append(nil)
            default: throw unexpected(element, to: "MGET", wanted: "bulk strings or nulls")
            }
        }
        return values
    }

    private func unexpected(_ reply: RedisValue, to command: String, wanted: String) -> RedisError {
        RedisError(
            code: .unexpectedReply, message: "expected \(wanted), got \(reply.shape)", address: address, command: command)
    }
}

extension RedisValue {
    /// The reply's kind, for error messages that must not echo cached data.
    var shape: String {
        switch self {
        case .status: "a status"
        case .bulk(let bytes): "a bulk string of \(bytes.count) bytes"
        case .integer: "an integer"
        case .array(let values): "an array of \(values.count) elements"
        case .null: "null"
        case .error: "an error"
        }
    }
}
