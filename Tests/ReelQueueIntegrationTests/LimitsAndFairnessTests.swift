import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelStore
import ReelTesting
import Synchronization

/// Counts handlers running at once in this process.
final class Gauge: Sendable {
    private let state = Mutex((now: 0, peak: 0))
    func enter() { state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}

@Suite struct LimitsAndFairnessTests {
    /// The most jobs of the queue that were `running` at any one moment,
    /// from the claim (attempted_at) to the recorded completion (finalized_at).
    func maxOverlap(_ db: TestDatabase, queue: String) async throws -> Int {
        try await db.scalar(Int.self, """
            SELECT max(n)::int FROM (
                SELECT sum(d) OVER (ORDER BY t, d) AS n FROM (
                    SELECT attempted_at AS t, 1 AS d FROM reel_jobs WHERE queue = $1
                    UNION ALL SELECT finalized_at, -1 FROM reel_jobs WHERE queue = $1) e) s
            """, [queue]) ?? 0
    }

    @Test func perProcessLimitCapsConcurrency() async throws {
        try await TestDatabase.withFresh { db in
            let gauge = Gauge()
            var handlers = JobHandlers()
            handlers.register("tracked") { _ in
                gauge.enter()
                try await Task.sleep(for: .milliseconds(100))
                gauge.leave()
                return .completed
            }
            try await db.queue.enqueueMany((0..<12).map { _ in JobRequest(kind: "tracked", queue: "q") })
            let (worker, _) = startWorker(db, queues: ["q": 3], handlers: handlers)
            try await eventually { try await db.count("state = 'completed'") == 12 }
            try await worker.stop()
            #expect(gauge.peak == 3)
        }
    }

    @Test func globalLimitHoldsAcrossWorkers() async throws {
        try await TestDatabase.withFresh(poolSize: 12) { db in
            try await db.queue.configure(queue: "transcode", globalLimit: 2, ratePerSecond: nil)
            try await db.queue.enqueueMany((0..<16).map { _ in JobRequest(kind: "sleep", args: #"{"ms": 100}"#, queue: "transcode") })
            let workers = (0..<3).map { _ in startWorker(db, queues: ["transcode": 4]).0 }
            try await eventually { try await db.count("state = 'completed'") == 16 }
            for w in workers { try await w.stop() }
            #expect(try await maxOverlap(db, queue: "transcode") == 2)
        }
    }

    @Test func rateLimitSpacesStarts() async throws {
        try await TestDatabase.withFresh { db in
            try await db.queue.configure(queue: "r", globalLimit: nil, ratePerSecond: 10, burst: 1)
            try await db.queue.enqueueMany((0..<15).map { _ in JobRequest(kind: "noop", queue: "r") })
            let (worker, _) = startWorker(db, queues: ["r": 10]) { $0.pollInterval = 0.02 }
            try await eventually { try await db.count("state = 'completed'") == 15 }
            try await worker.stop()
            // At 10/s with a bucket of 1, no half-second holds more than 1 + 5 starts.
            let busiest = try await db.scalar(Int.self, """
                SELECT max(c)::int FROM (SELECT (SELECT count(*) FROM reel_jobs b WHERE b.queue = 'r'
                    AND b.attempted_at >= a.attempted_at AND b.attempted_at < a.attempted_at + interval '0.5 seconds') AS c
                FROM reel_jobs a WHERE a.queue = 'r') s
                """) ?? 0
            #expect(busiest <= 6)
            #expect(busiest >= 1)
        }
    }

    @Test func aSingleUploadIsNotStarvedByAnotherTenantsBurst() async throws {
        try await TestDatabase.withFresh { db in
            try await db.queue.enqueueMany((0..<1000).map { _ in JobRequest(kind: "noop", queue: "ingest", tenant: "big") })
            let small = try await db.queue.enqueue(JobRequest(kind: "noop", queue: "ingest", tenant: "small")).id
            let (worker, _) = startWorker(db, queues: ["ingest": 1]) { $0.fetchBatch = 1 }
            try await db.waitForState(small, .completed)
            try await worker.stop()
            let before = try await db.count("tenant = 'big' AND state = 'completed' AND attempted_at < (SELECT attempted_at FROM reel_jobs WHERE id = \(small))")
            #expect(before <= 1)
        }
    }

    @Test func pausedQueuesHandOutNothing() async throws {
        try await TestDatabase.withFresh { db in
            try await db.queue.configure(queue: "p", globalLimit: nil, ratePerSecond: nil, paused: true)
            let id = try await db.queue.enqueue(JobRequest(kind: "noop", queue: "p")).id
            let claimed = try await db.pool.query("SELECT id FROM reel_fetch('p', 'w', 10, '30 seconds')")
            #expect(claimed.isEmpty)
            try await db.queue.configure(queue: "p", globalLimit: nil, ratePerSecond: nil, paused: false)
            let again = try await db.pool.query("SELECT id FROM reel_fetch('p', 'w', 10, '30 seconds')")
            #expect(try again.map { try $0.decode(Int64.self, 0) } == [id])
        }
    }
}

/// A worker holds a queue while its `hold` says why (the media queue on a
/// nearly full scratch disk): the jobs stay available, and run once it lets go.
@Suite struct QueueHoldTests {
    @Test func heldJobsWaitAndRunWhenTheHoldLifts() async throws {
        try await TestDatabase.withFresh { db in
            let full = DiskGuard(folder: FileManager.default.temporaryDirectory, minimumFree: Int64.max)
            #expect(full.shortage() != nil)
            let holding = Mutex(true)
            let asked = Mutex(0)
            let queue = JobQueue(pool: db.pool)
            let id = try await queue.enqueue(JobRequest(kind: "noop", queue: "media")).id
            let (harness, _) = startWorker(db, queues: ["media": 1]) { config in
                config.hold = { name in
                    asked.withLock { $0 += 1 }
                    return name == "media" && holding.withLock({ $0 }) ? full.shortage() : nil
                }
            }
            try await eventually("the worker to ask three times") { asked.withLock { $0 } >= 3 }
            #expect(try await queue.job(id)?.state == .available)
            holding.withLock { $0 = false }
            try await eventually("the job to run") { try await queue.job(id)?.state == .completed }
            try await harness.stop()
        }
    }
}
