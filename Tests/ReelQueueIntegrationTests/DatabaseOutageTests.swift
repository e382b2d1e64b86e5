import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting
import ReelWorkers

/// The database goes away (refused connections, cut sessions) and comes
/// back: workers reconnect by themselves and no job is lost.
@Suite struct DatabaseOutageTests {
    func worker(_ db: TestDatabase, url: String) -> (ServiceHarness, PostgresPool) {
        var config = WorkerConfiguration(queues: ["default": 8])
        config.pollInterval = 0.2
        config.lease = 3
        let pool = PostgresPool(url: url, maxConnections: 4)
        let worker = ReelQueue.Worker(pool: pool, handlers: ReelHandlers.all(demo: true), configuration: config, logger: .test)
        return (ServiceHarness([worker]), pool)
    }

    @Test func aWorkerStartedWhileTheDatabaseIsDownCatchesUp() async throws {
        try await TestDatabase.withFresh { db in
            let proxy = try TCPProxy(targetPort: try #require(db.port))
            proxy.pause()
            let (harness, pool) = worker(db, url: db.url(throughPort: proxy.port))
            try await db.queue.enqueueMany((0..<50).map { _ in JobRequest(kind: "noop") })
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await db.count("state = 'completed'") == 0)
            proxy.resume()
            try await eventually { try await db.count("state = 'completed'") == 50 }
            try await harness.stop()
            await pool.close()
            proxy.stop()
        }
    }

    @Test func jobsSurviveTheDatabaseDroppingEveryConnectionUnderLoad() async throws {
        try await TestDatabase.withFresh { db in
            let proxy = try TCPProxy(targetPort: try #require(db.port))
            let (harness, pool) = worker(db, url: db.url(throughPort: proxy.port))
            let scheduler = startScheduler(db)
            try await db.queue.enqueueMany((0..<400).map { _ in JobRequest(kind: "sleep", args: #"{"ms": 5}"#) })
            for _ in 0..<2 {
                let before = try await db.count("state = 'completed'")
                try await eventually { try await db.count("state = 'completed'") > before + 50 }
                proxy.pause()
                try await Task.sleep(for: .milliseconds(700))
                proxy.resume()
            }
            try await eventually("all 400 jobs to complete") { try await db.count("state = 'completed'") == 400 }
            try await harness.stop()
            try await scheduler.stop()
            await pool.close()
            proxy.stop()
            // (Only this test's jobs: the scheduler may enqueue the periodic objects.scrub too.)
            #expect(try await db.count("kind = 'sleep'") == 400)
            #expect(try await db.count("kind = 'sleep' AND state <> 'completed'") == 0)
        }
    }
}
