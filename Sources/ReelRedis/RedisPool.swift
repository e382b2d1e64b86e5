public import ReelPool

/// A bounded set of ``RedisConnection``s shared by many tasks.
///
/// Connections open lazily up to `maxConnections`; a task that finds none
/// free waits its turn. Lending and taking back are a lock, not an actor hop,
/// so a pooled command costs one trip to the connection's thread and back.
///
/// Built for a cache that may vanish: a connection that broke (Redis
/// restarted, a timeout, `CLIENT KILL`) is dropped when it comes back, so the
/// pool heals by itself once Redis returns, and a failed connect also fails
/// the tasks that were queued behind it at once instead of letting each wait
/// out its own connect timeout — a caller learns "unavailable" in at most one
/// connect or command timeout and serves from PostgreSQL.
public final class RedisPool: Sendable {
    /// The `redis://` URL every connection uses.
    public let url: String
    public let maxConnections: Int
    /// `host:port` of the server, for logs and errors.
    public let address: String
    private let pool: ConnectionPool<RedisConnection, RedisError>

    /// Checks the URL now, so a typo in configuration fails at startup rather
    /// than on the first cache lookup; connects nothing until first use.
    /// Connections' threads are named `name-1`, `name-2`, ….
    public init(
        url: String,
        maxConnections: Int = 8,
        name: String = "reel-redis",
        connectTimeout: Duration = .seconds(1),
        commandTimeout: Duration = .seconds(1)
    ) throws(RedisError) {
        guard maxConnections > 0 else {
            throw RedisError(code: .clientMisuse, message: "a Redis pool needs at least one connection")
        }
        let endpoint = try RedisEndpoint(url: url)
        let address = endpoint.address
        self.url = url
        self.address = address
        self.maxConnections = maxConnections
        pool = ConnectionPool(
            capacity: maxConnections, onConnectFailure: .failWaiters,
            connect: { slot throws(RedisError) in
                try await RedisConnection.connect(
                    endpoint: endpoint, name: "\(name)-\(slot)", connectTimeout: connectTimeout, commandTimeout: commandTimeout)
            },
            closedError: { RedisError(code: .clientMisuse, message: "the Redis pool for \(address) is closed") },
            busyError: { RedisError(code: .clientMisuse, message: "the Redis pool for \(address) has no wait limit") })
    }

    /// Lends a connection to `body` and takes it back afterwards: for several
    /// commands that must share one connection (`WATCH`/`MULTI`/`EXEC`).
    public func withConnection<T: Sendable>(_ body: (RedisConnection) async throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    /// ``withConnection(_:)`` for bodies that only throw ``RedisError``, so
    /// the typed helpers keep a typed error.
    func lend<T: Sendable>(_ body: (RedisConnection) async throws(RedisError) -> T) async throws(RedisError) -> T {
        let connection = try await pool.acquire()
        defer { pool.release(connection) }
        return try await body(connection)
    }

    /// Closes the idle connections now and the lent ones as they come back.
    public func close() async {
        await pool.close()
    }
}

extension RedisConnection: PooledConnection {}
