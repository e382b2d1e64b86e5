import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

/// Real `reel` processes against a real PostgreSQL: the failures a single
/// process cannot show (SIGKILL, several workers, scheduler fail-over).
@Suite struct WorkerProcessTests {
    @Test func aSIGKILLedWorkerLosesNoJob() async throws {
        try await TestDatabase.withFresh { db in
            let queue = JobQueue(pool: db.pool)
            // Jobs long enough that the worker surely still holds some when it is
            // killed, however slow the machine is at that moment.
            try await queue.enqueueMany((0..<12).map { i in JobRequest(kind: "sleep", args: #"{"ms": \#(3000 + i * 10)}"#) })
            let victim = try ReelProcess(["worker", "--demo-handlers", "--queues", "default=6", "--lease", "2"], databaseURL: db.url)
            // Kill it while it holds jobs.
            try await eventually("the worker to hold jobs") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE state = 'running'") ?? 0 >= 6
            }
            victim.signal(SIGKILL)
            try await victim.waitForExit()
            let held = try await db.scalar(String.self,
                "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM reel_jobs WHERE state = 'running'") ?? ""
            #expect(!held.isEmpty)
            // The survivor's lease is long, so on a loaded machine only the victim's jobs expire.
            let survivor = try ReelProcess(["worker", "--demo-handlers", "--queues", "default=6", "--lease", "30"], databaseURL: db.url)
            let scheduler = try ReelProcess(["scheduler", "--interval", "0.2"], databaseURL: db.url)
            try await eventually("every job to complete") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'sleep' AND state = 'completed'") == 12
            }
            survivor.signal(SIGTERM)
            scheduler.signal(SIGTERM)
            #expect(try await survivor.waitForExit() == 0)
            #expect(try await scheduler.waitForExit() == 0)
            // (The scheduler may have enqueued the periodic objects.scrub meanwhile.)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'sleep'") == 12)
            // Every job the victim held was taken back through its lease, and no other job was.
            let rescued = try await db.scalar(String.self, """
                SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM reel_jobs WHERE errors::text LIKE '%lease expired%'
                """) ?? ""
            #expect(rescued == held)
        }
    }

    @Test func aHandlerThatCrashesItsProcessIsRetriedElsewhere() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await JobQueue(pool: db.pool).enqueue(JobRequest(kind: "crash", args: #"{"attempts": 1}"#)).id
            let first = try ReelProcess(["worker", "--demo-handlers", "--lease", "1"], databaseURL: db.url)
            #expect(try await first.waitForExit() == 86)
            let second = try ReelProcess(["worker", "--demo-handlers", "--lease", "1"], databaseURL: db.url)
            let scheduler = try ReelProcess(["scheduler", "--interval", "0.2"], databaseURL: db.url)
            try await eventually { try await JobQueue(pool: db.pool).job(id)?.state == .completed }
            await second.stop()
            await scheduler.stop()
            let job = try #require(try await JobQueue(pool: db.pool).job(id))
            #expect(job.attempt == 2)
            #expect(job.errors.first?.message.contains("lease expired") == true)
        }
    }

    @Test func aGlobalLimitHoldsAcrossThreeWorkerProcesses() async throws {
        try await TestDatabase.withFresh { db in
            let queue = JobQueue(pool: db.pool)
            try await queue.configure(queue: "transcode", globalLimit: 2, ratePerSecond: nil)
            try await queue.enqueueMany((0..<18).map { _ in JobRequest(kind: "sleep", args: #"{"ms": 150}"#, queue: "transcode") })
            let workers = try (0..<3).map { _ in try ReelProcess(["worker", "--demo-handlers", "--queues", "transcode=4"], databaseURL: db.url) }
            try await eventually { try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE state = 'completed'") == 18 }
            for w in workers { w.signal(SIGTERM) }
            for w in workers { #expect(try await w.waitForExit() == 0) }
            // Running = claimed (attempted_at) until recorded complete (finalized_at).
            let peak = try await db.scalar(Int.self, """
                SELECT max(n)::int FROM (SELECT sum(d) OVER (ORDER BY t, d) AS n FROM (
                    SELECT attempted_at AS t, 1 AS d FROM reel_jobs UNION ALL SELECT finalized_at, -1 FROM reel_jobs) e) s
                """)
            #expect(peak == 2)
            let workersUsed = try await db.scalar(Int.self, "SELECT count(DISTINCT attempted_by)::int FROM reel_jobs") ?? 0
            #expect(workersUsed >= 2)
        }
    }

    @Test func anotherSchedulerLeadsWhenTheLeaderIsKilled() async throws {
        try await TestDatabase.withFresh { db in
            func leader() async throws -> String? {
                try await db.scalar(String.self, "SELECT leader_id FROM reel_leaders WHERE name = 'scheduler' AND expires_at > now()")
            }
            let first = try ReelProcess(["scheduler", "--interval", "0.2", "--leader-ttl", "2"], databaseURL: db.url)
            try await eventually { try await leader() != nil }
            let firstLeader = try await leader()
            let second = try ReelProcess(["scheduler", "--interval", "0.2", "--leader-ttl", "2"], databaseURL: db.url)
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await leader() == firstLeader)
            first.signal(SIGKILL)
            try await first.waitForExit()
            try await eventually("the second scheduler to lead") {
                let now = try await leader()
                return now != nil && now != firstLeader
            }
            // The new leader does the work: a scheduled job gets promoted and run.
            let id = try await JobQueue(pool: db.pool).enqueue(JobRequest(kind: "noop", runAt: Date().addingTimeInterval(0.5))).id
            let worker = try ReelProcess(["worker", "--demo-handlers"], databaseURL: db.url)
            try await eventually { try await JobQueue(pool: db.pool).job(id)?.state == .completed }
            await worker.stop()
            second.signal(SIGTERM)
            #expect(try await second.waitForExit() == 0)
            // A leader that stops gracefully hands over at once.
            #expect(try await leader() == nil)
        }
    }

    /// A production worker (no --demo-handlers) has no `crash` handler: the
    /// job fails with "unknown job kind" and the worker stays up for the next.
    @Test func aProductionWorkerDoesNotRunTheDemonstrationHandlers() async throws {
        try await TestDatabase.withFresh { db in
            let queue = JobQueue(pool: db.pool)
            let crash = try await queue.enqueue(JobRequest(kind: "crash", args: #"{"attempts": 5}"#, maxAttempts: 1)).id
            let worker = try ReelProcess(["worker", "--queues", "default=2"], databaseURL: db.url)
            try await eventually { try await queue.job(crash)?.state == .discarded }
            let errors = try await db.scalar(String.self, "SELECT errors::text FROM reel_jobs WHERE id = $1", [crash]) ?? ""
            #expect(errors.contains("unknown job kind 'crash'"), "\(errors)")
            #expect(worker.isRunning)
            worker.signal(SIGTERM)
            #expect(try await worker.waitForExit() == 0)
        }
    }
}
