import Synchronization

/// A coalescing wake-up signal between tasks: `signal()` wakes every task
/// waiting now (or the next one to wait); several signals before a wait count
/// as one.
///
/// Waiting with a timeout costs one continuation and a timer task that is
/// cancelled on wake-up, not a task group: the producer loop waits once per
/// batch, and every hop between threads shows in the queue's latency.
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func signal() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.waiters.isEmpty {
                s.signalled = true
                return []
            }
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next signal, when the task is cancelled, or after `timeout` seconds.
    func wait(timeout: Double) async {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        var timer: Task<Void, Never>?
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let waiting = state.withLock { s -> Bool in
                    if s.signalled || Task.isCancelled {
                        s.signalled = false
                        return false
                    }
                    s.waiters[id] = c
                    return true
                }
                guard waiting else { return c.resume() }
                timer = Task { [weak self] in
                    try? await Task.sleep(for: .seconds(timeout))
                    if Task.isCancelled { return }
                    self?.wake(id)
                }
            }
        } onCancel: {
            wake(id)
        }
        timer?.cancel()
    }

    /// Wakes one waiter (its timer ran out, or its task was cancelled).
    private func wake(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}
