public import ReelPool

/// A bounded set of ``PostgresConnection``s shared by many tasks.
///
/// Connections open lazily up to `maxConnections`; a task that finds none free
/// waits its turn. Lending and taking back are a lock, not an actor hop, so a
/// pooled query costs one trip to the connection's thread and back. A
/// connection that broke (server restart, network) or was left inside a
/// transaction is closed when it comes back instead of being reused, so the
/// pool heals by itself after the database returns; an idle connection the
/// server closed meanwhile is replaced before it is lent, so a restart costs
/// no failed queries.
public final class PostgresPool: Sendable {
    /// The libpq URL or connection string every connection uses.
    public let url: String
    public let maxConnections: Int
    private let pool: ConnectionPool<PostgresConnection, any Error>

    /// Seconds a task waits for a free connection before it gets
    /// `PostgresError.Code.poolBusy` (nil: as long as it takes). A server
    /// under load sheds requests with a clear error instead of queueing them
    /// without bound.
    public let maxWait: Double?

    /// What lies between the pool and the server (see ``PostgresPooling``).
    public let pooling: PostgresPooling

    /// `setup` runs on every new connection (e.g. `SET synchronous_commit = off`).
    /// Through a transaction pooler it is not run: a session setting would stay
    /// on the pooler's server connection and reach its other clients, so such
    /// settings belong in the pooler (PgBouncer's `connect_query`) or the role.
    public init(
        url: String, maxConnections: Int = 8, name: String = "reel-pg", setup: String? = nil, maxWait: Double? = nil,
        pooling: PostgresPooling = .none
    ) {
        self.url = url
        self.maxConnections = maxConnections
        self.maxWait = maxWait
        self.pooling = pooling
        let setup = pooling.keepsSession ? setup : nil
        pool = ConnectionPool(
            capacity: maxConnections, onConnectFailure: .wakeNext,
            maxWait: maxWait.map { .milliseconds(Int64($0 * 1000)) },
            connect: { slot in
                let connection = try await PostgresConnection.connect(url, name: "\(name)-\(slot)", pooling: pooling)
                do {
                    if let setup { try await connection.execute(setup) }
                } catch {
                    await connection.close()
                    throw error
                }
                return connection
            },
            closedError: { PostgresError(code: .clientMisuse, message: "the connection pool is closed") },
            busyError: { PostgresError(code: .poolBusy, message: "every database connection stayed busy for \(maxWait ?? 0) s") })
    }

    /// Lends a connection to `body` and takes it back afterwards.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    /// Runs `body` in a transaction on a pooled connection.
    @discardableResult
    public func withTransaction<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { connection in try await connection.withTransaction(body) }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ sql: String, _ binds: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await withConnection { connection in try await connection.query(sql, binds) }
    }

    /// Runs one hot statement on a pooled connection, prepared once per connection.
    @discardableResult
    public func queryPrepared(_ sql: String, _ binds: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await withConnection { connection in try await connection.queryPrepared(sql, binds) }
    }

    /// Closes the idle connections now and the lent ones as they come back.
    public func close() async {
        await pool.close()
    }
}

extension PostgresConnection: PooledConnection {
    public nonisolated var isStale: Bool { peerClosed }
}
