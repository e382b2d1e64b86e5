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
            // (Only this test's jobs: the scheduler may enqueue the periodic objects.scrub too.)
            let keys = try await db.pool.query("SELECT unique_key FROM reel_jobs WHERE kind = 'noop'").map { try $0.decode(String.self, 0) }
            #expect(Set(keys).count == keys.count)
            #expect(keys.allSatisfy { $0.hasPrefix("periodic:tick:") })
            #expect(try await periodic.list().first { $0.name == "tick" }?.lastJobID != nil)
        }
    }

    /// Finished jobs live in the history's partitions, and retention drops a
    /// partition whole once its range is past: here partitions of 1 s and 2 s
    /// of retention for completed jobs, an hour for discarded ones.
    @Test func pruningDropsWholePartitionsPastRetention() async throws {
        try await TestDatabase.withFresh { db in
            var config = SchedulerConfiguration(id: "p")
            config.historyPartition = 1
            config.completedRetention = 2
            config.failedRetention = 3600
            let scheduler = Scheduler(pool: db.pool, configuration: config, logger: .test)
            try await scheduler.prune()
            func finish(_ id: Int64, as state: String) async throws {
                try await db.pool.query("SELECT reel_archive(ARRAY[$1::bigint], NULL, '{available}', $2::reel_job_state, NULL)", [id, state])
            }
            let old = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let failed = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let waiting = try await db.queue.enqueue(JobRequest(kind: "noop", runAt: Date().addingTimeInterval(3600))).id
            try await finish(old, as: "completed")
            try await finish(failed, as: "discarded")
            let partition = try #require(try await db.scalar(String.self, "SELECT tableoid::regclass::text FROM reel_jobs_history WHERE id = $1", [old]))
            #expect(partition.hasPrefix("reel_jobs_completed_2"), "\(partition)")
            try await eventually(timeout: 20, "the old job's partition to be dropped") {
                try await scheduler.prune()
                return try await db.queue.job(old) == nil
            }
            #expect(try await db.scalar(String.self, "SELECT to_regclass($1)::text", [partition]) == nil)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs_completed_default") == 0)
            let recent = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            try await finish(recent, as: "completed")
            try await scheduler.prune()
            #expect(try await db.queue.job(recent)?.state == .completed)
            #expect(try await db.queue.job(failed)?.state == .discarded)
            #expect(try await db.queue.job(waiting)?.state == .scheduled)
        }
    }

    /// A job finished outside every partition (the scheduler was away) waits in
    /// the default partition and goes row by row once past retention.
    @Test func pruningEmptiesTheDefaultPartitionToo() async throws {
        try await TestDatabase.withFresh { db in
            let old = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            try await db.pool.query("SELECT reel_archive(ARRAY[$1::bigint], NULL, '{available}', 'completed', NULL)", [old])
            try await db.pool.query("UPDATE reel_jobs_history SET finalized_at = now() - interval '2 days' WHERE id = $1", [old])
            #expect(try await db.scalar(String.self, "SELECT tableoid::regclass::text FROM reel_jobs_history WHERE id = $1", [old])
                == "reel_jobs_completed_default")
            try await Scheduler(pool: db.pool, configuration: SchedulerConfiguration(id: "p"), logger: .test).prune()
            #expect(try await db.queue.job(old) == nil)
        }
    }
}
