import Foundation
import Logging
import ReelPostgres
public import ReelQueue
public import ReelScheduler
public import ReelWorkers
import Synchronization

/// Queue, worker and scheduler helpers for tests that run jobs: a worker
/// and a scheduler in this process on the test's schema, and waiting for a
/// job's state.

/// A worker in this process on the test's schema.
public func startWorker(
    _ db: TestDatabase, queues: [String: Int] = ["default": 4], handlers: JobHandlers = ReelHandlers.all(demo: true),
    configure: (inout WorkerConfiguration) -> Void = { _ in }
) -> (ServiceHarness, ReelQueue.Worker) {
    var config = WorkerConfiguration(queues: queues)
    config.retry = RetryPolicy(base: 0.05, maximum: 0.2, jitter: 0.1)
    config.pollInterval = 0.2
    configure(&config)
    let worker = ReelQueue.Worker(pool: db.pool, handlers: handlers, configuration: config, logger: .test)
    return (ServiceHarness([worker]), worker)
}

public func startScheduler(_ db: TestDatabase, id: String = "test-scheduler", configure: (inout SchedulerConfiguration) -> Void = { _ in }) -> ServiceHarness {
    var config = SchedulerConfiguration(id: id)
    config.interval = 0.1
    config.leaderTTL = 2
    configure(&config)
    return ServiceHarness([Scheduler(pool: db.pool, configuration: config, logger: .test)])
}

extension TestDatabase {
    public var queue: JobQueue { JobQueue(pool: pool) }

    public func state(_ id: Int64) async throws -> JobState? {
        try await queue.job(id)?.state
    }

    public func waitForState(_ id: Int64, _ state: JobState, timeout: Double = 60) async throws {
        try await eventually(timeout: timeout, "job \(id) to be \(state)") { try await self.state(id) == state }
    }

    public func count(_ whereClause: String) async throws -> Int {
        try await scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE \(whereClause)") ?? 0
    }
}

/// Records what handlers saw, for assertions.
public final class Recorder: Sendable {
    private let events = Mutex<[String]>([])
    public init() {}
    public func add(_ e: String) { events.withLock { $0.append(e) } }
    public var all: [String] { events.withLock { $0 } }
}

extension Sequence {
    /// `map` with an async transform, in order.
    public func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
