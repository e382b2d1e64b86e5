import ReelPool
import Testing

/// The pool's rules without a server: every event and the action it asks for.
@Suite struct ConnectionPoolStateTests {
    typealias State = ConnectionPoolState<String, String>

    @Test func opensLazilyUpToCapacityThenWaits() {
        var state = State(capacity: 2, onConnectFailure: .wakeNext)
        #expect(state.opened == 0)
        guard case .open(slot: 1) = state.lease() else { Issue.record("first lease opens slot 1"); return }
        guard case .open(slot: 2) = state.lease() else { Issue.record("second lease opens slot 2"); return }
        guard case .wait = state.lease() else { Issue.record("third lease waits"); return }
        #expect(state.opened == 2)
    }

    @Test func aReturnedConnectionIsLentAgainMostRecentFirst() {
        var state = State(capacity: 2, onConnectFailure: .wakeNext)
        _ = state.lease()
        _ = state.lease()
        _ = state.release("a", reusable: true)
        _ = state.release("b", reusable: true)
        #expect(state.idleCount == 2)
        guard case .use("b") = state.lease() else { Issue.record("the most recently returned is lent first"); return }
        guard case .use("a") = state.lease() else { Issue.record("then the other"); return }
        #expect(state.opened == 2)
    }

    @Test func waitersAreWokenInOrderWhenConnectionsComeBack() {
        var state = State(capacity: 1, onConnectFailure: .wakeNext)
        _ = state.lease()
        #expect(state.enqueue("first") != nil)
        #expect(state.enqueue("second") != nil)
        #expect(state.release("a", reusable: true).wake == "first")
        #expect(state.release("a", reusable: true).wake == "second")
        #expect(state.release("a", reusable: true).wake == nil)
        #expect(state.waiterCount == 0)
    }

    @Test func aTaskDoesNotQueueWhenAConnectionCameBackMeanwhile() {
        var state = State(capacity: 1, onConnectFailure: .wakeNext)
        _ = state.lease()
        _ = state.release("a", reusable: true)
        #expect(state.enqueue("late") == nil)
        #expect(state.waiterCount == 0)
    }

    @Test func aBrokenConnectionIsClosedAndItsSlotReopened() {
        var state = State(capacity: 1, onConnectFailure: .wakeNext)
        _ = state.lease()
        _ = state.enqueue("waiter")
        let action = state.release("broken", reusable: false)
        #expect(action.close == "broken")
        #expect(action.wake == "waiter")
        #expect(state.opened == 0 && state.idleCount == 0)
        guard case .open(slot: 1) = state.lease() else { Issue.record("the freed slot opens a new connection"); return }
    }

    @Test func aStaleIdleConnectionIsDiscardedAndReplaced() {
        var state = State(capacity: 1, onConnectFailure: .wakeNext)
        _ = state.lease()
        _ = state.release("stale", reusable: true)
        guard case .use("stale") = state.lease() else { Issue.record("the idle one is offered"); return }
        state.discard()
        guard case .open = state.lease() else { Issue.record("then a new one is opened"); return }
        #expect(state.opened == 1)
    }

    @Test func aTimedOutWaiterIsRemovedOnceAndNeverWokenLater() {
        var state = State(capacity: 1, onConnectFailure: .wakeNext)
        _ = state.lease()
        let first = state.enqueue("first")
        let second = state.enqueue("second")
        #expect(first.flatMap { state.timeout($0) } == "first")
        #expect(first.flatMap { state.timeout($0) } == nil)
        #expect(state.release("a", reusable: true).wake == "second")
        // Woken already: its timer finds nothing to resume.
        #expect(second.flatMap { state.timeout($0) } == nil)
    }

    @Test func aFailedConnectWakesTheNextWaiterToTryItself() {
        var state = State(capacity: 1, onConnectFailure: .wakeNext)
        _ = state.lease()
        _ = state.enqueue("first")
        _ = state.enqueue("second")
        #expect(state.connectFailed() == ["first"])
        #expect(state.opened == 0 && state.waiterCount == 1)
    }

    @Test func aFailedConnectFailsEveryWaiterOfACache() {
        var state = State(capacity: 1, onConnectFailure: .failWaiters)
        _ = state.lease()
        _ = state.enqueue("first")
        _ = state.enqueue("second")
        #expect(state.connectFailed() == ["first", "second"])
        #expect(state.opened == 0 && state.waiterCount == 0)
    }

    @Test func closingReturnsIdleConnectionsAndClosesLentOnesOnReturn() {
        var state = State(capacity: 2, onConnectFailure: .wakeNext)
        _ = state.lease()
        _ = state.lease()
        _ = state.release("idle", reusable: true)
        let (idle, waiters) = state.close()
        #expect(idle == ["idle"] && waiters.isEmpty)
        #expect(state.opened == 1 && state.isClosed)
        guard case .closed = state.lease() else { Issue.record("a closed pool lends nothing"); return }
        #expect(state.enqueue("late") == nil)
        #expect(state.release("lent", reusable: true).close == "lent")
        #expect(state.opened == 0)
    }

    @Test func closingWakesEveryWaiter() {
        var state = State(capacity: 1, onConnectFailure: .wakeNext)
        _ = state.lease()
        _ = state.enqueue("a")
        _ = state.enqueue("b")
        let (idle, waiters) = state.close()
        #expect(idle.isEmpty && waiters == ["a", "b"])
        #expect(state.waiterCount == 0)
    }
}
