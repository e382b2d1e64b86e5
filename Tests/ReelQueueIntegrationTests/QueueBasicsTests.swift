import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

@Suite struct QueueBasicsTests {
    @Test func enqueuedJobsRunAndComplete() async throws {
        try await TestDatabase.withFresh { db in
            let ids = try await (0..<20).asyncMap { _ in try await db.queue.enqueue(JobRequest(kind: "noop")).id }
            let (worker, _) = startWorker(db)
            try await eventually("all jobs completed") { try await db.count("state = 'completed'") == 20 }
            try await worker.stop()
            let job = try #require(try await db.queue.job(ids[0]))
            #expect(job.attempt == 1)
            #expect(job.errors.isEmpty)
            #expect(job.finalizedAt != nil)
        }
    }

    @Test func enqueueInsideTheCallersTransactionIsAtomicWithIt() async throws {
        try await TestDatabase.withFresh { db in
            try await db.pool.query("CREATE TABLE my_uploads (name text)")
            struct Rollback: Error {}
            await #expect(throws: Rollback.self) {
                try await db.pool.withTransaction { conn in
                    try conn.query("INSERT INTO my_uploads VALUES ('a')")
                    _ = try JobQueue.enqueue(JobRequest(kind: "noop", args: #"{"upload": "a"}"#), on: conn)
                    throw Rollback()
                }
            }
            #expect(try await db.count("true") == 0)
            let id = try await db.pool.withTransaction { conn in
                try conn.query("INSERT INTO my_uploads VALUES ('b')")
                return try JobQueue.enqueue(JobRequest(kind: "noop", args: #"{"upload": "b"}"#), on: conn).id
            }
            #expect(try await db.queue.job(id)?.args == #"{"upload": "b"}"#)
        }
    }

    @Test func bulkEnqueueWithCopy() async throws {
        try await TestDatabase.withFresh { db in
            let requests = (0..<5000).map { JobRequest(kind: "noop", args: #"{"i": \#($0)}"#, queue: $0 % 2 == 0 ? "even" : "odd") }
            let inserted = try await db.queue.enqueueMany(requests)
            #expect(inserted == 5000)
            #expect(try await db.count("queue = 'even' AND state = 'available'") == 2500)
            // Bulk requests with unique keys or parents take the row path in the same transaction.
            let special = [JobRequest(kind: "noop", uniqueKey: "k1"), JobRequest(kind: "noop", uniqueKey: "k1")]
            #expect(try await db.queue.enqueueMany(special) == 1)
        }
    }

    @Test func fetchHonoursPriorityThenAge() async throws {
        try await TestDatabase.withFresh { db in
            let low = try await db.queue.enqueue(JobRequest(kind: "noop", priority: 5)).id
            let high = try await db.queue.enqueue(JobRequest(kind: "noop", priority: -1)).id
            let normal = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let claimed = try await db.pool.query("SELECT id FROM reel_fetch('default', 'w', 3, '30 seconds')").map { try $0.decode(Int64.self, 0) }
            #expect(claimed.sorted() == [low, high, normal].sorted())
            // Order of claiming is by priority: look at a one-at-a-time fetch.
            try await db.pool.query("UPDATE reel_jobs_live SET state = 'available', attempt = 0")
            var order: [Int64] = []
            for _ in 0..<3 {
                order += try await db.pool.query("SELECT id FROM reel_fetch('default', 'w', 1, '30 seconds')").map { try $0.decode(Int64.self, 0) }
            }
            #expect(order == [high, normal, low])
        }
    }

    @Test func scheduledJobsWaitForTheirTime() async throws {
        try await TestDatabase.withFresh { db in
            // Far enough ahead that a busy machine cannot reach it before the insert.
            let result = try await db.queue.enqueue(JobRequest(kind: "noop", runAt: Date().addingTimeInterval(15)))
            #expect(result.state == .scheduled)
            let (worker, _) = startWorker(db)
            let scheduler = startScheduler(db)
            try await db.waitForState(result.id, .completed)
            let job = try #require(try await db.queue.job(result.id))
            #expect(try #require(job.attemptedAt) >= job.runAt)
            try await worker.stop()
            try await scheduler.stop()
        }
    }

    @Test func reportingViewsAnswer() async throws {
        try await TestDatabase.withFresh { db in
            try await db.queue.enqueue(JobRequest(kind: "noop"))
            try await db.queue.enqueue(JobRequest(kind: "fail", args: #"{"permanent": true}"#))
            let (worker, _) = startWorker(db)
            try await eventually { try await db.count("state IN ('completed', 'discarded')") == 2 }
            try await worker.stop()
            #expect(try await db.scalar(Int.self, "SELECT completed::int FROM reel_report_queues WHERE queue = 'default'") == 1)
            #expect(try await db.scalar(Int.self, "SELECT sum(failed_attempts)::int FROM reel_report_failure_rate WHERE kind = 'fail'") == 1)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_report_recent_failures") == 1)
            #expect(try await db.scalar(Int.self, "SELECT jobs::int FROM reel_report_time_in_queue WHERE kind = 'noop'") == 1)
            #expect(try await db.scalar(Int.self, "SELECT completed::int FROM reel_report_slowest_kinds WHERE kind = 'noop'") == 1)
            #expect(try await db.scalar(Int.self, "SELECT sum(jobs)::int FROM reel_report_jobs_by_state") == 2)
        }
    }
}
