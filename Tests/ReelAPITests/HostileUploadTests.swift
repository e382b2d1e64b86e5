import Foundation
import Testing
import ReelMedia
import ReelManifests
import ReelQueue
import ReelTesting

/// Uploads that try to make a worker read the server's files, or to hold it
/// for hours, end as a failed video with a reason at the first attempt: nothing
/// they name is opened, nothing is published, and the worker goes on working.
@Suite(.serialized) struct HostileUploadTests {
    @Test func playlistsAndListsFailAtTheFirstAttemptAndOpenNothing() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let trap = try ReadTrap(copying: try await TestClips.path("vertical.mp4"))
            let inputs = [("hls", trap.hlsPlaylist, "HLS playlist"), ("concat", trap.concatList, "concat list"), ("sdp", trap.sdp, "SDP")]
            for (kind, text, words) in inputs {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-\(kind)-\(UUID().uuidString).mp4")
                try Data(text.utf8).write(to: file)
                let id = try await api.upload(file.path, type: "video/mp4")
                try await eventually(timeout: 60, "the \(kind) upload to fail") { try await api.status(id) == "failed" }
                let metadata = try await api.request("GET", "/v1/videos/\(id)").json()
                let message = metadata["error"] as? String ?? ""
                #expect(message.contains(words) && message.contains("MP4/MOV, Matroska/WebM, MPEG-TS"), "\(kind): \(message)")
                // Nothing of the named file was recorded or published.
                #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM renditions WHERE video_id = $1", [id]) == 0)
                #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM segments WHERE video_id = $1", [id]) == 0)
                #expect(try await db.scalar(Bool.self, "SELECT duration_s IS NULL AND width IS NULL AND height IS NULL FROM videos WHERE id = $1", [id]) == true)
                // Refused at attempt 1, never retried; the rest of the chain cancelled.
                // (The video is marked failed inside the job; its state is written when the job ends.)
                let ingest = { try await db.scalar(String.self, "SELECT state || ':' || attempt FROM reel_jobs WHERE unique_key = $1", ["video.ingest:\(id)"]) }
                try? await eventually(timeout: 10, "the ingest job to end") { try await ingest() != "running:1" }
                #expect(try await ingest() == "discarded:1", "\(kind)")
                let open = try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE unique_key LIKE $1 AND state NOT IN ('discarded', 'cancelled')", ["video.%:\(id)"])
                #expect(open == 0)
                try? FileManager.default.removeItem(at: file)
            }
            let touched = trap.touches()
            #expect(touched.fileEvents == 0 && touched.connections == 0, "\(touched)")
            try await api.stop()
        }
    }

    /// A job whose decoding outlasts its budget fails for good with a reason
    /// the uploader can read, and the same worker then runs the next job.
    @Test func aTranscodePastItsBudgetFailsForGoodAndTheWorkerGoesOn() async throws {
        try await TestDatabase.withFresh { db in
            var limits = MediaLimits()
            limits.budgetFloor = 0.05
            limits.budgetMultiple = 0
            let api = try await APIHarness.start(db, limits: limits)
            let id = try await api.upload(try await TestClips.path("vertical.mp4"))
            try await eventually(timeout: 60, "the video to fail") { try await api.status(id) == "failed" }
            let message = try await api.request("GET", "/v1/videos/\(id)").json()["error"] as? String ?? ""
            #expect(message.contains("time budget"), "\(message)")
            let failed = { try await db.scalar(String.self, "SELECT state || ':' || attempt FROM reel_jobs WHERE unique_key = $1", ["video.transcode:\(id)"]) }
            try? await eventually(timeout: 10, "the transcode job to end") { try await failed() != "running:1" }
            #expect(try await failed() == "discarded:1")
            let next = try await JobQueue(pool: db.pool).enqueue(JobRequest(kind: "noop", queue: "media"))
            try await eventually(timeout: 30, "the worker to run the next job") { try await JobQueue(pool: db.pool).job(next.id)?.state == .completed }
            try await api.stop()
        }
    }
}
