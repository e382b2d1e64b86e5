import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

/// Reel's processes against the database set-ups of a real deployment: Debian's
/// PgBouncer in transaction pooling, a hot standby fed by streaming replication,
/// and a standby promoted after its primary stopped. Each test runs a private
/// PostgreSQL (the shared test database puts each test's schema in the URL,
/// which PgBouncer cannot pass on).
@Suite(.serialized) struct DatabaseTopologyTests {
    /// A private primary with Reel's schema.
    static func migratedPrimary() async throws -> TestPostgresServer {
        let primary = try await TestPostgresServer.primary()
        let migrate = try await ReelProcess.run(["migrate", "--migrations", PackagePaths.root.appendingPathComponent("migrations").path],
                                                databaseURL: primary.url)
        #expect(migrate.status == 0, "\(migrate.output)")
        return primary
    }

    /// The HTTP status curl gets for `url`.
    static func status(_ url: String) async throws -> String {
        try await ChildProcess.tool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", url]).output
    }

    @Test func aProcessBehindAnUndeclaredTransactionPoolerStopsAndNamesTheSwitch() async throws {
        let primary = try await Self.migratedPrimary()
        let bouncer = try await TestPgBouncer(upstream: primary.url)
        defer { Task { await bouncer.stop(); await primary.remove() } }
        for command in [["worker", "--demo-handlers"], ["scheduler"], ["api", "--port", "0", "--open-uploads"]] {
            let process = try ReelProcess(command, databaseURL: bouncer.url)
            let status = try await process.waitForExit()
            #expect(status != 0, "reel \(command[0]) started through PgBouncer without REEL_DATABASE_POOLER")
            #expect(process.log.contains("through a connection pooler"), "\(process.log)")
            #expect(process.log.contains("REEL_DATABASE_POOLER=transaction"), "\(process.log)")
        }
        let migrate = try await ReelProcess.run(["migrate", "--migrations", PackagePaths.root.appendingPathComponent("migrations").path],
                                                databaseURL: bouncer.url, environment: ["REEL_DATABASE_POOLER": "transaction"])
        #expect(migrate.status != 0 && migrate.output.contains("run it against PostgreSQL itself"), "\(migrate.output)")
        let wrong = try await ReelProcess.run(["worker"], databaseURL: bouncer.url, environment: ["REEL_DATABASE_POOLER": "pgbouncer"])
        #expect(wrong.status != 0)
        #expect(wrong.output.contains("use none, session or transaction"), "\(wrong.output)")
    }

    @Test func jobsAndTheAPIWorkThroughPgBouncerInTransactionMode() async throws {
        let primary = try await Self.migratedPrimary()
        // Two server connections for everyone: statements of different clients
        // interleave on them, so a prepared statement or a session setting would show.
        let bouncer = try await TestPgBouncer(upstream: primary.url, poolSize: 2)
        defer { Task { await bouncer.stop(); await primary.remove() } }
        let pooled = ["REEL_DATABASE_POOLER": "transaction"]
        let workers = try (0..<2).map { _ in
            try ReelProcess(["worker", "--demo-handlers", "--queues", "default=4"], databaseURL: bouncer.url,
                            environment: pooled.merging(["REEL_DATABASE_LISTEN_URL": primary.url]) { $1 })
        }
        let scheduler = try ReelProcess(["scheduler", "--interval", "0.2"], databaseURL: bouncer.url, environment: pooled)
        // Both listen on PostgreSQL itself (LISTEN cannot go through the pooler).
        try await eventually(timeout: 60, "both workers to listen") {
            workers.allSatisfy { $0.log.contains("mode=listen") || $0.log.contains("\"mode\": \"listen\"") }
        }
        let queue = JobQueue(pool: PostgresPool(url: bouncer.url, maxConnections: 2, pooling: .transaction))
        try await queue.enqueueMany((0..<60).map { i in JobRequest(kind: "noop", args: #"{"n": \#(i)}"#) })
        let direct = PostgresPool(url: primary.url, maxConnections: 1)
        try await eventually(timeout: 120, "60 jobs to complete through PgBouncer") {
            try await direct.query("SELECT count(*)::int FROM reel_jobs WHERE state = 'completed'").single(Int.self) == 60
        }
        #expect(try await direct.query("SELECT count(*)::int FROM reel_jobs WHERE attempt > 1").single(Int.self) == 0)

        let api = try ReelProcess(["api", "--port", "0", "--open-uploads", "--connections", "4"], databaseURL: bouncer.url,
                                  environment: pooled.merging(["REEL_DATA_DIR": TestObjectStores.freshFolder("api").path]) { $1 })
        let base = "http://" + (try await api.address(after: "listening on http://"))
        #expect(try await Self.status(base + "/readyz") == "200")
        // A catalog read through the pooler: a well-formed id nobody uploaded.
        let missing = try await Self.status(base + "/v1/videos/doesnotexist1234")
        #expect(missing == "404", "\(api.log)")
        for process in workers + [scheduler, api] {
            process.signal(SIGTERM)
            #expect(try await process.waitForExit() == 0, "\(process.log)")
            #expect(!process.log.contains("prepared statement"), "\(process.log)")
        }
        await direct.close()
    }

    @Test func aWriterPointedAtAStandbyStopsAndSaysSo() async throws {
        let primary = try await Self.migratedPrimary()
        let standby = try await primary.standby()
        defer { Task { await standby.remove(); await primary.remove() } }
        for command in [["worker", "--demo-handlers"], ["scheduler"]] {
            let process = try ReelProcess(command, databaseURL: standby.url)
            let status = try await process.waitForExit()
            #expect(status != 0)
            #expect(process.log.contains("a standby in recovery"), "\(process.log)")
            #expect(process.log.contains("target_session_attrs=read-write"), "\(process.log)")
        }
    }

    @Test func writersFindThePromotedStandbyByThemselvesAndLoseNoJob() async throws {
        let primary = try await Self.migratedPrimary()
        let standby = try await primary.standby()
        defer { Task { await standby.remove(); await primary.remove() } }
        // libpq tries the hosts in turn and keeps the one that takes writes.
        let both = "postgresql://reel@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/reel?target_session_attrs=read-write&connect_timeout=2"
        let queue = JobQueue(pool: PostgresPool(url: both, maxConnections: 2))
        try await queue.enqueueMany((0..<40).map { i in JobRequest(kind: "sleep", args: #"{"ms": \#(300 + i)}"#) })
        let worker = try ReelProcess(["worker", "--demo-handlers", "--queues", "default=4", "--lease", "5"], databaseURL: both)
        let scheduler = try ReelProcess(["scheduler", "--interval", "0.2"], databaseURL: both)
        let first = PostgresPool(url: primary.url, maxConnections: 1)
        try await eventually(timeout: 120, "some jobs to complete on the first primary") {
            try await first.query("SELECT count(*)::int FROM reel_jobs WHERE state = 'completed'").single(Int.self) >= 8
        }
        await first.close()
        await primary.stop()
        try await standby.promote()
        let second = PostgresPool(url: standby.url, maxConnections: 1)
        // What the standby had when its primary stopped: work was left for after the promotion.
        let inherited = try await second.query("SELECT count(*)::int FROM reel_jobs WHERE state = 'completed'").single(Int.self)
        #expect(inherited < 40)
        try await eventually(timeout: 180, "every job to complete on the promoted standby") {
            (try? await second.query("SELECT count(*)::int FROM reel_jobs WHERE state = 'completed'").single(Int.self)) == 40
        }
        // The test's own jobs: the scheduler also enqueues its periodic ones (av1.select every
        // minute, objects.scrub) into queues this worker does not run, when a minute turns.
        #expect(try await second.query("SELECT count(*)::int FROM reel_jobs WHERE kind = 'sleep'").single(Int.self) == 40)
        // A job ran again only after its lease expired (a worker that lost the primary mid-job).
        let rerunWithoutExpiry = try await second.query("""
            SELECT count(*)::int FROM reel_jobs WHERE attempt > 1 AND NOT errors::text LIKE '%lease expired%'
            """).single(Int.self)
        #expect(rerunWithoutExpiry == 0)
        worker.signal(SIGTERM)
        scheduler.signal(SIGTERM)
        #expect(try await worker.waitForExit() == 0, "\(worker.log)")
        #expect(try await scheduler.waitForExit() == 0, "\(scheduler.log)")
        await second.close()
    }

    @Test func anAPIReadsTheCatalogFromItsStandbyAndThePrimaryForWhatTheStandbyLacks() async throws {
        let primary = try await Self.migratedPrimary()
        let standby = try await primary.standby()
        defer { Task { await standby.remove(); await primary.remove() } }
        let writes = PostgresPool(url: primary.url, maxConnections: 1)
        let replica = PostgresPool(url: standby.url, maxConnections: 1)
        func insert(_ id: String, _ title: String) async throws {
            try await writes.query("""
                INSERT INTO videos (id, title, home_region, source_digest, source_size) VALUES ($1, $2, 'region-a', repeat('ab', 32), 1)
                """, [id, title])
        }
        try await insert("replicated1", "first")
        try await eventually(timeout: 60, "the standby to replay the insert") {
            try await replica.query("SELECT count(*)::int FROM videos WHERE id = 'replicated1'").single(Int.self) == 1
        }
        let api = try ReelProcess(["api", "--port", "0", "--open-uploads"], databaseURL: primary.url,
                                  environment: ["REEL_DATABASE_READ_URL": standby.url,
                                                "REEL_DATA_DIR": TestObjectStores.freshFolder("api").path])
        let base = "http://" + (try await api.address(after: "listening on http://"))
        // The standby stops replaying: what the API answers now shows where it read.
        _ = try await replica.query("SELECT pg_wal_replay_pause()")
        try await writes.query("UPDATE videos SET title = 'second' WHERE id = 'replicated1'")
        try await insert("brandnew1", "just uploaded")
        #expect(try await Self.body(base + "/v1/videos/replicated1").contains("\"first\""))
        // What the standby has not seen yet is read from the primary: its uploader finds it.
        #expect(try await Self.body(base + "/v1/videos/brandnew1").contains("just uploaded"))
        _ = try await replica.query("SELECT pg_wal_replay_resume()")
        try await eventually(timeout: 60, "the API to read the replayed title") {
            try await Self.body(base + "/v1/videos/replicated1").contains("\"second\"")
        }
        // Cut off from the primary: what the standby holds is still served, the API stays ready
        // (degraded), and what only the primary could say is a 503 to retry, not an error.
        await writes.close()
        await primary.stop()
        #expect(try await Self.body(base + "/v1/videos/replicated1").contains("\"second\""))
        let ready = try await Self.body(base + "/readyz")
        #expect(ready.contains("degraded"), "\(ready)")
        #expect(try await Self.status(base + "/v1/videos/unknownvideo1") == "503")
        #expect(try await Self.body(base + "/v1/videos/unknownvideo1").contains("catalog_unavailable"))
        api.signal(SIGTERM)
        #expect(try await api.waitForExit() == 0, "\(api.log)")
        await replica.close()
    }

    static func body(_ url: String) async throws -> String {
        try await ChildProcess.tool("curl", ["-s", "--max-time", "10", url]).output
    }
}
