import Foundation
import ReelPipeline
import ReelCatalog
import ReelPostgres
import ReelQueue
import ReelS3
import ReelStore
import ReelTesting
import ReelWorkers
import Testing

/// `replicate` jobs copy every object of a video to every other region,
/// verify each copy's digest there and record it in `object_replicas`.
@Suite struct ReplicationTests {
    /// A video in the home region: a 10 MB source (copied through a file),
    /// a poster, an init segment and three media segments.
    func storeVideo(_ db: TestDatabase, in home: Region, id: String = VideoID.make()) async throws -> (String, [ObjectDigest]) {
        let source = try await home.store.put(TestObjectStores.randomBytes(10 << 20))
        var digests = [source.digest]
        for n in 0..<5 { digests.append(try await home.store.put(TestObjectStores.randomBytes(10_000 + n)).digest) }
        let objects = digests
        try await db.pool.withTransaction { conn in
            try Catalog.insert(NewVideo(id: id, homeRegion: home.name, sourceDigest: source.digest.hex, sourceSize: source.size), on: conn)
            try conn.query("UPDATE videos SET poster_digest = $2 WHERE id = $1", [id, objects[1].hex])
            try conn.query(
                "INSERT INTO renditions (video_id, name, kind, codecs, timescale, init_digest) VALUES ($1, '360p', 'video', 'avc1.64001e', 15360, $2)",
                [id, objects[2].hex])
            for n in 0..<3 {
                try conn.query(
                    "INSERT INTO segments (video_id, rendition, number, start_time, duration, bytes, digest) VALUES ($1, '360p', $2, $3, 30720, 1000, $4)",
                    [id, n, n * 30720, objects[3 + n].hex])
            }
        }
        return (id, digests.sorted())
    }

    func replicate(_ db: TestDatabase, _ regions: Regions, video: String) async throws -> [Int64] {
        let ids = try await db.pool.withTransaction { conn in try ReelJobs.replicate(video: video, to: regions.replicas.map(\.name), on: conn) }
        return ids
    }

    func handlers(_ db: TestDatabase, _ regions: Regions) -> JobHandlers {
        ReelHandlers.all(catalog: Catalog(pool: db.pool), regions: regions, scratch: TestObjectStores.freshFolder("scratch"))
    }

    @Test func everyObjectReachesEveryRegionVerifiedAndASecondRunCopiesNothing() async throws {
        try await TestDatabase.withFresh { db in
            let regions = try Regions([
                Region(name: "home", store: try TestObjectStores.fileStore("home")),
                Region(name: "files", store: try TestObjectStores.fileStore("files")),
                Region(name: "s3", store: try await TestObjectStores.s3Store()),
            ])
            let (video, digests) = try await storeVideo(db, in: regions.home)
            #expect(try await Catalog(pool: db.pool).objects(ofVideo: video) == digests)
            let (worker, _) = startWorker(db, queues: [ReelJobs.Queue.replication: 2], handlers: handlers(db, regions))
            let ids = try await replicate(db, regions, video: video)
            #expect(ids.count == 2)
            for id in ids { try await db.waitForState(id, .completed) }
            for region in regions.replicas {
                for digest in digests { #expect(try await region.store.verify(digest) == true, "\(digest) in \(region.name)") }
            }
            let progress = try await Catalog(pool: db.pool).replication(ofVideo: video)
            #expect(progress.map(\.region) == ["files", "home", "s3"])
            for region in progress where region.region != "home" {
                #expect(region.objects == 6 && region.verified == 6 && region.failed == 0, "\(region)")
            }
            // Again: everything is verified already, so nothing is read or written.
            for id in try await replicate(db, regions, video: video) { try await db.waitForState(id, .completed) }
            try await worker.stop()
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM object_replicas WHERE region <> 'home' AND attempts <> 1") == 0)
        }
    }

    @Test func anUnreachableRegionFailsTheJobWhichRetriesAndTheRowsSayWhy() async throws {
        try await TestDatabase.withFresh { db in
            var unreachable = try TestObjectStores.s3Configuration()
            unreachable.endpoint = try #require(URL(string: "http://127.0.0.1:9"))
            unreachable.requestTimeout = .seconds(2)
            let regions = try Regions([
                Region(name: "home", store: try TestObjectStores.fileStore("home")),
                Region(name: "down", store: S3Store(unreachable)),
            ])
            let (video, _) = try await storeVideo(db, in: regions.home)
            let (worker, _) = startWorker(db, queues: [ReelJobs.Queue.replication: 1], handlers: handlers(db, regions))
            let id = try #require(try await replicate(db, regions, video: video).first)
            try await eventually(timeout: 60, "the job to fail once") { try await db.queue.job(id)?.errors.isEmpty == false }
            try await worker.stop()
            let job = try #require(try await db.queue.job(id))
            #expect(job.state == .retryable || job.state == .available || job.state == .running)
            #expect(job.errors.first?.message.contains("objects of video \(video) could not be copied to down") == true, "\(job.errors)")
            #expect(job.errors.first?.permanent == false)
            // The first failure stops the job: the other objects wait, pending, for the retry.
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM object_replicas WHERE region = 'down' AND state = 'failed' AND error LIKE '%cannot reach%127.0.0.1:9%'") == 1)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM object_replicas WHERE region = 'down' AND state = 'pending'") == 5)
        }
    }

    @Test func aDamagedOrMissingHomeCopyIsTakenFromAnotherRegion() async throws {
        try await TestDatabase.withFresh { db in
            let home = try TestObjectStores.fileStore("home"), second = try TestObjectStores.fileStore("second")
            let regions = try Regions([
                Region(name: "home", store: home), Region(name: "second", store: second),
                Region(name: "third", store: try TestObjectStores.fileStore("third")),
            ])
            let (video, digests) = try await storeVideo(db, in: regions.home)
            for digest in digests { _ = try await second.put(try await home.get(digest)) }
            try await home.delete(digests[0])
            let (worker, _) = startWorker(db, queues: [ReelJobs.Queue.replication: 2], handlers: handlers(db, regions))
            for id in try await replicate(db, regions, video: video) { try await db.waitForState(id, .completed) }
            try await worker.stop()
            for digest in digests { #expect(try await regions["third"]?.store.verify(digest) == true) }
        }
    }
}
