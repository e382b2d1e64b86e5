import Synchronization

/// A connection a ``ConnectionPool`` can lend.
public protocol PooledConnection: Sendable {
    /// False once the connection broke (or was left inside a transaction): it
    /// is closed when it comes back instead of being lent again, so the pool
    /// heals by itself after the server returns.
    var isReusable: Bool { get }
    /// True when the server closed the connection while it sat idle (a
    /// restart): it is replaced before it is lent, so a restart costs no failed call.
    var isStale: Bool { get }
    func close() async
}

extension PooledConnection {
    public var isStale: Bool { false }
}

/// Lends up to `capacity` connections to many tasks, opening them lazily; a
/// task that finds none free waits its turn, at most `maxWait` when one is
/// given. Lending and taking back are a lock around a ``ConnectionPoolState``,
/// not an actor hop, so a pooled call costs one trip to the connection's
/// thread and back. `PostgresPool` and `RedisPool` are this runtime with their
/// own connect step and errors.
public final class ConnectionPool<Connection: PooledConnection, Failure: Error>: Sendable {
    /// Why a waiting task woke up.
    enum Wake: Sendable {
        case retry
        case failed(Failure)
        case timedOut
    }

    private typealias State = ConnectionPoolState<Connection, CheckedContinuation<Wake, Never>>

    public let capacity: Int
    /// How long a task waits for a connection before ``busy`` (nil: as long as it takes).
    public let maxWait: Duration?
    private let state: Mutex<State>
    private let connect: @Sendable (_ slot: Int) async throws(Failure) -> Connection
    private let closedError: @Sendable () -> Failure
    private let busyError: @Sendable () -> Failure

    /// - Parameters:
    ///   - connect: opens the connection for slot `slot` (1…capacity, for thread names).
    ///   - closedError: what ``acquire()`` throws once ``close()`` ran.
    ///   - busyError: what ``acquire()`` throws when `maxWait` passed without a free connection.
    public init(
        capacity: Int,
        onConnectFailure: ConnectFailurePolicy,
        maxWait: Duration? = nil,
        connect: @escaping @Sendable (_ slot: Int) async throws(Failure) -> Connection,
        closedError: @escaping @Sendable () -> Failure,
        busyError: @escaping @Sendable () -> Failure
    ) {
        self.capacity = capacity
        self.maxWait = maxWait
        self.state = Mutex(State(capacity: capacity, onConnectFailure: onConnectFailure))
        self.connect = connect
        self.closedError = closedError
        self.busyError = busyError
    }

    /// Connections open now (lent or idle), for tests and metrics.
    public var opened: Int { state.withLock { $0.opened } }
    /// Tasks waiting for a connection now, for tests and metrics.
    public var waiting: Int { state.withLock { $0.waiterCount } }

    /// Takes a connection; give it back with ``release(_:)``.
    public func acquire() async throws(Failure) -> Connection {
        while true {
            switch state.withLock({ $0.lease() }) {
            case .use(let connection):
                guard connection.isStale else { return connection }
                state.withLock { $0.discard() }
                Task { await connection.close() }
            case .closed:
                throw closedError()
            case .open(let slot):
                do {
                    return try await connect(slot)
                } catch {
                    let (waiters, policy) = state.withLock { ($0.connectFailed(), $0.onConnectFailure) }
                    let wake: Wake = switch policy {
                    case .wakeNext: .retry
                    case .failWaiters: .failed(error)
                    }
                    for waiter in waiters { waiter.resume(returning: wake) }
                    throw error
                }
            case .wait:
                let wake = await withCheckedContinuation { (waiter: CheckedContinuation<Wake, Never>) in
                    guard let id = state.withLock({ $0.enqueue(waiter) }) else { return waiter.resume(returning: .retry) }
                    if let maxWait { giveUp(id, after: maxWait) }
                }
                switch wake {
                case .retry: continue
                case .failed(let error): throw error
                case .timedOut: throw busyError()
                }
            }
        }
    }

    /// Gives back a connection from ``acquire()``.
    public func release(_ connection: Connection) {
        let reusable = connection.isReusable
        let action = state.withLock { $0.release(connection, reusable: reusable) }
        if let broken = action.close { Task { await broken.close() } }
        action.wake?.resume(returning: .retry)
    }

    /// Lends a connection to `body` and takes it back afterwards.
    public func withConnection<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(connection)
    }

    /// Closes the idle connections now and the lent ones as they come back;
    /// waiting tasks fail with the closed error.
    public func close() async {
        let (idle, waiters) = state.withLock { $0.close() }
        for waiter in waiters { waiter.resume(returning: .retry) }
        for connection in idle { await connection.close() }
    }

    /// Wakes waiter `id` with `.timedOut` after `wait`, unless it was woken first.
    private func giveUp(_ id: UInt64, after wait: Duration) {
        Task { [self] in
            try? await Task.sleep(for: wait)
            state.withLock { $0.timeout(id) }?.resume(returning: .timedOut)
        }
    }
}
