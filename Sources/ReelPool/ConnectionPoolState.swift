/// What a failed connect means for the tasks queued behind it.
public enum ConnectFailurePolicy: Sendable {
    /// The next waiter tries to connect itself (a database: one refused
    /// connect says little about the next, and the caller may wait).
    case wakeNext
    /// Every waiter fails with the same error at once (a cache: callers
    /// fall back to the database instead of each waiting out a connect timeout).
    case failWaiters
}

/// The bookkeeping of a bounded, lazily opened connection pool as a pure
/// value: every event returns what the caller must do next (open a
/// connection, lend one, close one, wake a waiter), so the rules are unit
/// tested without a server (`ConnectionPoolStateTests`) and the PostgreSQL and
/// Redis pools share them (postgres-nio's connection-pool state machine is the
/// model). ``ConnectionPool`` is the runtime that carries the actions out.
///
/// A waiter is only ever told to try again (or, for a cache, that connecting
/// failed): it does not receive a connection, so the next `lease` decides
/// fairly between an idle connection, a free slot and waiting.
public struct ConnectionPoolState<Connection, Waiter> {
    /// The answer to a request for a connection.
    public enum Lease {
        /// Lend this idle connection (check it is still alive first; ``discard()`` it if not).
        case use(Connection)
        /// A slot was reserved: open a connection (numbered `slot`, for thread
        /// names); call ``connectFailed()`` if that fails.
        case open(slot: Int)
        /// Every slot is lent: queue with ``enqueue(_:)``.
        case wait
        /// The pool was closed.
        case closed
    }

    /// What to do with a connection that came back.
    public struct Release {
        /// Close this one (broken, or the pool is closed); nil: it went idle.
        public var close: Connection?
        /// Wake this waiter so it leases again.
        public var wake: Waiter?
    }

    public let capacity: Int
    public let onConnectFailure: ConnectFailurePolicy
    /// Connections open or being opened, lent or idle.
    public private(set) var opened = 0
    public private(set) var isClosed = false
    private var idle: [Connection] = []
    private var waiters: [(id: UInt64, waiter: Waiter)] = []
    private var lastWaiterID: UInt64 = 0

    public init(capacity: Int, onConnectFailure: ConnectFailurePolicy) {
        precondition(capacity > 0, "a pool needs at least one connection")
        self.capacity = capacity
        self.onConnectFailure = onConnectFailure
    }

    public var idleCount: Int { idle.count }
    public var waiterCount: Int { waiters.count }

    /// A task wants a connection: the most recently returned idle one (warm
    /// caches, and the oldest idle ones are the first the server may drop),
    /// else a new one while under capacity, else wait.
    public mutating func lease() -> Lease {
        if isClosed { return .closed }
        if let connection = idle.popLast() { return .use(connection) }
        if opened < capacity {
            opened += 1
            return .open(slot: opened)
        }
        return .wait
    }

    /// Queues `waiter` after ``lease()`` said `.wait`, unless things changed
    /// in between (a connection came back, a slot freed, the pool closed):
    /// then returns nil and the task leases again at once.
    public mutating func enqueue(_ waiter: Waiter) -> UInt64? {
        if isClosed || !idle.isEmpty || opened < capacity { return nil }
        lastWaiterID += 1
        waiters.append((lastWaiterID, waiter))
        return lastWaiterID
    }

    /// The waiter `id` stopped waiting (its time ran out); nil when it was
    /// already woken, so the caller must not resume it twice.
    public mutating func timeout(_ id: UInt64) -> Waiter? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return waiters.remove(at: index).waiter
    }

    /// A lent connection came back; `reusable` is false when it broke or was
    /// left inside a transaction.
    public mutating func release(_ connection: Connection, reusable: Bool) -> Release {
        var action = Release()
        if isClosed || !reusable {
            opened -= 1
            action.close = connection
        } else {
            idle.append(connection)
        }
        if !waiters.isEmpty { action.wake = waiters.removeFirst().waiter }
        return action
    }

    /// An idle connection from ``lease()`` turned out dead (the server closed
    /// it while it sat idle): its slot is free; the caller closes it and leases again.
    public mutating func discard() {
        opened -= 1
    }

    /// Opening the connection of a `.open` lease failed: its slot is free.
    /// Returns the waiters to wake (to retry, or to fail with the same error,
    /// as ``onConnectFailure`` says).
    public mutating func connectFailed() -> [Waiter] {
        opened -= 1
        switch onConnectFailure {
        case .wakeNext:
            return waiters.isEmpty ? [] : [waiters.removeFirst().waiter]
        case .failWaiters:
            defer { waiters.removeAll() }
            return waiters.map(\.waiter)
        }
    }

    /// Closes the pool: returns the idle connections to close now and the
    /// waiters to wake (they lease again and learn it is closed). Lent
    /// connections are closed as they come back.
    public mutating func close() -> (idle: [Connection], waiters: [Waiter]) {
        isClosed = true
        opened -= idle.count
        defer {
            idle.removeAll()
            waiters.removeAll()
        }
        return (idle, waiters.map(\.waiter))
    }
}

extension ConnectionPoolState: Sendable where Connection: Sendable, Waiter: Sendable {}
