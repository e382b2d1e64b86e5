import Foundation
import Testing
import ReelPipeline
import ReelMedia
import ReelManifests
import ReelPostgres
import ReelQueue
import ReelTesting
import ReelWorkers

/// ingest → transcode → package through the real queue and worker.
@Suite struct MediaPipelineTests {
    func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-video-\(UUID().uuidString)")
    }

    func enqueueChain(_ db: TestDatabase, source: String, output: URL, video: String) async throws -> [Int64] {
        let args = MediaHandlers.Args(source: source, output: output.path, video: video, segmentSeconds: 1)
        return try await db.pool.withTransaction { conn in try MediaHandlers.enqueue(args, on: conn) }
    }

    @Test func anUploadBecomesAPlayableFolder() async throws {
        try await TestDatabase.withFresh { db in
            let output = folder()
            let ids = try await enqueueChain(db, source: try await TestClips.path("vertical.mp4"), output: output, video: "v1")
            #expect(try await db.state(ids[1]) == .pending)
            let (worker, _) = startWorker(db, queues: ["media": 2])
            try await db.waitForState(ids[2], .completed, timeout: 120)
            try await worker.stop()
            for file in ["probe.json", "ladder.json", "master.m3u8", "manifest.mpd", "poster.jpg", "sprite.jpg", "1080p/init.mp4", "360p/1.m4s", "audio/index.m3u8"] {
                #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(file).path), "\(file)")
            }
            let master = try String(contentsOf: output.appendingPathComponent("master.m3u8"), encoding: .utf8)
            #expect(master.components(separatedBy: "#EXT-X-STREAM-INF").count - 1 == 4)
            // Each job ran once, in order.
            let jobs = try await (ids.asyncMap { try await db.queue.job($0) }).compactMap { $0 }
            #expect(jobs.allSatisfy { $0.attempt == 1 && $0.errors.isEmpty })
            #expect(zip(jobs, jobs.dropFirst()).allSatisfy { ($0.finalizedAt ?? .distantFuture) <= ($1.attemptedAt ?? .distantPast) })
        }
    }

    @Test func aCorruptUploadFailsAtOnceWithAReadableMessage() async throws {
        try await TestDatabase.withFresh { db in
            let ids = try await enqueueChain(db, source: try await TestClips.path("not-a-video.mp4"), output: folder(), video: "v2")
            let (worker, _) = startWorker(db, queues: ["media": 2])
            try await db.waitForState(ids[2], .cancelled)
            try await worker.stop()
            let ingest = try #require(try await db.queue.job(ids[0]))
            #expect(ingest.state == .discarded)
            #expect(ingest.attempt == 1)
            #expect(ingest.errors.first?.permanent == true)
            #expect(ingest.errors.first?.message.contains("not a readable media file") == true)
            #expect(try await db.queue.job(ids[1])?.cancelReason?.contains("was discarded: not a readable media file") == true)
        }
    }
}
