import Foundation
import ReelPostgres
import ReelQueue
import ReelTesting
import Synchronization
import Testing

/// A kind declared once runs with what it declares: decoded arguments, its
/// own backoff, and its time limit.
@Suite struct TypedKindTests {
    struct Pause: Codable, Sendable {
        var ms: Int
    }

    @Test func aHandlerGetsDecodedArgumentsAndAnAttemptPastItsTimeLimitIsStoppedAndRetried() async throws {
        let slow = JobKind<Pause>("test.slow", maxAttempts: 2, retry: RetryPolicy(base: 0.05, maximum: 0.05, jitter: 0), timeout: .milliseconds(300))
        let seen = Mutex<[Int]>([])
        var handlers = JobHandlers()
        handlers.register(slow) { args, _ in
            seen.withLock { $0.append(args.ms) }
            try await Task.sleep(for: .milliseconds(args.ms))
            return .completed
        }
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(slow, Pause(ms: 60_000)).id
            let quick = try await db.queue.enqueue(slow, Pause(ms: 10)).id
            let (worker, _) = startWorker(db, handlers: handlers)
            let scheduler = startScheduler(db)
            try await db.waitForState(quick, .completed)
            try await db.waitForState(id, .discarded)
            try await worker.stop()
            try await scheduler.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.attempt == 2 && job.errors.count == 2)
            #expect(job.errors.allSatisfy { $0.message.contains("ran past its time limit of 0.3 s") }, "\(job.errors.map(\.message))")
            #expect(job.errors.allSatisfy { $0.permanent != true })
            #expect(seen.withLock { $0.sorted() } == [10, 60_000, 60_000])
        }
    }
}
