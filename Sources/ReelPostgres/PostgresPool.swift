import Synchronization

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
    private let name: String
    private let setup: String?

    private struct State {
        var idle: [PostgresConnection] = []
        var opened = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// Seconds a task waits for a free connection before it gets
    /// `PostgresError.Code.poolBusy` (nil: as long as it takes). A server
    /// under load sheds requests with a clear error instead of queueing them
    /// without bound.
    public let maxWait: Double?

    /// `setup` runs on every new connection (e.g. `SET synchronous_commit = off`).
    public init(url: String, maxConnections: Int = 8, name: String = "reel-pg", setup: String? = nil, maxWait: Double? = nil) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.url = url
        self.maxConnections = maxConnections
        self.name = name
        self.setup = setup
        self.maxWait = maxWait
    }

    /// Lends a connection to `body` and takes it back afterwards.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
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
        let (toClose, waiters) = state.withLock { s in
            s.closed = true
            defer {
                s.opened -= s.idle.count
                s.idle.removeAll()
                s.waiters.removeAll()
            }
            return (s.idle, s.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(returning: true) }
        for connection in toClose { await connection.close() }
    }

    private enum Next { case use(PostgresConnection), open(Int), wait, closed }

    func acquire() async throws -> PostgresConnection {
        while true {
            let next = state.withLock { s -> Next in
                if s.closed { return .closed }
                if let connection = s.idle.popLast() { return .use(connection) }
                if s.opened < maxConnections {
                    s.opened += 1
                    return .open(s.opened)
                }
                return .wait
            }
            switch next {
            case .use(let connection):
                // A connection the server closed while it sat idle (a restart) is replaced, not lent.
                guard connection.peerClosed else { return connection }
                state.withLock { $0.opened -= 1 }
                Task { await connection.close() }
            case .closed: throw PostgresError(code: .clientMisuse, message: "the connection pool is closed")
            case .open(let n):
                do {
                    let connection = try await PostgresConnection.connect(url, name: "\(name)-\(n)")
                    if let setup { try await connection.execute(setup) }
                    return connection
                } catch {
                    state.withLock { $0.opened -= 1 }
                    wakeOne()
                    throw error
                }
            case .wait:
                let woken = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                    // Re-check under the lock: a connection may have come back meanwhile.
                    let id = state.withLock { s -> UInt64? in
                        if s.closed || !s.idle.isEmpty || s.opened < maxConnections { return nil }
                        s.nextWaiter += 1
                        s.waiters.append((s.nextWaiter, c))
                        return s.nextWaiter
                    }
                    guard let id else { return c.resume(returning: true) }
                    if let maxWait { giveUp(id, after: maxWait) }
                }
                if !woken {
                    throw PostgresError(code: .poolBusy, message: "every database connection stayed busy for \(maxWait ?? 0) s")
                }
            }
        }
    }

    func release(_ connection: PostgresConnection) {
        let keep = connection.isReusable
        let discard = state.withLock { s -> Bool in
            if s.closed || !keep {
                s.opened -= 1
                return true
            }
            s.idle.append(connection)
            return false
        }
        if discard { Task { await connection.close() } }
        wakeOne()
    }

    private func wakeOne() {
        let waiter = state.withLock { s in s.waiters.isEmpty ? nil : s.waiters.removeFirst() }
        waiter?.continuation.resume(returning: true)
    }

    /// Resumes waiter `id` with false after `seconds`, unless it was woken first.
    private func giveUp(_ id: UInt64, after seconds: Double) {
        Task { [self] in
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            let waiter = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }
}
