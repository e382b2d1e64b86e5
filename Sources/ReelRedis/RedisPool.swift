import Synchronization

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
    private let endpoint: RedisEndpoint
    private let name: String
    private let connectTimeout: Duration
    private let commandTimeout: Duration

    private struct State {
        var idle: [RedisConnection] = []
        var opened = 0
        /// Resumed with nil to try again, or with the error that a connect
        /// attempt just met, which they would meet too.
        var waiters: [CheckedContinuation<RedisError?, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())

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
        self.endpoint = try RedisEndpoint(url: url)
        self.url = url
        self.address = endpoint.address
        self.maxConnections = maxConnections
        self.name = name
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Lends a connection to `body` and takes it back afterwards: for several
    /// commands that must share one connection (`WATCH`/`MULTI`/`EXEC`).
    public func withConnection<T: Sendable>(_ body: (RedisConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(connection)
    }

    /// ``withConnection(_:)`` for bodies that only throw ``RedisError``, so
    /// the typed helpers keep a typed error.
    func lend<T: Sendable>(_ body: (RedisConnection) async throws(RedisError) -> T) async throws(RedisError) -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(connection)
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
        for waiter in waiters { waiter.resume(returning: nil) }
        for connection in toClose { await connection.close() }
    }

    private enum Next { case use(RedisConnection), open(Int), wait, closed }

    func acquire() async throws(RedisError) -> RedisConnection {
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
                return connection
            case .closed:
                throw RedisError(code: .clientMisuse, message: "the Redis pool for \(address) is closed")
            case .open(let n):
                do {
                    return try await RedisConnection.connect(
                        endpoint: endpoint, name: "\(name)-\(n)", connectTimeout: connectTimeout,
                        commandTimeout: commandTimeout)
                } catch {
                    let waiters = state.withLock { s in
                        s.opened -= 1
                        defer { s.waiters.removeAll() }
                        return s.waiters
                    }
                    for waiter in waiters { waiter.resume(returning: error) }
                    throw error
                }
            case .wait:
                let failure = await withCheckedContinuation { (c: CheckedContinuation<RedisError?, Never>) in
                    // Re-check under the lock: a connection may have come back meanwhile.
                    let resumeNow = state.withLock { s -> Bool in
                        if s.closed || !s.idle.isEmpty || s.opened < maxConnections { return true }
                        s.waiters.append(c)
                        return false
                    }
                    if resumeNow { c.resume(returning: nil) }
                }
                if let failure { throw failure }
            }
        }
    }

    func release(_ connection: RedisConnection) {
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
        waiter?.resume(returning: nil)
    }
}
