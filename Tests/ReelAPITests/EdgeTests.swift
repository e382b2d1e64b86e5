import Foundation
import ReelPipeline
import ReelCatalog
import ReelEdge
import ReelPostgres
import ReelQueue
import ReelWorkers
import ReelTesting
import Testing

/// Real Varnish edges (Debian's varnishd) in front of a real API, with the
/// VCL `reel edge-config` writes: warming on publish makes a first viewer's
/// requests hits, many concurrent requests for one cold object make one
/// origin fetch, a deleted video is purged, and an edge that is down is
/// retried, reported, and left out of playback URLs.
@Suite struct EdgeTests {
    static let token = APIHarness.edgeToken
    let auth = [("Authorization", "Bearer edge-test-admin")]

    func edgeVCL(_ name: String, origin: String) throws -> String {
        try EdgeVCL(edge: name, origin: try #require(URL(string: origin)), token: Self.token).render()
    }

    /// Two rungs (480p, 360p) of four 2 s segments, so the fourth segment of each is never warmed.
    func clip(_ name: String) async throws -> String { try await APIHarness.eightSecondClip(name) }

    func warmings(_ db: TestDatabase, video: String, reason: String) async throws -> [(edge: String, state: String, objects: Int, error: String?)] {
        try await db.pool.query(
            "SELECT edge, state, objects, error FROM edge_warmings WHERE video_id = $1 AND reason = $2 ORDER BY id", [video, reason]
        ).map { ($0.string(0) ?? "", $0.string(1) ?? "", $0.int(2) ?? 0, $0.string(3)) }
    }

    @Test func warmedObjectsAreHitsColdOnesCollapseAndADeletedVideoIsPurged() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: "edge-test-admin")
            let edge = try await VarnishEdge(name: "eu-1", vcl: try edgeVCL("eu-1", origin: api.base))
            try await EdgeDirectory(pool: db.pool).save(
                Edge(name: "eu-1", region: "eu", url: edge.url, statsWorkdir: edge.workdir.path))

            let id = try await api.upload(try await clip("edge-warm"))
            try await eventually(timeout: 120, "the video to be ready and warmed") {
                guard try await api.status(id) == "ready" else { return false }
                return try await warmings(db, video: id, reason: "ready").contains { $0.state == "done" }
            }
            // (A warming some objects of which met a busy edge or origin is recorded as failed and retried.)
            try await eventually(timeout: 60, "the playable warming too") {
                try await warmings(db, video: id, reason: "playable").contains { $0.state == "done" }
            }

            // A first viewer: every warmed object is a hit.
            let playback = try #require(try await api.catalog.playback(id))
            let warmed = WarmPlan.paths(playback, firstSegments: 3)
            let expected = 1 + 3 * 5 + 2 * 5
            #expect(warmed.count == expected,
                    "the poster, per rendition (audio, 360p, 480p) and per HLS variant with audio (360p.av, 480p.av): playlist, init, 3 segments")
            let variant = "/v1/videos/\(id)/360p.av/"
            #expect(warmed.contains(variant + "2.m4s") && !warmed.contains(variant + "3.m4s"))
            let history = try await warmings(db, video: id, reason: "ready") + (try await warmings(db, video: id, reason: "playable"))
            for path in warmed {
                let reply = try await APIHarness.request(edge.url, "GET", path)
                #expect(reply.status == 200 && reply.headers["x-cache-status"] == "HIT",
                        "\(path): \(reply.status) \(reply.headers["x-cache-status"] ?? "-"); warmings: \(history)")
                #expect(reply.headers["x-reel-edge"] == "eu-1")
            }
            // Master playlists are cached for a few seconds, and plays are counted from the edge's
            // log by its agent: three viewers, one origin fetch, three plays.
            let agent = try ReelProcess(["edge-agent", "--edge", "eu-1", "--workdir", edge.workdir.path, "--flush-interval", "0.2",
                                         "--metrics-port", "0"], databaseURL: db.url)
            var agentMetrics = ""
            try await eventually(timeout: 30, "the edge agent to start") {
                guard agent.log.contains("counting the plays"), let range = agent.log.range(of: "metrics on ") else { return false }
                agentMetrics = String(agent.log[range.upperBound...].prefix { !$0.isWhitespace })
                return true
            }
            try await Task.sleep(for: .milliseconds(500))
            let masterFetches = try await edge.counter("MAIN.backend_req")
            var masterCaches: [String] = []
            for _ in 0..<3 {
                let master = try await APIHarness.request(edge.url, "GET", "/v1/videos/\(id)/master.m3u8")
                #expect(master.status == 200 && master.body.starts(with: Data("#EXTM3U".utf8)))
                masterCaches.append(master.headers["x-cache-status"] ?? "-")
            }
            #expect(masterCaches == ["MISS", "HIT", "HIT"])
            #expect(try await edge.counter("MAIN.backend_req") - masterFetches == 1)
            try await eventually(timeout: 30, "the edge's three plays to be counted") {
                try await db.pool.query("SELECT sum(plays)::int FROM video_plays WHERE video_id = $1", [id]).first?.int(0) == 3
            }

            // 50 concurrent viewers of a segment nobody warmed: one origin fetch.
            let cold = "/v1/videos/\(id)/480p/3.m4s"
            let fetchesBefore = try await edge.counter("MAIN.backend_req")
            let replies = try await withThrowingTaskGroup(of: APIHarness.Reply.self) { group in
                for _ in 0..<50 { group.addTask { try await APIHarness.request(edge.url, "GET", cold) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let fetchesAfter = try await edge.counter("MAIN.backend_req")
            #expect(replies.allSatisfy { $0.status == 200 } && Set(replies.map(\.body)).count == 1)
            #expect(fetchesAfter - fetchesBefore == 1, "50 concurrent requests made \(fetchesAfter - fetchesBefore) origin fetches")
            let origin = try await api.request("GET", cold)
            #expect(replies.first?.body == origin.body)

            // Byte ranges come from the cached object.
            let range = try await APIHarness.request(edge.url, "GET", cold, headers: [("Range", "bytes=0-99")])
            #expect(range.status == 206 && range.body.count == 100 && range.body == origin.body.prefix(100))

            // Popularity: the plays counted (the masters fetched above, through the edge) put the video in
            // the top K, and the popular warming fetches every segment, even those nobody asked for.
            _ = try await JobQueue(pool: db.pool).enqueue(
                JobRequest(kind: "edge.popular", args: #"{"top": 5, "minutes": 60}"#, queue: ReelJobs.Queue.edges))
            try await eventually(timeout: 60, "the popular warming") {
                try await warmings(db, video: id, reason: "popular").first?.state == "done"
            }
            let unwatched = try await APIHarness.request(edge.url, "GET", "/v1/videos/\(id)/360p/3.m4s")
            #expect(unwatched.status == 200 && unwatched.headers["x-cache-status"] == "HIT")

            #expect(try await db.pool.query("SELECT rank FROM edge_popular WHERE edge = 'eu-1' AND video_id = $1", [id]).first?.int(0) == 1)

            // Admission: once a video is older than an hour and another fills the edge's popular set,
            // the origin tells the edge not to keep it, and the edge passes it on (a MISS every time).
            try await db.pool.query(
                "UPDATE videos SET playable_at = now() - interval '2 hours', ready_at = now() - interval '2 hours' WHERE id = $1", [id])
            await api.catalog.invalidate(id)
            try await db.pool.query("UPDATE edge_popular SET video_id = 'SomeOtherVideo1' WHERE edge = 'eu-1'")
            try await eventually(timeout: 20, "the origin to stop admitting the video into eu-1") {
                try await api.request("GET", "/v1/videos/\(id)/360p/2.m4s", headers: [("X-Reel-Edge", "eu-1")]).headers["x-reel-edge-admit"] == "no"
            }
            #expect(try await api.request("GET", "/v1/videos/\(id)/360p/2.m4s").headers["x-reel-edge-admit"] == nil, "viewers never see it")
            let purged = try await APIHarness.request(edge.url, "PURGE", "/v1/videos/\(id)/360p/2.m4s", headers: [("X-Reel-Edge-Token", Self.token)])
            #expect(purged.status == 200)
            for _ in 0..<2 {
                let passed = try await APIHarness.request(edge.url, "GET", "/v1/videos/\(id)/360p/2.m4s")
                #expect(passed.status == 200 && passed.headers["x-cache-status"] == "MISS" && passed.headers["x-reel-edge-admit"] == nil)
            }

            // PURGE and BAN are Reel's alone.
            let forged = try await APIHarness.request(edge.url, "BAN", "/v1/videos/\(id)", headers: [("X-Reel-Edge-Token", "not-the-token-at-all")])
            #expect(forged.status == 403)

            // Counters reach the catalog and `reel edges`.
            _ = try await JobQueue(pool: db.pool).enqueue(JobRequest(kind: "edge.stats", args: "{}", queue: ReelJobs.Queue.edges))
            try await eventually(timeout: 30, "edge counters to be recorded") {
                try await db.pool.query("SELECT hit_ratio FROM edge_report WHERE edge = 'eu-1' AND hits > 0").count == 1
            }
            // The edge's counters are exported once, by its agent, not by every API.
            try await eventually(timeout: 30, "the agent to export the edge's counters") {
                let exported = try await APIHarness.request(agentMetrics, "GET", "").text
                return PrometheusText.value(exported, "reel_edge_up", ["edge": "eu-1"]) == 1
                    && PrometheusText.value(exported, "reel_edge_cache_hits_total", ["edge": "eu-1"]) > 0
            }
            #expect(!(try await api.request("GET", "/metrics").text.contains("reel_edge_")))

            // Deleting the video purges it: its objects are misses, and the origin says 404.
            let segment = "/v1/videos/\(id)/360p/0.m4s"
            #expect(try await APIHarness.request(edge.url, "GET", segment).headers["x-cache-status"] == "HIT")
            #expect(try await api.request("DELETE", "/v1/admin/videos/\(id)", headers: auth).status == 200)
            try await eventually(timeout: 30, "the purge job to complete") {
                try await db.pool.query(
                    "SELECT 1 FROM reel_jobs WHERE kind = 'edge.purge' AND state = 'completed' AND args->>'video' = $1", [id]).count == 1
            }
            // A second BAN follows a minute later, for what a region reading a standby cached meanwhile.
            #expect(try await db.pool.query("""
                SELECT 1 FROM reel_jobs WHERE kind = 'edge.purge' AND state = 'scheduled' AND args->>'video' = $1
                  AND args->>'reason' = 'deleted-again' AND run_at > now() + interval '30 seconds'
                """, [id]).count == 1)
            let after = try await APIHarness.request(edge.url, "GET", segment)
            #expect(after.status == 404 && after.headers["x-cache-status"] == "MISS", "\(after.status) \(after.headers["x-cache-status"] ?? "-")")
            agent.signal(SIGTERM)
            #expect(try await agent.waitForExit() == 0, "\(agent.log)")
            await edge.stop()
            try await api.stop()
        }
    }

    @Test func anEdgeThatIsDownIsRetriedReportedAndLeftOutOfPlaybackURLs() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let up = try await VarnishEdge(name: "us-1", vcl: try edgeVCL("us-1", origin: api.base))
            let down = try await VarnishEdge(name: "eu-2", vcl: try edgeVCL("eu-2", origin: api.base))
            await down.stop()
            let directory = EdgeDirectory(pool: db.pool)
            try await directory.save(Edge(name: "us-1", region: "us", url: up.url))
            try await directory.save(Edge(name: "eu-2", region: "eu", url: down.url))

            let id = try await api.upload(try await clip("edge-down"))
            try await eventually(timeout: 120, "the video to be ready and warmed on the edge that is up") {
                guard try await api.status(id) == "ready" else { return false }
                return try await warmings(db, video: id, reason: "ready").contains { $0.edge == "us-1" && $0.state == "done" }
            }
            // The edge that is down: its warm job failed, says why, and is retried.
            try await eventually(timeout: 60, "the warm job of the edge that is down to be retried") {
                try await db.pool.query(
                    """
                    SELECT 1 FROM reel_jobs WHERE kind = 'edge.warm' AND args->>'edge' = 'eu-2' AND args->>'video' = $1
                      AND (attempt >= 2 OR state IN ('retryable', 'scheduled')) AND jsonb_array_length(errors) >= 1
                    """, [id]).count >= 1
            }
            let failed = try await warmings(db, video: id, reason: "playable") + (try await warmings(db, video: id, reason: "ready"))
            #expect(failed.contains { $0.edge == "eu-2" && $0.state == "failed" && ($0.error ?? "").contains("cannot be reached") })
            #expect(try await directory.named("eu-2")?.healthy == false)

            // Playback URLs: the healthy edge for its region, the origin for the region whose edge is down.
            try await eventually(timeout: 10, "the API to see both edges") {
                let us = try await api.request("GET", "/v1/videos/\(id)?region=us").json()
                return (us["edge"] as? [String: Any])?["name"] as? String == "us-1"
            }
            let us = try await api.request("GET", "/v1/videos/\(id)", headers: [("X-Reel-Region", "us")]).json()
            let usEdge = try #require(us["edge"] as? [String: Any])
            #expect(usEdge["hls"] as? String == "\(up.url)/v1/videos/\(id)/master.m3u8")
            let eu = try await api.request("GET", "/v1/videos/\(id)?region=eu").json()
            #expect(eu["edge"] == nil || eu["edge"] is NSNull, "the edge that is down is not offered")
            #expect((eu["urls"] as? [String: Any])?["hls"] as? String == "/v1/videos/\(id)/master.m3u8")
            await up.stop()
            try await api.stop()
        }
    }

    @Test func anEdgeThatDiesIsLeftOutWithinSecondsByTheAPIsOwnHealthCheck() async throws {
        try await TestDatabase.withFresh { db in
            // No worker: nothing but the API's own check can notice the edge is gone.
            let api = try await APIHarness.start(db, worker: false)
            let edge = try await VarnishEdge(name: "ap-1", vcl: try edgeVCL("ap-1", origin: api.base))
            try await EdgeDirectory(pool: db.pool).save(Edge(name: "ap-1", region: "ap", url: edge.url))
            let id = "chaosedge001"
            try await db.pool.query(
                "INSERT INTO videos (id, home_region, source_digest, source_size) VALUES ($1, 'near', repeat('a', 64), 1)", [id])
            func offered() async throws -> Bool {
                let metadata = try await api.request("GET", "/v1/videos/\(id)?region=ap").json()
                return (metadata["edge"] as? [String: Any])?["name"] as? String == "ap-1"
            }
            try await eventually(timeout: 15, "the API to offer the edge") { try await offered() }
            await edge.stop()
            try await eventually(timeout: 15, "the API to stop offering the dead edge") { try await !offered() }
            #expect(try await EdgeDirectory(pool: db.pool).named("ap-1")?.healthy == true, "the catalog was not told: the API saw it itself")
            try await api.stop()
        }
    }
}
