import Synchronization

/// A coalescing wake-up signal between tasks: `signal()` wakes the waiter (or
/// the next one to wait); several signals before a wait count as one.
///
/// Waiting with a timeout costs one continuation and a timer task that is
/// cancelled on wake-up, not a task group: the producer loop waits once per
/// batch, and every hop between threads shows in the queue's latency.
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.signalled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal, when the task is cancelled, or after `timeout` seconds.
    func wait(timeout: Double) async {
        var timer: Task<Void, Never>?
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let generation = state.withLock { s -> Int? in
                    if s.signalled || Task.isCancelled {
                        s.signalled = false
                        return nil
                    }
                    s.generation += 1
                    s.waiter = c
                    return s.generation
                }
                guard let generation else { return c.resume() }
                timer = Task { [weak self] in
                    try? await Task.sleep(for: .seconds(timeout))
                    if Task.isCancelled { return }
                    self?.expire(generation)
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
        timer?.cancel()
    }

    /// The timer of wait number `generation` ran out: wake that wait only.
    private func expire(_ generation: Int) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.generation == generation, let w = s.waiter else { return nil }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }
}
