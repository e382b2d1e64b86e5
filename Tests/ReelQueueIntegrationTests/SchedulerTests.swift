import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelScheduler
import ReelTesting

@Suite struct SchedulerTests {
    @Test func oneLeaderAtATimeAndHandOverOnResignOrExpiry() async throws {
        try await TestDatabase.withFresh { db in
            // Terms long enough that a busy machine does not end them between two steps.
            let a = LeaderElection(pool: db.pool, name: "scheduler", candidateID: "a", ttl: 8)
            let b = LeaderElection(pool: db.pool, name: "scheduler", candidateID: "b", ttl: 8)
            #expect(try await a.tryLead())
            #expect(try await !b.tryLead())
            #expect(try await a.tryLead())
            try await a.resign()
            #expect(try await b.tryLead())
            // b stops renewing (dies); a takes over once b's term ran out.
            try await eventually("a to take over") { try await a.tryLead() }
            #expect(try await a.currentLeader() == "a")
        }
    }

    @Test func periodicJobsAreEnqueuedFromCronOncePerRun() async throws {
        try await TestDatabase.withFresh { db in
            let periodic = PeriodicJobs(pool: db.pool)
            try await periodic.upsert(.init(name: "tick", cron: "* * * * * *", kind: "noop", args: #"{"from": "cron"}"#))
            // Two schedulers: only the leader enqueues, and unique keys stop doubles.
            let s1 = startScheduler(db, id: "s1")
            let s2 = startScheduler(db, id: "s2")
            try await eventually { try await db.count("kind = 'noop' AND meta->>'periodic' = 'true'") >= 2 }
            try await s1.stop()
            try await s2.stop()
            let keys = try await db.pool.query("SELECT unique_key FROM reel_jobs").map { try $0.decode(String.self, 0) }
            #expect(Set(keys).count == keys.count)
            #expect(keys.allSatisfy { $0.hasPrefix("periodic:tick:") })
            #expect(try await periodic.list().first { $0.name == "tick" }?.lastJobID != nil)
        }
    }

    @Test func pruningRemovesOnlyOldFinishedJobs() async throws {
        try await TestDatabase.withFresh { db in
            let old = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let recent = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let waiting = try await db.queue.enqueue(JobRequest(kind: "noop", runAt: Date().addingTimeInterval(3600))).id
            try await db.pool.query("UPDATE reel_jobs SET state = 'completed', finalized_at = now() - interval '2 days' WHERE id = $1", [old])
            try await db.pool.query("UPDATE reel_jobs SET state = 'completed', finalized_at = now() WHERE id = $1", [recent])
            var config = SchedulerConfiguration(id: "p")
            config.completedRetention = 24 * 3600
            try await Scheduler(pool: db.pool, configuration: config, logger: .test).prune()
            #expect(try await db.queue.job(old) == nil)
            #expect(try await db.queue.job(recent) != nil)
            #expect(try await db.queue.job(waiting) != nil)
        }
    }
}
