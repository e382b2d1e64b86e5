import Foundation
import ReelPipeline
import ReelCatalog
import ReelManifests
import ReelPostgres
import ReelQueue
import ReelStore
import ReelTesting
import ReelWorkers
import Testing

/// An upload's source in the home store becomes renditions and segments in
/// the store and the catalog, progressively, then replicas in every region.
@Suite struct PublishingTests {
    func upload(_ db: TestDatabase, _ regions: Regions, clip: String) async throws -> (String, [Int64]) {
        let stored = try await regions.home.store.put(contentsOf: URL(fileURLWithPath: try await TestClips.path(clip)))
        let home = regions.home.name
        return try await db.pool.withTransaction { conn in
            let video = try Catalog.insert(
                NewVideo(homeRegion: home, sourceDigest: stored.digest.hex, sourceSize: stored.size, contentType: "video/mp4"), on: conn)
            return (video.id, try ReelJobs.publish(video: video.id, segmentSeconds: 1, on: conn))
        }
    }

    func start(_ db: TestDatabase, _ regions: Regions, perTitle: PerTitleConfiguration? = nil) -> ServiceHarness {
        let handlers = ReelHandlers.all(catalog: Catalog(pool: db.pool), regions: regions, scratch: TestObjectStores.freshFolder("scratch"),
                                        perTitle: perTitle)
        return startWorker(db, queues: [ReelJobs.Queue.media: 2, ReelJobs.Queue.replication: 2], handlers: handlers).0
    }

    @Test func anUploadIsPublishedProgressivelyAndReplicated() async throws {
        try await TestDatabase.withFresh { db in
            let regions = try Regions([
                Region(name: "home", store: try TestObjectStores.fileStore("home")),
                Region(name: "away", store: try TestObjectStores.fileStore("away")),
            ])
            let (id, jobs) = try await upload(db, regions, clip: "vertical.mp4")
            let worker = start(db, regions)
            try await db.waitForState(jobs[2], .completed, timeout: 180)
            try await eventually(timeout: 60, "replication") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'replicate' AND state = 'completed'") == 1
            }
            try await worker.stop()
            let catalog = Catalog(pool: db.pool)
            let video = try #require(try await catalog.video(id))
            #expect(video.status == .ready && video.width == 1080 && video.height == 1920)
            #expect((video.durationSeconds ?? 0) > 1.9)
            let playable = try #require(video.playableAt), ready = try #require(video.readyAt)
            #expect(playable < ready)
            // Playable came with the lowest rung's first segment, before the last segment of the top rung was stored.
            let lastTop = try #require(try await db.scalar(
                Date.self, "SELECT max(created_at) FROM segments WHERE video_id = $1 AND rendition = '1080p'", [id]))
            #expect(playable <= lastTop)
            let renditions = try await db.pool.query(
                "SELECT name, kind, codecs, complete FROM renditions WHERE video_id = $1 ORDER BY name", [id])
            #expect(renditions.map { $0.string(0) ?? "" } == ["1080p", "360p", "480p", "720p", "audio"])
            #expect(renditions.allSatisfy { $0.bool(3) == true })
            #expect(renditions.first { $0.string(0) == "audio" }?.string(2) == "mp4a.40.2")
            #expect(renditions.first { $0.string(0) == "360p" }?.string(2)?.hasPrefix("avc1.64") == true)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM segments WHERE video_id = $1 AND rendition = '360p'", [id]) == 2)
            // Every object is in both regions, verified.
            let objects = try await catalog.objects(ofVideo: id)
            #expect(objects.count >= 1 + 2 + 5 + 10)
            for digest in objects {
                for region in regions.all { #expect(try await region.store.verify(digest) == true, "\(digest) in \(region.name)") }
            }
            let replication = try await catalog.replication(ofVideo: id)
            #expect(replication.allSatisfy { $0.objects == objects.count && $0.verified == objects.count }, "\(replication)")
        }
    }

    /// Per-title bit rates: a still picture gets a fraction of the fixed
    /// ladder's bits, noise keeps the fixed ladder; what was measured and
    /// chosen is stored with each video, and the renditions really spend it.
    @Test func perTitleGivesAStillPictureFewerBitsAndNoiseTheFixedLadder() async throws {
        try await TestDatabase.withFresh { db in
            let regions = try Regions([Region(name: "home", store: try TestObjectStores.fileStore("home"))])
            let (still, stillJobs) = try await upload(db, regions, clip: "still.mp4")
            let (noise, noiseJobs) = try await upload(db, regions, clip: "noise.mp4")
            let worker = start(db, regions, perTitle: .standard)
            try await db.waitForState(stillJobs[2], .completed, timeout: 180)
            try await db.waitForState(noiseJobs[2], .completed, timeout: 180)
            try await worker.stop()
            let catalog = Catalog(pool: db.pool)
            func record(_ id: String) async throws -> PerTitleRecord {
                try JSONDecoder().decode(PerTitleRecord.self, from: try #require(try await catalog.perTitle(ofVideo: id)))
            }
            func spent(_ id: String, _ rung: String) async throws -> Int {
                // Bits per second of the rendition's segments (bytes over their duration in the rendition's timescale).
                try #require(try await db.scalar(Int.self, """
                    SELECT (sum(s.bytes) * 8 / (sum(s.duration)::float8 / r.timescale))::int
                    FROM segments s JOIN renditions r ON r.video_id = s.video_id AND r.name = s.rendition
                    WHERE s.video_id = $1 AND s.rendition = $2 GROUP BY r.timescale
                    """, [id, rung]))
            }
            let easy = try await record(still), hard = try await record(noise)
            #expect(easy.fallback == nil && hard.fallback == nil)
            let easyPlan = try #require(easy.plan), hardPlan = try #require(hard.plan)
            #expect(easyPlan.ladderRatio < 0.5, "\(easyPlan.choices)")
            #expect(hardPlan.choices.allSatisfy { $0.note == "ceiling" }, "\(hardPlan.choices)")
            #expect(try #require(easy.measurement).bitrates.count == 2)
            // What the renditions really spend follows: the still picture's 480p a fraction of the noise's.
            #expect(try await spent(still, "480p") * 3 < (try await spent(noise, "480p")))
            #expect(try await spent(still, "480p") < 700_000)
            // Both are playable ladders: every kept rung and the lowest are there and complete.
            for (id, plan) in [(still, easyPlan), (noise, hardPlan)] {
                let names = try await db.pool.query("SELECT name FROM renditions WHERE video_id = $1 AND kind = 'video' AND complete", [id])
                    .compactMap { $0.string(0) }
                #expect(Set(names) == Set(plan.rungs.map(\.name)))
                #expect(names.contains("360p"))
            }
        }
    }

    /// Per-title sizes: the test pattern (a soft, synthetic picture) looks
    /// better at 1080x1920 than at 720x1280 for the 720p slot's bits, so that
    /// slot repeats 1080p's size at a lower rate under a name of its own.
    /// Every planned rung is published as a complete video rendition of its
    /// planned size (BrowserPlaybackTests plays such a ladder).
    @Test func aPerTitleLadderThatRepeatsASizePublishesEveryRungAsVideo() async throws {
        try await TestDatabase.withFresh { db in
            let regions = try Regions([Region(name: "home", store: try TestObjectStores.fileStore("home"))])
            let (id, jobs) = try await upload(db, regions, clip: "vertical.mp4")
            let worker = start(db, regions, perTitle: .standard)
            try await db.waitForState(jobs[2], .completed, timeout: 180)
            try await worker.stop()
            let catalog = Catalog(pool: db.pool)
            let record = try JSONDecoder().decode(PerTitleRecord.self, from: try #require(try await catalog.perTitle(ofVideo: id)))
            let plan = try #require(record.plan, "\(record.fallback ?? "")")
            let repeated = try #require(plan.rungs.first { $0.name.hasSuffix("k") }, "\(plan.choices)")
            #expect(plan.rungs.contains { $0.name != repeated.name && $0.width == repeated.width && $0.height == repeated.height })
            let rows = try await db.pool.query(
                "SELECT name, kind, width, height, complete FROM renditions WHERE video_id = $1 AND name <> 'audio'", [id])
            #expect(Set(rows.compactMap { $0.string(0) }) == Set(plan.rungs.map(\.name)))
            for row in rows {
                let rung = try #require(plan.rungs.first { $0.name == row.string(0) })
                #expect(row.string(1) == "video" && row.int(2) == rung.width && row.int(3) == rung.height && row.bool(4) == true,
                        "\(rung.name)")
            }
        }
    }

    @Test func aCorruptUploadFailsTheVideoWithAReadableMessage() async throws {
        try await TestDatabase.withFresh { db in
            let regions = try Regions([Region(name: "home", store: try TestObjectStores.fileStore("home"))])
            let (id, jobs) = try await upload(db, regions, clip: "not-a-video.mp4")
            let worker = start(db, regions)
            try await db.waitForState(jobs[2], .cancelled)
            try await worker.stop()
            let video = try #require(try await Catalog(pool: db.pool).video(id))
            #expect(video.status == .failed)
            #expect(video.error?.contains("not a readable media file") == true, "\(video.error ?? "")")
            #expect(try await db.queue.job(jobs[0])?.attempt == 1)
        }
    }
}
