import Synchronization

/// The jobs this worker runs right now, with the tasks that run them.
final class RunningJobs: Sendable {
    /// Why a running handler was told to stop.
    enum StopReason: Sendable { case cancelRequested, leaseLost, shutdown }

    struct Entry: Sendable {
        let attempt: Int
        let queue: String
        var task: Task<Void, Never>?
        var stopReason: StopReason?
    }

    private let entries = Mutex<[Int64: Entry]>([:])
    private let perQueue = Mutex<[String: Int]>([:])
    let drained = Wakeup()

    func insert(id: Int64, attempt: Int, queue: String) {
        entries.withLock { $0[id] = Entry(attempt: attempt, queue: queue) }
        perQueue.withLock { $0[queue, default: 0] += 1 }
    }

    func attach(_ task: Task<Void, Never>, to id: Int64) {
        let cancelled = entries.withLock { e -> Bool in
            e[id]?.task = task
            return e[id]?.stopReason != nil
        }
        if cancelled { task.cancel() }
    }

    /// Removes a finished job; returns why it was stopped, if it was.
    func remove(_ id: Int64) -> (found: Bool, reason: StopReason?) {
        guard let entry = entries.withLock({ $0.removeValue(forKey: id) }) else { return (false, nil) }
        perQueue.withLock { $0[entry.queue, default: 1] -= 1 }
        drained.signal()
        return (true, entry.stopReason)
    }

    /// Asks a running handler to stop; false if the job is not running here.
    @discardableResult
    func stop(_ id: Int64, reason: StopReason) -> Bool {
        let task = entries.withLock { e -> Task<Void, Never>?? in
            guard e[id] != nil else { return nil }
            if e[id]?.stopReason == nil { e[id]?.stopReason = reason }
            return .some(e[id]?.task)
        }
        guard let task else { return false }
        task?.cancel()
        return true
    }

    func count(queue: String) -> Int { perQueue.withLock { $0[queue] ?? 0 } }
    var count: Int { entries.withLock { $0.count } }
    var snapshot: [(id: Int64, attempt: Int)] { entries.withLock { $0.map { ($0.key, $0.value.attempt) } } }
}
