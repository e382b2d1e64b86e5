import ReelPool
import Synchronization
import Testing

/// A connection that is only a number and two flags: the runtime's rules
/// (waiting, giving up, replacing broken connections, shutting down) without a server.
final class MemoryConnection: PooledConnection {
    let number: Int
    let broken = Atomic<Bool>(false)
    let stale = Atomic<Bool>(false)
    let closed = Atomic<Bool>(false)
    init(_ number: Int) { self.number = number }
    var isReusable: Bool { !broken.load(ordering: .relaxed) }
    var isStale: Bool { stale.load(ordering: .relaxed) }
    func close() async { closed.store(true, ordering: .relaxed) }
}

/// A connect step held until the test has queued a task behind it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

struct PoolFailure: Error, Equatable {
    let what: String
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

@Suite struct ConnectionPoolTests {
    static func pool(
        capacity: Int = 1, policy: ConnectFailurePolicy = .wakeNext, maxWait: Duration? = nil,
        connect: @escaping @Sendable (Int) async throws(PoolFailure) -> MemoryConnection = { MemoryConnection($0) }
    ) -> ConnectionPool<MemoryConnection, PoolFailure> {
        ConnectionPool(
            capacity: capacity, onConnectFailure: policy, maxWait: maxWait, connect: connect,
            closedError: { PoolFailure(what: "closed") }, busyError: { PoolFailure(what: "busy") })
    }

    /// Waits until `condition` holds (another task queues, or the pool's
    /// closing of a connection runs in a task of its own), for at most 30 s.
    static func until(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async {
        for _ in 0..<30_000 {
            if condition() { return }
            try? await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("the condition did not hold within 30 s", sourceLocation: sourceLocation)
    }

    @Test func aWaiterGetsTheConnectionAnotherTaskGaveBack() async throws {
        let pool = Self.pool()
        let first = try await pool.acquire()
        let second = Task { try await pool.acquire() }
        await Self.until { pool.waiting == 1 }
        pool.release(first)
        #expect(try await second.value.number == 1)
        #expect(pool.opened == 1)
    }

    @Test func aWaiterGivesUpWithTheBusyErrorAfterMaxWait() async throws {
        let pool = Self.pool(maxWait: .milliseconds(50))
        let held = try await pool.acquire()
        await #expect(throws: PoolFailure(what: "busy")) { try await pool.acquire() }
        pool.release(held)
        #expect(try await pool.acquire().number == 1)
    }

    @Test func aBrokenConnectionIsClosedAndReplaced() async throws {
        let pool = Self.pool()
        let first = try await pool.acquire()
        first.broken.store(true, ordering: .relaxed)
        pool.release(first)
        let second = try await pool.acquire()
        #expect(second.number == 1 && second !== first)
        await Self.until { first.closed.load(ordering: .relaxed) }
    }

    @Test func aStaleIdleConnectionIsReplacedBeforeItIsLent() async throws {
        let pool = Self.pool()
        let first = try await pool.acquire()
        pool.release(first)
        first.stale.store(true, ordering: .relaxed)
        let second = try await pool.acquire()
        #expect(second !== first)
        #expect(pool.opened == 1)
    }

    /// Two tasks want a connection; the first connect is refused, but only
    /// once the second task waits behind it. Returns both outcomes and how many
    /// connects were tried.
    static func refusedFirstConnect(_ policy: ConnectFailurePolicy) async -> ([Result<MemoryConnection, any Error>], Int, ConnectionPool<MemoryConnection, PoolFailure>) {
        let attempts = Atomic<Int>(0)
        let gate = Gate()
        let pool = Self.pool(policy: policy) { slot throws(PoolFailure) in
            if attempts.add(1, ordering: .relaxed).newValue == 1 {
                await gate.wait()
                throw PoolFailure(what: "refused")
            }
            return MemoryConnection(slot)
        }
        let first = Task { try await pool.acquire() }
        let queued = Task { try await pool.acquire() }
        await Self.until { pool.waiting == 1 }
        gate.open()
        return ([await first.result, await queued.result], attempts.load(ordering: .relaxed), pool)
    }

    @Test func aFailedConnectFailsTheQueuedTasksOfACache() async throws {
        let (outcomes, attempts, pool) = await Self.refusedFirstConnect(.failWaiters)
        #expect(outcomes.allSatisfy { ($0.failureValue as? PoolFailure) == PoolFailure(what: "refused") })
        #expect(attempts == 1)
        #expect(try await pool.acquire().number == 1)
    }

    @Test func aFailedConnectLetsTheNextTaskOfADatabaseTryItself() async throws {
        let (outcomes, attempts, _) = await Self.refusedFirstConnect(.wakeNext)
        // Whichever task connected first met the refusal; the other connected itself.
        #expect(outcomes.filter { (try? $0.get()) == nil }.count == 1)
        #expect(outcomes.compactMap { try? $0.get().number } == [1])
        #expect(attempts == 2)
    }

    @Test func closingFailsWaitersAndClosesConnectionsAsTheyComeBack() async throws {
        let pool = Self.pool(capacity: 2)
        let lent = try await pool.acquire()
        let idle = try await pool.acquire()
        pool.release(idle)
        _ = try await pool.acquire()  // the idle one again: both lent
        let waiting = Task { try await pool.acquire() }
        await Self.until { pool.waiting == 1 }
        await pool.close()
        await #expect(throws: PoolFailure(what: "closed")) { try await waiting.value }
        pool.release(lent)
        await Self.until { lent.closed.load(ordering: .relaxed) }
        #expect(pool.opened == 1)
        await #expect(throws: PoolFailure(what: "closed")) { try await pool.acquire() }
    }
}
