import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

@Suite struct CancellationAndLeaseTests {
    @Test func waitingJobsAreCancelledAtOnce() async throws {
        try await TestDatabase.withFresh { db in
            let available = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let scheduled = try await db.queue.enqueue(JobRequest(kind: "noop", runAt: Date().addingTimeInterval(3600))).id
            #expect(try await db.queue.cancel([available, scheduled], reason: "video deleted") == 2)
            #expect(try await db.state(available) == .cancelled)
            #expect(try await db.queue.job(scheduled)?.cancelReason == "video deleted")
        }
    }

    @Test func aRunningHandlerIsToldThroughNotifyAndStops() async throws {
        try await TestDatabase.withFresh { db in
            let recorder = Recorder()
            var handlers = JobHandlers()
            handlers.register("long") { _ in
                recorder.add("started")
                do {
                    try await Task.sleep(for: .seconds(120))
                } catch {
                    recorder.add("saw cancellation")
                    throw error
                }
                return .completed
            }
            let id = try await db.queue.enqueue(JobRequest(kind: "long")).id
            // Heartbeats far apart: the stop must come from NOTIFY, not from polling.
            let (worker, _) = startWorker(db, handlers: handlers) { $0.lease = 120 }
            try await db.waitForState(id, .running)
            try await eventually { recorder.all.contains("started") }
            #expect(try await db.queue.cancel([id], reason: "takedown") == 1)
            try await db.waitForState(id, .cancelled)
            try await worker.stop()
            #expect(recorder.all == ["started", "saw cancellation"])
            #expect(try await db.queue.job(id)?.cancelReason == "takedown")
        }
    }

    @Test func pollOnlyWorkersLearnOfCancellationByHeartbeat() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": 120000}"#)).id
            let (worker, _) = startWorker(db) {
                $0.pollOnly = true
                $0.lease = 1.5
            }
            try await db.waitForState(id, .running)
            try await db.queue.cancel([id])
            try await db.waitForState(id, .cancelled)
            try await worker.stop()
        }
    }

    @Test func anExpiredLeaseMakesTheJobAvailableAgainWithTheLossRecorded() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            // A worker that claims the job and dies: nobody renews the lease.
            _ = try await db.pool.query("SELECT id FROM reel_fetch('default', 'dead-worker', 1, '0.3 seconds')")
            #expect(try await db.state(id) == .running)
            let scheduler = startScheduler(db)
            let (worker, _) = startWorker(db)
            try await db.waitForState(id, .completed)
            try await worker.stop()
            try await scheduler.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.attempt == 2)
            #expect(job.errors.count == 1)
            #expect(job.errors[0].worker == "dead-worker")
            #expect(job.errors[0].message.contains("lease expired"))
        }
    }

    @Test func aLongJobKeepsItsLeaseThroughHeartbeats() async throws {
        try await TestDatabase.withFresh { db in
            // The job runs two and a half leases long, so it lives only if heartbeats renew the lease.
            // The lease is 10 s, not less: on two busy cores (the whole suite runs at once, with
            // thousands of test connections at one point) a heartbeat came more than 2 s late, and
            // once (a CI run beside a build) more than 5 s late, without anything being wrong with
            // the worker; heartbeats come every third of a lease.
            let id = try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": 25000}"#)).id
            let scheduler = startScheduler(db)
            let (worker, _) = startWorker(db) { $0.lease = 10 }
            try await db.waitForState(id, .completed, timeout: 120)
            try await worker.stop()
            try await scheduler.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.attempt == 1)
            #expect(job.errors.isEmpty)
        }
    }

    @Test func gracefulShutdownReleasesUnfinishedJobsForOthers() async throws {
        try await TestDatabase.withFresh { db in
            let long = try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": 120000}"#)).id
            let short = try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": 300}"#)).id
            let (worker, _) = startWorker(db) { $0.shutdownTimeout = 1.5 }
            try await db.waitForState(long, .running)
            try await db.waitForState(short, .running)
            try await worker.stop()
            // The short job finished within the timeout; the long one was handed back.
            #expect(try await db.state(short) == .completed)
            let job = try #require(try await db.queue.job(long))
            #expect(job.state == .available)
            #expect(job.attempt == 0)
            #expect(job.attemptedBy == nil)
        }
    }
}
