/// A bounded set of ``PostgresConnection``s shared by many tasks.
///
/// Connections open lazily up to `maxConnections`; a task that finds none free
/// waits its turn. A connection that broke (server restart, network) is closed
/// when it comes back instead of being reused, so the pool heals by itself
/// after the database returns.
public actor PostgresPool {
    /// The libpq URL or connection string every connection uses.
    public nonisolated let url: String
    public nonisolated let maxConnections: Int
    private let name: String
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    public init(url: String, maxConnections: Int = 8, name: String = "reel-pg") {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.url = url
        self.maxConnections = maxConnections
        self.name = name
    }

    /// Lends a connection to `body` and takes it back afterwards.
    public nonisolated func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection.
    @discardableResult
    public nonisolated func withTransaction<T: Sendable>(
        _ body: @Sendable (isolated PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { connection in try await connection.withTransaction(body) }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public nonisolated func query(_ sql: String, _ binds: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        try await withConnection { connection in try await connection.query(sql, binds) }
    }

    /// Closes the idle connections now and the lent ones as they come back.
    public func close() async {
        closed = true
        let toClose = idle
        idle.removeAll()
        opened -= toClose.count
        for connection in toClose { await connection.close() }
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }

    func acquire() async throws -> PostgresConnection {
        while true {
            if closed { throw PostgresError(code: .clientMisuse, message: "the connection pool is closed") }
            if let connection = idle.popLast() { return connection }
            if opened < maxConnections {
                opened += 1
                do {
                    return try await PostgresConnection.connect(url, name: "\(name)-\(opened)")
                } catch {
                    opened -= 1
                    wakeOne()
                    throw error
                }
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    func release(_ connection: PostgresConnection) async {
        let healthy = await connection.isHealthy
        let busy = await connection.inTransaction
        if closed || !healthy || busy {
            opened -= 1
            await connection.close()
        } else {
            idle.append(connection)
        }
        wakeOne()
    }

    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}
