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

    /// Holds up to `want` of `queue`'s free slots for a fetch about to run, so
    /// two fetchers of one queue never claim more than its limit together.
    /// Returns 0 (holding nothing) when fewer than `atLeast` are free while
    /// jobs run: better to wait and claim a fuller batch.
    func reserve(queue: String, limit: Int, want: Int, atLeast: Int) -> Int {
        perQueue.withLock { counts in
            let busy = counts[queue] ?? 0
            let free = limit - busy
            if free <= 0 || (free < atLeast && busy > 0) { return 0 }
            let n = Swift.min(free, want)
            counts[queue] = busy + n
            return n
        }
    }

    /// Gives back reserved slots a fetch did not fill.
    func unreserve(queue: String, _ n: Int) {
        if n > 0 { perQueue.withLock { $0[queue, default: n] -= n } }
    }

    /// Records a claimed job in a slot reserved for it.
    func insert(id: Int64, attempt: Int, queue: String) {
        entries.withLock { $0[id] = Entry(attempt: attempt, queue: queue) }
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
