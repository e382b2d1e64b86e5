import Foundation
import ReelPostgres
import ReelTesting
import Testing

/// docs/sql-cookbook.md: each of its ten queries runs against the rows of
/// Fixtures/cookbook-seed.sql in a fresh schema and gives the answer those
/// rows call for: the right rows in the right order, and none of the rows
/// the question must leave out (another tenant, yesterday, another state).
@Suite struct SQLCookbookTests {
    /// One fenced `sql` block of the cookbook and the `## N.` section it is in.
    struct Block: Sendable {
        let section: Int
        let sql: String
    }

    /// A query's rows as PostgreSQL's text (nil for NULL), by column name.
    struct Answer: Sendable, CustomStringConvertible {
        let columns: [String]
        let rows: [[String?]]

        init(_ result: PostgresResult) {
            columns = result.columns
            rows = result.map { row in (0..<row.columnCount).map { row[$0] } }
        }

        /// Every row's value of one column, top to bottom.
        func column(_ name: String) -> [String?] {
            guard let index = columns.firstIndex(of: name) else {
                Issue.record("no column '\(name)' in \(columns)")
                return []
            }
            return rows.map { $0[index] }
        }

        func numbers(_ name: String) -> [Double?] {
            column(name).map { text in text.flatMap { Double($0) } }
        }

        var description: String {
            ([columns.joined(separator: " | ")] + rows.map { row in row.map { $0 ?? "NULL" }.joined(separator: " | ") })
                .joined(separator: "\n")
        }
    }

    static let cookbookFile = PackagePaths.root.appendingPathComponent("docs/sql-cookbook.md")
    static let seedFile = PackagePaths.root.appendingPathComponent("Tests/ReelCLITests/Fixtures/cookbook-seed.sql")

    /// The fenced `sql` blocks of the cookbook, in order, with their sections.
    static func blocks() throws -> [Block] {
        let text = try String(contentsOf: cookbookFile, encoding: .utf8)
        var blocks: [Block] = []
        var section = 0
        var inside: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if var lines = inside {
                if line == "```" {
                    blocks.append(Block(section: section, sql: lines.joined(separator: "\n")))
                    inside = nil
                } else {
                    lines.append(String(line))
                    inside = lines
                }
            } else if line == "```sql" {
                inside = []
            } else if line.hasPrefix("## "), let dot = line.firstIndex(of: "."),
                let number = Int(line[line.index(line.startIndex, offsetBy: 3)..<dot]) {
                section = number
            }
        }
        return blocks
    }

    /// Equal within `tolerance`, NULL only where NULL is expected.
    func near(_ actual: [Double?], _ expected: [Double?], within tolerance: Double = 0.0001) -> Bool {
        guard actual.count == expected.count else { return false }
        return zip(actual, expected).allSatisfy { pair in
            switch pair {
            case (nil, nil): return true
            case (let a?, let e?): return abs(a - e) <= tolerance
            default: return false
            }
        }
    }

    @Test func tenQuestionsAnswerTheFixture() async throws {
        let blocks = try Self.blocks()
        try #require(blocks.count == 10, "docs/sql-cookbook.md must hold exactly ten ```sql blocks, not \(blocks.count)")
        #expect(blocks.map(\.section) == Array(1...10), "one ```sql block under each of the headings ## 1. to ## 10.")
        let seed = try String(contentsOf: Self.seedFile, encoding: .utf8)

        try await TestDatabase.withFresh { db in
            // One connection for the seed and every query: the seed sets the session's
            // time zone so that "today" began 12 to 13 hours ago, at any hour of the real day.
            let answers: [Answer] = try await db.pool.withConnection { conn in
                try await conn.execute(seed)
                var answers: [Answer] = []
                for block in blocks {
                    do {
                        let result = try await conn.query(block.sql)
                        answers.append(Answer(result))
                    } catch {
                        Issue.record("question \(block.section) failed: \(error)")
                        throw error
                    }
                }
                return answers
            }
            try #require(answers.count == 10)

            // 1. acme's failed uploads today, newest first: not acmeOld03 (yesterday), not
            // globexFail04 (globex), not the cancelled steps after a failure.
            let failed = answers[0]
            #expect(failed.column("video_id") == ["acmeStuck02", "acmeFail01"], "\(failed)")
            #expect(failed.column("failed_step") == ["video.transcode", "video.ingest"], "\(failed)")
            #expect(failed.column("job_id") == ["105", "101"], "\(failed)")
            #expect(failed.column("attempts") == ["5", "1"], "\(failed)")
            #expect(failed.column("status") == ["processing", "failed"], "\(failed)")
            #expect(failed.column("reason") == [
                "region us-east: 503 Slow Down (store unavailable)", "not a video: the upload has no video stream",
            ], "\(failed)")

            // 2. Replication of the three videos ready within the hour (not acmeReady08, 3 h ago):
            // eu-west has them all (lags 8, 12, 20 s); ap-south has acmeReady06 only (40 s),
            // acmeReady07 lacks two objects and globexReady11 everything, the oldest for 48 minutes.
            let replication = answers[1]
            #expect(replication.column("region") == ["ap-south", "eu-west"], "\(replication)")
            #expect(replication.column("videos") == ["3", "3"], "\(replication)")
            #expect(replication.column("replicated") == ["1", "3"], "\(replication)")
            #expect(replication.column("behind") == ["2", "0"], "\(replication)")
            #expect(near(replication.numbers("p50_lag_s"), [40, 12]), "\(replication)")
            #expect(near(replication.numbers("p95_lag_s"), [40, 19.2]), "\(replication)")
            #expect(near(replication.numbers("max_lag_s"), [40, 20]), "\(replication)")
            let behind = replication.numbers("oldest_behind_s")
            try #require(behind.count == 2, "\(replication)")
            #expect((2880.0...2940.0).contains(behind[0] ?? 0), "\(replication)")
            #expect(behind[1] == nil, "\(replication)")

            // 3. Time to playable of today's uploads: acme 4, 6, 8 and 40 s (not acmeOld10's
            // 100 s, uploaded 30 hours ago), globex 3 and 5 s; initech has nothing playable.
            let playable = answers[2]
            #expect(playable.column("tenant") == ["acme", "globex"], "\(playable)")
            #expect(playable.column("playable_videos") == ["4", "2"], "\(playable)")
            #expect(near(playable.numbers("p50_to_playable_s"), [7, 4]), "\(playable)")
            #expect(near(playable.numbers("p95_to_playable_s"), [35.2, 4.9]), "\(playable)")
            #expect(near(playable.numbers("p95_to_ready_s"), [117, 49]), "\(playable)")

            // 4. Queue waits of the hour: retries waiting again (116, 143, 145) are not starts,
            // jobs started hours ago are not counted; 110 and 145 are waiting now.
            let waits = answers[3]
            #expect(waits.column("queue") == ["replication", "media", "edges"], "\(waits)")
            #expect(waits.column("started") == ["4", "8", "10"], "\(waits)")
            #expect(near(waits.numbers("p50_wait_ms"), [350, 1250, 150], within: 1), "\(waits)")
            #expect(near(waits.numbers("p95_wait_ms"), [4310, 3650, 775], within: 1), "\(waits)")
            #expect(near(waits.numbers("max_wait_ms"), [5000, 4000, 1000], within: 1), "\(waits)")
            #expect(waits.column("waiting_now") == ["1", "1", "0"], "\(waits)")
            let oldest = waits.numbers("oldest_waiting_s")
            try #require(oldest.count == 3, "\(waits)")
            #expect((60.0...90.0).contains(oldest[0] ?? 0), "\(waits)")
            #expect((1500.0...1530.0).contains(oldest[1] ?? 0), "\(waits)")
            #expect(oldest[2] == nil, "\(waits)")

            // 5. The dead worker's two jobs, lease expired 2 minutes and 30 seconds ago; not
            // 115, whose lease is still good; and no scheduler is leading.
            let expired = answers[4]
            #expect(expired.column("id") == ["113", "130"], "\(expired)")
            #expect(expired.column("kind") == ["video.transcode", "edge.warm"], "\(expired)")
            #expect(expired.column("video_id") == ["initechStuck14", "acmeReady09"], "\(expired)")
            #expect(expired.column("worker") == ["media-2:4242:k3j9x", "media-2:4242:k3j9x"], "\(expired)")
            #expect(expired.column("live_scheduler") == [nil, nil], "\(expired)")
            let ago = expired.numbers("lease_expired_s_ago")
            try #require(ago.count == 2, "\(expired)")
            #expect((120.0...150.0).contains(ago[0] ?? 0), "\(expired)")
            #expect((30.0...60.0).contains(ago[1] ?? 0), "\(expired)")

            // 6. Storage: the deleted acmeGone05 (90 MB in two regions) is not acme's any more.
            let storage = answers[5]
            #expect(storage.column("tenant") == ["acme", "globex", "initech"], "\(storage)")
            #expect(storage.column("videos") == ["8", "4", "3"], "\(storage)")
            #expect(storage.column("objects") == ["30", "14", "3"], "\(storage)")
            #expect(storage.column("bytes") == ["154005000", "124002000", "24000000"], "\(storage)")
            #expect(storage.column("stored_bytes") == ["372013000", "301505000", "24000000"], "\(storage)")

            // 7. Most played in the hour: not acmeGone05 (deleted), not globexReady12 (played
            // 2 hours ago), not acmeOld10's plays 90 minutes ago; only enabled edges (not aps-1).
            let played = answers[6]
            #expect(played.column("video_id") == ["acmeReady06", "globexReady11", "acmeOld10", "acmeReady08"], "\(played)")
            #expect(played.column("tenant") == ["acme", "globex", "acme", "acme"], "\(played)")
            #expect(played.column("plays") == ["500", "400", "250", "100"], "\(played)")
            #expect(played.column("warmed_on") == ["euw-1, use-1", "use-1", "use-1", ""], "\(played)")
            #expect(played.column("not_warmed_on") == ["", "euw-1", "euw-1", "euw-1, use-1"], "\(played)")
            #expect(played.column("kept_by") == ["euw-1, use-1", "use-1", "use-1", ""], "\(played)")

            // 8. Hit ratio of the hour, worst first: euw-1 across its restart (1300 hits, 1200
            // misses), use-1 from its first snapshot in the hour (7000, 1000), not the one
            // 90 minutes old; aps-1 is disabled.
            let edges = answers[7]
            #expect(edges.column("edge") == ["euw-1", "use-1"], "\(edges)")
            #expect(edges.column("hits") == ["1300", "7000"], "\(edges)")
            #expect(edges.column("misses") == ["1200", "1000"], "\(edges)")
            #expect(near(edges.numbers("hit_ratio"), [0.52, 0.875]), "\(edges)")
            #expect(near(edges.numbers("origin_offload"), [0.4615, 0.9]), "\(edges)")
            #expect(near(edges.numbers("hit_ratio_since_start"), [0.52, 0.7826]), "\(edges)")

            // 9. Not playable after 10 minutes, oldest upload first, each with the step holding
            // it up: not globexNew15 (3 minutes old), acmeReady09 (playable) or failed videos.
            let stuck = answers[8]
            #expect(stuck.column("video_id") == ["acmeStuck02", "initechStuck16", "initechStuck13", "initechStuck14"], "\(stuck)")
            #expect(stuck.column("waiting_on") == ["video.transcode", "video.transcode", "video.ingest", "video.transcode"], "\(stuck)")
            #expect(stuck.column("job_id") == ["105", "116", "110", "113"], "\(stuck)")
            #expect(stuck.column("job_state") == ["discarded", "retryable", "available", "running"], "\(stuck)")
            #expect(stuck.column("last_error") == [
                "region us-east: 503 Slow Down (store unavailable)", "scratch disk full: 0 bytes free in /var/lib/reel/scratch", nil, nil,
            ], "\(stuck)")

            // 10. Retry churn over 24 hours: not acmeOld10's replication 29 hours ago (20 attempts),
            // not cancelled, running or retrying jobs.
            let churn = answers[9]
            #expect(churn.column("kind") == [
                "edge.purge", "video.transcode", "edge.warm", "video.ingest", "replicate", "edge.popular", "edge.stats", "gc",
            ], "\(churn)")
            #expect(churn.column("completed") == ["2", "3", "5", "5", "8", "1", "1", "1"], "\(churn)")
            #expect(churn.column("discarded") == ["1", "2", "1", "2", "0", "0", "0", "0"], "\(churn)")
            #expect(churn.column("attempts") == ["27", "9", "11", "7", "11", "1", "1", "1"], "\(churn)")
            #expect(churn.column("attempts_per_completed") == ["13.50", "3.00", "2.20", "1.40", "1.38", "1.00", "1.00", "1.00"], "\(churn)")
            #expect(churn.column("completed_after_retry") == ["0", "0", "1", "0", "1", "0", "0", "0"], "\(churn)")
        }
    }
}
