import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

@Suite struct RetryAndFailureTests {
    @Test func failingJobsRetryWithHistoryThenComplete() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(JobRequest(kind: "fail", args: #"{"times": 2}"#)).id
            let (worker, w) = startWorker(db)
            let scheduler = startScheduler(db)
            try await db.waitForState(id, .completed)
            try await worker.stop()
            try await scheduler.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.attempt == 3)
            #expect(job.errors.map(\.attempt) == [1, 2])
            #expect(job.errors.allSatisfy { $0.worker == w.id && $0.permanent == false })
            #expect(job.errors[0].message == "simulated failure on attempt 1")
        }
    }

    @Test func attemptsRunOutIntoDiscarded() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(JobRequest(kind: "fail", args: #"{"message": "store unreachable"}"#, maxAttempts: 3)).id
            let (worker, _) = startWorker(db)
            let scheduler = startScheduler(db)
            try await db.waitForState(id, .discarded)
            try await worker.stop()
            try await scheduler.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.attempt == 3)
            #expect(job.errors.count == 3)
            #expect(job.errors.last?.message == "store unreachable")
        }
    }

    @Test func permanentFailuresAreNotRetried() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(JobRequest(kind: "fail", args: #"{"permanent": true, "message": "not a video: moov atom missing"}"#)).id
            let (worker, _) = startWorker(db)
            try await db.waitForState(id, .discarded)
            try await worker.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.attempt == 1)
            #expect(job.errors.count == 1)
            #expect(job.errors[0].permanent == true)
            #expect(job.errors[0].message == "not a video: moov atom missing")
        }
    }

    @Test func unknownKindsAndBadArgsFailAtOnceWithAReadableMessage() async throws {
        try await TestDatabase.withFresh { db in
            let unknown = try await db.queue.enqueue(JobRequest(kind: "transcode-v9")).id
            let badArgs = try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": "soon"}"#)).id
            let (worker, _) = startWorker(db)
            try await db.waitForState(unknown, .discarded)
            try await db.waitForState(badArgs, .discarded)
            try await worker.stop()
            #expect(try await db.queue.job(unknown)?.errors.first?.message.contains("unknown job kind 'transcode-v9'") == true)
            #expect(try await db.queue.job(badArgs)?.errors.first?.message.contains("do not match") == true)
        }
    }

    @Test func snoozeWaitsWithoutSpendingAnAttempt() async throws {
        try await TestDatabase.withFresh { db in
            let until = Date().timeIntervalSince1970 + 1
            let id = try await db.queue.enqueue(JobRequest(kind: "snooze", args: #"{"until": \#(until)}"#, maxAttempts: 1)).id
            let (worker, _) = startWorker(db)
            let scheduler = startScheduler(db)
            try await db.waitForState(id, .completed)
            try await worker.stop()
            try await scheduler.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.attempt == 1)
            #expect(job.errors.isEmpty)
            #expect(try #require(job.finalizedAt).timeIntervalSince1970 >= until)
        }
    }

    @Test func operatorsRetryDiscardedJobsOneOrInBulk() async throws {
        try await TestDatabase.withFresh { db in
            let ids = try await (0..<3).asyncMap { _ in
                try await db.queue.enqueue(JobRequest(kind: "fail", args: #"{"times": 1}"#, maxAttempts: 1)).id
            }
            let (worker, _) = startWorker(db)
            try await eventually { try await db.count("state = 'discarded'") == 3 }
            #expect(try await db.queue.retry([ids[0]]) == 1)
            try await db.waitForState(ids[0], .completed)
            // A family filter (`fa.*`) matches nothing: "fail" is not in a family; `f%` is not a pattern.
            #expect(try await db.queue.jobs(JobFilter(states: [.discarded], kinds: ["fa.*", "f%"])).isEmpty)
            #expect(try await db.queue.retry(matching: JobFilter(states: [.discarded], kind: "fail")) == 2)
            try await eventually { try await db.count("state = 'completed'") == 3 }
            try await worker.stop()
            let retried = try #require(try await db.queue.job(ids[1]))
            #expect(retried.errors.count == 1)
            #expect(retried.attempt == 2)
            #expect(retried.maxAttempts == 2)
        }
    }

    @Test func aFamilyFilterFindsEveryKindOfTheFamilyAndNoOther() async throws {
        try await TestDatabase.withFresh { db in
            let ids = try await ["media.cut", "media.glue", "mediax", "other"].asyncMap { kind in
                try await db.queue.enqueue(JobRequest(kind: kind, args: "{}")).id
            }
            #expect(Set(try await db.queue.jobs(JobFilter(kinds: ["media.*"])).map(\.id)) == Set(ids[0...1]))
            #expect(Set(try await db.queue.jobs(JobFilter(kinds: ["media.*", "other"])).map(\.id)) == Set([ids[0], ids[1], ids[3]]))
            #expect(try await db.queue.cancel(matching: JobFilter(kinds: ["media.*"])) == 2)
            #expect(try await db.queue.job(ids[2])?.state == .available)
        }
    }
}
