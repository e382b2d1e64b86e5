import Foundation
import Logging
import ReelPostgres
import ReelQueue
import ReelScheduler
import ReelTesting
import ReelWorkers
import Synchronization

/// A worker in this process on the test's schema.
func startWorker(
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

func startScheduler(_ db: TestDatabase, id: String = "test-scheduler", configure: (inout SchedulerConfiguration) -> Void = { _ in }) -> ServiceHarness {
    var config = SchedulerConfiguration(id: id)
    config.interval = 0.1
    config.leaderTTL = 2
    configure(&config)
    return ServiceHarness([Scheduler(pool: db.pool, configuration: config, logger: .test)])
}

extension TestDatabase {
    var queue: JobQueue { JobQueue(pool: pool) }

    func state(_ id: Int64) async throws -> JobState? {
        try await queue.job(id)?.state
    }

    func waitForState(_ id: Int64, _ state: JobState, timeout: Double = 60) async throws {
        try await eventually(timeout: timeout, "job \(id) to be \(state)") { try await self.state(id) == state }
    }

    func count(_ whereClause: String) async throws -> Int {
        try await scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE \(whereClause)") ?? 0
    }
}

/// Records what handlers saw, for assertions.
final class Recorder: Sendable {
    private let events = Mutex<[String]>([])
    func add(_ e: String) { events.withLock { $0.append(e) } }
    var all: [String] { events.withLock { $0 } }
}
