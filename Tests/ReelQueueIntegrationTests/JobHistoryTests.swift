import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

/// Finished jobs leave the hot table for the history (issue 12) without
/// ever being lost, doubled, or out of an operator's reach.
@Suite struct JobHistoryTests {
    func places(_ db: TestDatabase, _ id: Int64) async throws -> (live: Int, history: Int, view: Int) {
        let row = try #require(try await db.pool.query(
            """
            SELECT (SELECT count(*)::int FROM reel_jobs_live WHERE id = $1), (SELECT count(*)::int FROM reel_jobs_history WHERE id = $1),
                   (SELECT count(*)::int FROM reel_jobs WHERE id = $1)
            """, [id]).first)
        return (try row.decode(Int.self, 0), try row.decode(Int.self, 1), try row.decode(Int.self, 2))
    }

    func claim(_ db: TestDatabase) async throws -> (id: Int64, attempt: Int) {
        let row = try #require(try await db.pool.query("SELECT id, attempt FROM reel_fetch('default', 'w', 1, '30 seconds')").first)
        return (try row.decode(Int64.self, 0), try row.decode(Int.self, 1))
    }

    @Test func aFinishedJobIsInTheHistoryOnlyAndFoundByIdThere() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            #expect(try await places(db, id) == (1, 0, 1))
            let job = try await claim(db)
            #expect(try await db.pool.query("SELECT reel_complete($1::bigint[], $2::int[])", [[job.id], [job.attempt]])
                .first?.decode(Int.self, 0) == 1)
            #expect(try await places(db, id) == (0, 1, 1))
            let found = try #require(try await db.queue.job(id))
            #expect(found.state == .completed && found.attempt == 1)
            #expect(try await db.queue.jobs(JobFilter(states: [.completed])).map(\.id) == [id])
            // The hot table is tuned for its churn by the migration.
            let options = try await db.scalar(String.self, "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE oid = 'reel_jobs_live'::regclass")
            #expect(options?.contains("autovacuum_vacuum_scale_factor=0") == true, "\(options ?? "none")")
        }
    }

    /// A completion whose session dies before it commits (a crash mid-move):
    /// the job is still live and running, once, and completes later.
    @Test func aMoveCutShortLeavesTheJobInExactlyOnePlace() async throws {
        try await TestDatabase.withFresh { db in
            let id = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let job = try await claim(db)
            let doomed = try await PostgresConnection.connect(db.url)
            try await doomed.execute("BEGIN")
            let pid = try #require(try await doomed.query("SELECT pg_backend_pid()").first?.decode(Int.self, 0))
            let moved = try await doomed.query("SELECT reel_complete($1::bigint[], $2::int[])", [[job.id], [job.attempt]])
            #expect(try moved.first?.decode(Int.self, 0) == 1)
            #expect(try await db.scalar(Bool.self, "SELECT pg_terminate_backend($1)", [pid]) == true)
            await doomed.close()
            try await eventually("the session to be gone") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM pg_stat_activity WHERE pid = $1", [pid]) == 0
            }
            #expect(try await places(db, id) == (1, 0, 1))
            #expect(try await db.state(id) == .running)
            #expect(try await db.pool.query("SELECT reel_complete($1::bigint[], $2::int[])", [[job.id], [job.attempt]])
                .first?.decode(Int.self, 0) == 1)
            #expect(try await places(db, id) == (0, 1, 1))
        }
    }

    /// A discarded parent and its cancelled child come back from the history
    /// on retry, errors kept; the child waits for the parent again.
    @Test func retriedJobsComeBackFromTheHistoryWithTheirDependencies() async throws {
        try await TestDatabase.withFresh { db in
            let parent = try await db.queue.enqueue(JobRequest(kind: "noop")).id
            let child = try await db.queue.enqueue(JobRequest(kind: "noop", parents: [parent])).id
            let job = try await claim(db)
            #expect(job.id == parent)
            #expect(try await db.scalar(String.self, "SELECT reel_fail($1, $2, 'w', 'broken for good', now(), true)::text", [job.id, job.attempt])
                == "discarded")
            #expect(try await db.state(child) == .cancelled)
            #expect(try await places(db, parent) == (0, 1, 1))
            #expect(try await places(db, child) == (0, 1, 1))
            #expect(try await db.queue.retry([parent, child]) == 2)
            #expect(try await places(db, parent) == (1, 0, 1))
            #expect(try await places(db, child) == (1, 0, 1))
            #expect(try await db.state(parent) == .available)
            #expect(try await db.state(child) == .pending)
            #expect(try await db.queue.job(parent)?.errors.first?.message == "broken for good")
            let again = try await claim(db)
            #expect(again.id == parent && again.attempt == 2)
            _ = try await db.pool.query("SELECT reel_complete($1::bigint[], $2::int[])", [[again.id], [again.attempt]])
            #expect(try await db.state(child) == .available)
        }
    }

    /// A completed job keeps its unique key while it is in the history; a
    /// discarded one frees it.
    @Test func uniqueKeysHoldAcrossTheHistory() async throws {
        try await TestDatabase.withFresh { db in
            let first = try await db.queue.enqueue(JobRequest(kind: "noop", uniqueKey: "k-done"))
            let job = try await claim(db)
            _ = try await db.pool.query("SELECT reel_complete($1::bigint[], $2::int[])", [[job.id], [job.attempt]])
            let again = try await db.queue.enqueue(JobRequest(kind: "noop", uniqueKey: "k-done"))
            #expect(!again.inserted && again.id == first.id && again.state == .completed)

            let failing = try await db.queue.enqueue(JobRequest(kind: "noop", uniqueKey: "k-failed"))
            let claimed = try await claim(db)
            #expect(claimed.id == failing.id)
            _ = try await db.pool.query("SELECT reel_fail($1, $2, 'w', 'no', now(), true)", [claimed.id, claimed.attempt])
            let fresh = try await db.queue.enqueue(JobRequest(kind: "noop", uniqueKey: "k-failed"))
            #expect(fresh.inserted && fresh.id != failing.id)
        }
    }
}
