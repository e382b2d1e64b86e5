import Foundation
import Testing
import ReelPostgres
import ReelQueue
import ReelTesting

/// The operator CLI, run as a binary, compared by output (like
/// swift-argument-parser's example tests).
@Suite struct OperatorCLITests {
    func reel(_ args: String..., db: TestDatabase) async throws -> (status: Int32, output: String) {
        try await ReelProcess.run(args, databaseURL: db.url)
    }

    @Test func submitShowRetryAndCancel() async throws {
        try await TestDatabase.withFresh { db in
            let submitted = try await reel("submit", "fail", "--args", #"{"permanent": true, "message": "bad input"}"#, "--json", db: db)
            #expect(submitted.status == 0)
            let result = try JSONDecoder().decode(EnqueueResult.self, from: Data(submitted.output.utf8))
            #expect(result.inserted && result.state == .available)
            let worker = try ReelProcess(["worker", "--demo-handlers"], databaseURL: db.url)
            try await eventually { try await JobQueue(pool: db.pool).job(result.id)?.state == .discarded }
            worker.signal(SIGTERM)
            try await worker.waitForExit()

            let shown = try await reel("jobs", "show", "\(result.id)", db: db)
            #expect(shown.output.contains("discarded"))
            #expect(shown.output.contains("attempt 1 at"))
            #expect(shown.output.contains("[permanent]: bad input"))

            let listed = try await reel("jobs", "--state", "discarded", "--json", db: db)
            let jobs = try JSONDecoder.iso.decode([Job].self, from: Data(listed.output.utf8))
            #expect(jobs.map(\.id) == [result.id])

            let retried = try await reel("jobs", "retry", "--state", "discarded", "--kind", "fail", db: db)
            #expect(retried.output.contains("retried 1 job"))
            #expect(try await JobQueue(pool: db.pool).job(result.id)?.state == .available)
            let cancelled = try await reel("jobs", "cancel", "\(result.id)", "--reason", "no longer needed", db: db)
            #expect(cancelled.status == 0)
            #expect(try await JobQueue(pool: db.pool).job(result.id)?.cancelReason == "no longer needed")
        }
    }

    @Test func badInputGetsAClearErrorAndAFailingStatus() async throws {
        try await TestDatabase.withFresh { db in
            let badJSON = try await reel("submit", "noop", "--args", "{oops", db: db)
            #expect(badJSON.status != 0)
            #expect(badJSON.output.contains("args is not valid JSON"))
            let unknown = try await reel("submit", "transcode-v9", db: db)
            #expect(unknown.status != 0)
            #expect(unknown.output.contains("unknown job kind 'transcode-v9'; known kinds:"))
            let missing = try await reel("jobs", "show", "424242", db: db)
            #expect(missing.status != 0)
            #expect(missing.output.contains("no job with id 424242"))
            let badState = try await reel("jobs", "--state", "exploded", db: db)
            #expect(badState.output.contains("unknown state 'exploded'"))
            let downDB = try await ReelProcess.run(["jobs"], databaseURL: "postgresql://reel@127.0.0.1:1/reel")
            #expect(downDB.status != 0)
            #expect(downDB.output.contains("cannot connect to PostgreSQL"))
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs") == 0)
        }
    }

    @Test func queuesReportsAndMigrations() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await reel("submit", "noop", "--queue", "ingest", db: db)
            _ = try await reel("submit", "noop", "--queue", "ingest", "--after", "1", db: db)
            let set = try await reel("queues", "set", "transcode", "--global-limit", "2", "--rate", "5", db: db)
            #expect(set.status == 0)
            let queues = try await reel("queues", "--json", db: db)
            let rows = try JSONSerialization.jsonObject(with: Data(queues.output.utf8)) as? [[String: Any]] ?? []
            let ingest = rows.first { $0["queue"] as? String == "ingest" }
            #expect(ingest?["available"] as? Int == 1)
            #expect(ingest?["pending"] as? Int == 1)
            #expect(rows.first { $0["queue"] as? String == "transcode" }?["global_limit"] as? Int == 2)

            let reports = try await reel("report", db: db)
            for name in ["queues", "jobs_by_state", "failure_rate", "time_in_queue", "slowest_kinds", "recent_failures"] {
                #expect(reports.output.contains(name))
            }
            let byState = try await reel("report", "jobs_by_state", db: db)
            #expect(byState.output.contains("pending"))
            let unknown = try await reel("report", "nope", db: db)
            #expect(unknown.status != 0)

            let again = try await reel("migrate", db: db)
            #expect(again.output.contains("database is up to date"))
            let status = try await reel("migrate", "--status", db: db)
            #expect(status.output.contains("0001_jobs") && !status.output.contains("pending"))
        }
    }

    @Test func periodicJobsFromTheCLI() async throws {
        try await TestDatabase.withFresh { db in
            let bad = try await reel("periodic", "set", "x", "--cron", "99 * * * *", "--kind", "noop", db: db)
            #expect(bad.status != 0)
            #expect(bad.output.contains("minute"))
            let ok = try await reel("periodic", "set", "tick", "--cron", "* * * * * *", "--kind", "noop", db: db)
            #expect(ok.status == 0)
            let scheduler = try ReelProcess(["scheduler", "--interval", "0.2"], databaseURL: db.url)
            try await eventually { try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs") ?? 0 >= 1 }
            scheduler.signal(SIGTERM)
            #expect(try await scheduler.waitForExit() == 0)
            let list = try await reel("periodic", db: db)
            #expect(list.output.contains("tick"))
        }
    }
}

@Suite struct IngestCLITests {
    @Test func ingestAndAWorkerProcessMakeAPlayableFolder() async throws {
        try await TestDatabase.withFresh { db in
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-cli-\(UUID().uuidString)")
            let ingest = try await ReelProcess.run(
                ["ingest", try await TestClips.path("rotated.mp4"), "--output-dir", output.path, "--video", "cli-1", "--json"], databaseURL: db.url)
            #expect(ingest.status == 0, "\(ingest.output)")
            let worker = try ReelProcess(["worker", "--queues", "media=1"], databaseURL: db.url)
            try await eventually(timeout: 120, "the package job to complete") {
                try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE kind = 'package'") == "completed"
            }
            worker.signal(SIGTERM)
            #expect(try await worker.waitForExit() == 0)
            let master = try String(contentsOf: output.appendingPathComponent("master.m3u8"), encoding: .utf8)
            #expect(master.contains("RESOLUTION=360x640"))
        }
    }
}

@Suite struct ProbeCLITests {
    @Test func probeShowsTheFileAndItsLadderOrSaysWhatIsWrong() async throws {
        let good = try await ReelProcess.run(["probe", try await TestClips.path("vertical.mp4"), "--json"], databaseURL: "")
        #expect(good.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(good.output.utf8)) as? [String: Any]
        let ladder = object?["ladder"] as? [[String: Any]] ?? []
        #expect(ladder.compactMap { $0["name"] as? String } == ["1080p", "720p", "480p", "360p"])
        let bad = try await ReelProcess.run(["probe", try await TestClips.path("not-a-video.mp4")], databaseURL: "")
        #expect(bad.status != 0)
        #expect(bad.output.contains("not a readable media file"))
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
