/// The cache's commands on a pooled connection: what the catalog calls.
///
/// Each helper borrows a connection for one round trip. On `.unavailable`
/// serve from PostgreSQL; the next call opens a fresh connection.
extension RedisPool {
    /// `GET`: the cached bytes, or nil on a miss.
    public func get(_ key: String) async throws(RedisError) -> [UInt8]? {
        try await lend { connection throws(RedisError) in try await connection.get(key) }
    }

    /// `SET … [PX ms]`: caches `value`, expiring after `ttl` when given.
    public func set(_ key: String, _ value: [UInt8], ttl: Duration? = nil) async throws(RedisError) {
        try await lend { connection throws(RedisError) in try await connection.set(key, value, ttl: ttl) }
    }

    /// `DEL`: invalidates entries; returns how many existed.
    @discardableResult
    public func delete(_ keys: [String]) async throws(RedisError) -> Int {
        if keys.isEmpty { return 0 }
        return try await lend { connection throws(RedisError) in try await connection.delete(keys) }
    }

    /// `DEL`, with the keys written inline.
    @discardableResult
    public func delete(_ keys: String...) async throws(RedisError) -> Int { try await delete(keys) }

    /// `MGET`: nil marks each miss, in the order of `keys`.
    public func mget(_ keys: [String]) async throws(RedisError) -> [[UInt8]?] {
        if keys.isEmpty { return [] }
        return try await lend { connection throws(RedisError) in try await connection.mget(keys) }
    }

    /// Many commands in one round trip; see ``RedisConnection/pipeline(_:)``.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisValue] {
        if commands.isEmpty { return [] }
        return try await lend { connection throws(RedisError) in try await connection.pipeline(commands) }
    }

    /// Any one command; an error reply throws `.server`.
    @discardableResult
    public func command(_ arguments: [RedisArgument]) async throws(RedisError) -> RedisValue {
        try await lend { connection throws(RedisError) in try await connection.command(arguments) }
    }

    /// Any one command, written inline: `pool.command("EXPIRE", .string(key), 60)`.
    @discardableResult
    public func command(_ arguments: RedisArgument...) async throws(RedisError) -> RedisValue {
        try await command(arguments)
    }

    /// One prepared command, such as `.get(key)`.
    @discardableResult
    public func command(_ command: RedisCommand) async throws(RedisError) -> RedisValue {
        try await self.command(command.arguments)
    }
}
