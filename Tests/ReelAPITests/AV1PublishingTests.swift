import Foundation
import ReelAPI
import ReelCatalog
import ReelEdge
import ReelManifests
import ReelPipeline
import ReelPostgres
import ReelQueue
import ReelTesting
import ReelWorkers
import ReelStore
import Testing

extension ExclusiveSuites {
    /// AV1 for what people watch: a ready video whose plays cross the threshold
    /// of `av1.select` gets AV1 renditions beside its H.264 ones, listed in
    /// the same HLS master and MPD, stored, replicated, warmed and collected like any other;
    /// an AV1 encode that cannot finish records why and leaves H.264 playing.
    /// Exclusive: three browser runs and a GStreamer run, which a loaded machine slows past their players' timeouts.
    @Suite struct AV1PublishingTests {
        let auth = [("Authorization", "Bearer av1-admin")]

        /// Two rungs (480p, 360p) of four 2 s segments.
        func clip(_ name: String) async throws -> String { try await APIHarness.eightSecondClip(name) }

        func record(_ api: APIHarness, _ id: String) async throws -> AV1Record? {
            try await api.catalog.av1Record(ofVideo: id).map { try JSONDecoder().decode(AV1Record.self, from: $0) }
        }

        /// Runs one selection and waits for it to finish.
        func select(_ db: TestDatabase, plays: Int) async throws {
            let job = try await JobQueue(pool: db.pool).enqueue(
                JobRequest(kind: ReelJobs.av1Select.name, args: #"{"plays": \#(plays), "minutes": 60}"#, queue: ReelJobs.Queue.reencode))
            try await eventually(timeout: 60, "the selection to run") {
                try await db.pool.query("SELECT state::text FROM reel_jobs WHERE id = $1", [job.id]).first?.string(0) == "completed"
            }
        }

        func plays(_ db: TestDatabase, _ id: String) async throws -> Int {
            try await db.pool.query("SELECT coalesce(sum(plays), 0)::int FROM video_plays WHERE video_id = $1", [id]).first?.int(0) ?? 0
        }

        func av1Jobs(_ db: TestDatabase, _ id: String) async throws -> Int {
            try await db.pool.query("SELECT count(*)::int FROM reel_jobs WHERE kind = 'av1.encode' AND args->>'video' = $1", [id]).first?.int(0) ?? 0
        }

        @Test func aVideoPastThePlayThresholdGetsAV1BesideH264() async throws {
            try await TestDatabase.withFresh { db in
                let api = try await APIHarness.start(db, adminToken: "av1-admin")
                let edge = try await VarnishEdge(
                    name: "av1-1", vcl: try EdgeVCL(edge: "av1-1", origin: try #require(URL(string: api.base)), token: APIHarness.edgeToken).render())
                try await EdgeDirectory(pool: db.pool).save(Edge(name: "av1-1", region: "eu", url: edge.url, statsWorkdir: edge.workdir.path))
                let id = try await api.upload(try await clip("av1-popular"))
                try await eventually(timeout: 120, "the video to be ready") { try await api.status(id) == "ready" }
                // A viewer's master playlist is a play.
                let h264Master = try await api.request("GET", "/v1/videos/\(id)/master.m3u8").text
                try await eventually(timeout: 30, "the play to be counted") { try await plays(db, id) == 1 }

                // Below the threshold: nothing is chosen.
                try await api.catalog.addPlays([id: 3])
                try await select(db, plays: 5)
                #expect(try await record(api, id) == nil)
                #expect(try await av1Jobs(db, id) == 0)

                // The fifth play crosses it: one av1.encode job, and the renditions are listed whole.
                try await api.catalog.addPlays([id: 1])
                try await select(db, plays: 5)
                #expect(try await av1Jobs(db, id) == 1)
                try await eventually(timeout: 600, every: 0.5, "the AV1 renditions to be published") {
                    try await record(api, id)?.state == .published
                }
                let published = try #require(try await record(api, id))
                #expect(published.plays == 5)
                #expect(published.rungs?.map(\.rung) == ["480p-av1", "360p-av1"])
                #expect((published.bytesRatio ?? 9) < 1, "AV1 bytes over H.264's: \(published.bytesRatio ?? -1)")

                let reader = try await TokenStore(pool: db.pool).create(name: "viewer", scopes: [.readAdmin]).token
                let dashboard = try await api.request("GET", "/admin/videos/\(id)", headers: [("Cookie", "reel_admin=\(reader)")])
                #expect(dashboard.text.contains("AV1 renditions") && dashboard.text.contains("published, chosen at 5 plays")
                        && dashboard.text.contains("<td>480p-av1</td>"), "\(dashboard.text)")
                let shown = try await ReelProcess.run(["videos", "show", id], databaseURL: db.url)
                #expect(shown.status == 0 && shown.output.contains("av1        published (chosen at 5 plays)")
                        && shown.output.contains("× the bytes of the H.264 renditions") && shown.output.contains("480p-av1"), "\(shown.output)")

                // Chosen once: a later selection leaves it alone, and an operator's second job changes nothing
                // (its segments are cached as immutable under their URLs).
                try await api.catalog.addPlays([id: 50])
                try await select(db, plays: 5)
                #expect(try await av1Jobs(db, id) == 1)
                let listed = try await api.catalog.playback(id, cached: false)?.renditions
                let again = try await JobQueue(pool: db.pool).enqueue(try ReelJobs.av1.request(VideoJob(video: id)))
                try await eventually(timeout: 60, "the second av1.encode to finish") {
                    try await db.pool.query("SELECT state::text FROM reel_jobs WHERE id = $1", [again.id]).first?.string(0) == "completed"
                }
                #expect(try await api.catalog.playback(id, cached: false)?.renditions == listed)
                #expect(try await record(api, id) == published)

                // The same master and MPD, H.264 first, AV1 variants with their own CODECS.
                let master = try await api.request("GET", "/v1/videos/\(id)/master.m3u8").text
                let variants = master.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
                #expect(variants == ["360p.av/index.m3u8", "480p.av/index.m3u8", "360p-av1.av/index.m3u8", "480p-av1.av/index.m3u8"], "\(master)")
                #expect(master.contains("CODECS=\"av01.0.") && master.contains("CODECS=\"avc1."))
                #expect(h264Master.split(separator: "\n").filter { $0.hasPrefix("#EXT-X-STREAM-INF") }.count == 2)
                let mpd = try await api.request("GET", "/v1/videos/\(id)/manifest.mpd").text
                let videoSets = mpd.components(separatedBy: "<AdaptationSet").dropFirst().filter { $0.contains("contentType=\"video\"") }
                #expect(videoSets.count == 2 && videoSets[0].contains("codecs=\"avc1.") && videoSets[1].contains("codecs=\"av01.0."), "\(mpd)")
                #expect(mpd.contains("type=\"static\""))

                // libavformat decodes every AV1 segment, each on its own after the init segment: 60 frames starting with a key frame.
                let playback = try #require(try await api.catalog.playback(id, cached: false))
                for rendition in playback.renditions where AV1Ladder.isAV1(rendition.name) {
                    #expect(rendition.complete && rendition.segments.count == 4 && rendition.codecs.hasPrefix("av01."))
                    let initSegment = try await api.request("GET", "/v1/videos/\(id)/\(rendition.name)/init.mp4").body
                    for segment in rendition.segments {
                        let media = try await api.request("GET", "/v1/videos/\(id)/\(rendition.name)/\(segment.number).m4s")
                        #expect(media.status == 200)
                        let file = TestObjectStores.freshFolder("av1-segment").appendingPathExtension("mp4")
                        try (initSegment + media.body).write(to: file)
                        let frames = try await tool("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=key_frame",
                                                                "-of", "csv=p=0", file.path]).split(separator: "\n").map(String.init)
                        #expect(frames.count == 60 && frames.first == "1", "\(rendition.name)/\(segment.number): \(frames.count) frames")
                    }
                }

                // Replicated like any other object: every object of the video is verified in the far region.
                try await eventually(timeout: 120, "every object, AV1 too, to be verified in far") {
                    try await db.pool.query(
                        "SELECT objects = verified FROM video_replication WHERE video_id = $1 AND region = 'far'", [id]).first?.bool(0) == true
                }
                let far = try await db.pool.query(
                    """
                    SELECT count(*)::int FROM video_objects o JOIN renditions r ON r.video_id = o.video_id
                    JOIN object_replicas c ON c.digest = o.digest AND c.region = 'far' AND c.state = 'verified'
                    WHERE o.video_id = $1 AND r.name LIKE '%-av1' AND o.digest = r.init_digest
                    """, [id]).first?.int(0)
                #expect(far == 2)

                // Warmed on the edge: every AV1 segment is a hit for the first viewer there.
                try await eventually(timeout: 120, "the AV1 warming") {
                    try await db.pool.query("SELECT state FROM edge_warmings WHERE video_id = $1 AND reason = 'av1'", [id]).first?.string(0) == "done"
                }
                for path in WarmPlan.paths(playback, firstSegments: nil, renditions: { AV1Ladder.isAV1($0.name) }) {
                    let reply = try await APIHarness.request(edge.url, "GET", path)
                    #expect(reply.status == 200 && reply.headers["x-cache-status"] == "HIT", "\(path): \(reply.headers["x-cache-status"] ?? "-")")
                }

                // Headless Chromium with hls.js (which reads CODECS and asks MSE what it decodes) and with dash.js 5
                // (which reads the MPD's two video AdaptationSets and asks MSE and Media Capabilities): every
                // variant or Representation forced, AV1 ones included, and the ABR stream, each to the end. A browser
                // without AV1 plays the same master or MPD in H.264 and never fetches an AV1 object.
                let origin = "\(api.base)/v1/videos/\(id)/"
                for (player, kind, av1Renditions) in [("hlsjs", "hls", ["360p-av1.av", "480p-av1.av"]), ("dashjs", "dash", ["360p-av1", "480p-av1"])] {
                    let played = try await BrowserCheck.run("play-check.py", [origin, "--player", player, "--timeout", "300", "--stall", "60"])
                    #expect(played.status == 0 && played.output.contains("5 passed, 0 failed"), "\(played.output)")
                    for rendition in av1Renditions {
                        #expect(played.output.split(separator: "\n").contains { $0.hasPrefix("PASS \(kind) \(rendition) ") && $0.contains(" video=av01.") },
                                "\(rendition) was not played as AV1: \(played.output)")
                    }
                    if player == "hlsjs" {  // hls.js's ABR choice is AV1
                        #expect(played.output.split(separator: "\n").contains { $0.hasPrefix("PASS hls abr ") && $0.contains(" video=av01.") })
                    }
                    let h264Only = try await BrowserCheck.run("play-check.py", [origin, "--player", player, "--refuse-codecs", "av01",
                                                                                "--forbid=-av1", "--only", "abr", "--timeout", "120", "--stall", "60"])
                    #expect(h264Only.status == 0 && h264Only.output.contains("1 passed, 0 failed")
                            && h264Only.output.contains(" video=avc1."), "\(h264Only.output)")
                }
                // Video.js 7 (VHS cannot read AV1 in fMP4) still plays the HLS and DASH ABR streams, and so does
                // Reel's own player page, which keeps VHS to the H.264 variants.
                let videojs = try await BrowserCheck.run("play-check.py", [origin, "--only", "abr", "--timeout", "120", "--stall", "60"])
                #expect(videojs.status == 0 && videojs.output.contains("2 passed, 0 failed"), "\(videojs.output)")
                let page = try await BrowserCheck.run("player-page-check.py", ["\(api.base)/v1/videos/\(id)/player", "--timeout", "120"])
                #expect(page.status == 0 && page.output.contains("PASS player page"), "\(page.output)")

                // GStreamer (dashdemux, Debian's AV1 decoders) plays the MPD's AV1 AdaptationSet alone to the
                // end: the MPD with H.264's set taken out and a BaseURL at the API, from a file.
                let av1Only = try #require(mpd.range(of: "<AdaptationSet").flatMap { first in
                    mpd.range(of: "<AdaptationSet", range: first.upperBound..<mpd.endIndex).map { first.lowerBound..<$0.lowerBound }
                })
                #expect(mpd[av1Only].contains("avc1."))
                let file = TestObjectStores.freshFolder("av1-only").appendingPathExtension("mpd")
                try mpd.replacingCharacters(in: av1Only, with: "").replacingOccurrences(of: "<Period ", with: "<BaseURL>\(origin)</BaseURL><Period ")
                    .write(to: file, atomically: true, encoding: .utf8)
                let gst = PackagePaths.root.appendingPathComponent("scripts/test-helpers/gst-play-check.py").path
                var gstRun = try await ChildProcess.run([gst, file.absoluteString, "--demuxer", "legacy", "--timeout", "120"])
                if gstRun.status != 0 { gstRun = try await ChildProcess.run([gst, file.absoluteString, "--demuxer", "legacy", "--timeout", "120"]) }
                #expect(gstRun.status == 0 && gstRun.output.contains("\"result\": \"eos\"") && gstRun.output.contains("\"frames\": 240"),
                        "\(gstRun.output.suffix(1500))")

                // Deleted, the video's AV1 objects go with the rest: garbage collection removes them from every region.
                let av1Objects = playback.renditions.filter { AV1Ladder.isAV1($0.name) }
                    .flatMap { [$0.initDigest] + $0.segments.map(\.digest) }.compactMap(ObjectDigest.init(hex:))
                #expect(av1Objects.count == 10)
                #expect(try await api.request("DELETE", "/v1/admin/videos/\(id)", headers: auth).status == 200)
                _ = try await GarbageCollectionHandler(catalog: api.catalog, regions: api.regions).collect(grace: .zero)
                for region in api.regions.all {
                    for digest in av1Objects {
                        #expect(try await region.store.head(digest) == nil, "\(digest) is still in \(region.name)")
                    }
                }
                try await api.stop()
            }
        }

        @Test func anAV1EncodePastItsBudgetRecordsWhyAndH264PlaysOn() async throws {
            try await TestDatabase.withFresh { db in
                let api = try await APIHarness.start(db, av1: AV1Configuration(budgetPerSecond: 0.001, budgetFloor: 0.001))
                let id = try await api.upload(try await clip("av1-budget"))
                try await eventually(timeout: 120, "the video to be ready") { try await api.status(id) == "ready" }
                let before = try await api.request("GET", "/v1/videos/\(id)/master.m3u8").text
                try await api.catalog.addPlays([id: 3])
                try await select(db, plays: 3)
                do {
                    try await eventually(timeout: 120, "the AV1 attempt to fail") { try await record(api, id)?.state == .failed }
                } catch {
                    let jobs = try await db.pool.query("SELECT kind, state::text, coalesce(errors::text, '') FROM reel_jobs ORDER BY id")
                        .map { "\($0.string(0) ?? "") \($0.string(1) ?? "") \($0.string(2) ?? "")" }
                    Issue.record("jobs: \(jobs.joined(separator: "\n")) plays: \(try await db.pool.query("SELECT sum(plays)::int FROM video_plays").first?.int(0) ?? -1)")
                    throw error
                }
                let failed = try #require(try await record(api, id))
                #expect(failed.error?.contains("ran past its budget") == true && failed.error?.contains("H.264 ladder plays on") == true,
                        "\(failed.error ?? "")")
                #expect((failed.plays ?? 0) >= 3)
                // Failed for good at once (a budget is not retried), nothing listed, H.264 as before.
                try await eventually(timeout: 30, "the job to be discarded") {
                    try await db.pool.query("SELECT state::text FROM reel_jobs WHERE kind = 'av1.encode'").first?.string(0) == "discarded"
                }
                #expect(try await api.request("GET", "/v1/videos/\(id)/master.m3u8").text == before)
                #expect(try await db.pool.query("SELECT count(*)::int FROM renditions WHERE video_id = $1 AND name LIKE '%-av1'", [id]).first?.int(0) == 0)
                #expect(try await api.status(id) == "ready")
                let shown = try await ReelProcess.run(["videos", "show", id], databaseURL: db.url)
                #expect(shown.output.contains("av1        failed") && shown.output.contains("ran past its budget"), "\(shown.output)")
                try await api.stop()
            }
        }
    }
}
