import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

@Suite struct UniqueAndDependencyTests {
    @Test func concurrentSubmitsOfOneUniqueKeyYieldOneJob() async throws {
        try await TestDatabase.withFresh(poolSize: 10) { db in
            let results = try await withThrowingTaskGroup(of: EnqueueResult.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await db.queue.enqueue(JobRequest(kind: "noop", uniqueKey: "ingest:video-1")) }
                }
                var all: [EnqueueResult] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(Set(results.map(\.id)).count == 1)
            #expect(results.filter(\.inserted).count == 1)
            #expect(try await db.count("unique_key = 'ingest:video-1'") == 1)
        }
    }

    @Test func aDiscardedJobFreesItsUniqueKey() async throws {
        try await TestDatabase.withFresh { db in
            let first = try await db.queue.enqueue(JobRequest(kind: "fail", args: #"{"permanent": true}"#, uniqueKey: "k"))
            let (worker, _) = startWorker(db)
            try await db.waitForState(first.id, .discarded)
            try await worker.stop()
            let second = try await db.queue.enqueue(JobRequest(kind: "noop", uniqueKey: "k"))
            #expect(second.inserted)
            #expect(second.id != first.id)
        }
    }

    @Test func childrenWaitForEveryParentThenRun() async throws {
        try await TestDatabase.withFresh { db in
            let a = try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": 200}"#)).id
            let b = try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": 400}"#)).id
            let child = try await db.queue.enqueue(JobRequest(kind: "noop", parents: [a, b]))
            #expect(child.state == .pending)
            let grandchild = try await db.queue.enqueue(JobRequest(kind: "noop", parents: [child.id]))
            #expect(grandchild.state == .pending)
            let (worker, _) = startWorker(db)
            try await db.waitForState(grandchild.id, .completed)
            try await worker.stop()
            let times = try await db.pool.query(
                "SELECT id, attempted_at, finalized_at FROM reel_jobs ORDER BY id").map { row in
                    (try row.decode(Int64.self, 0), try row.decode(Date.self, 1), try row.decode(Date.self, 2))
                }
            let parentsDone = times.filter { $0.0 == a || $0.0 == b }.map(\.2).max() ?? .distantFuture
            let childStart = try #require(times.first { $0.0 == child.id }?.1)
            #expect(childStart >= parentsDone)
        }
    }

    @Test func aDiscardedParentCancelsItsDescendantsWithAReason() async throws {
        try await TestDatabase.withFresh { db in
            let ingest = try await db.queue.enqueue(JobRequest(kind: "fail", args: #"{"permanent": true, "message": "corrupt video"}"#)).id
            let transcode = try await db.queue.enqueue(JobRequest(kind: "noop", parents: [ingest])).id
            let package = try await db.queue.enqueue(JobRequest(kind: "noop", parents: [transcode])).id
            let (worker, _) = startWorker(db)
            try await db.waitForState(package, .cancelled)
            try await worker.stop()
            let reason = try #require(try await db.queue.job(transcode)?.cancelReason)
            #expect(reason.contains("parent job \(ingest) (fail) was discarded: corrupt video"))
            #expect(try await db.state(transcode) == .cancelled)
            // A job submitted after its parent failed is cancelled at once.
            let late = try await db.queue.enqueue(JobRequest(kind: "noop", parents: [ingest]))
            #expect(late.state == .cancelled)
        }
    }

    @Test func parentsThatDoNotExistAreRejected() async throws {
        try await TestDatabase.withFresh { db in
            do {
                try await db.queue.enqueue(JobRequest(kind: "noop", parents: [987_654]))
                Issue.record("expected an error")
            } catch {
                #expect("\(error)".contains("parent job does not exist"))
            }
        }
    }

    @Test func fanOutAndFanInUnderConcurrentCompletion() async throws {
        try await TestDatabase.withFresh { db in
            let ingest = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let rungs = try await (0..<8).asyncMap { _ in try await db.queue.enqueue(JobRequest(kind: "sleep", args: #"{"ms": 20}"#, parents: [ingest])).id }
            let package = try await db.queue.enqueue(JobRequest(kind: "noop", parents: rungs)).id
            let (worker, _) = startWorker(db, queues: ["default": 8])
            try await db.waitForState(package, .completed)
            try await worker.stop()
        }
    }
}
