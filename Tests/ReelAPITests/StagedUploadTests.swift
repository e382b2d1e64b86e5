import Foundation
import ReelPipeline
import ReelPostgres
import ReelS3
import ReelStore
import ReelTesting
import Testing

/// Uploads staged in an S3 home region (SeaweedFS): parts and a tail in the
/// bucket while the upload is unfinished, nothing left there once it expires.
@Suite struct StagedUploadTests {
    @Test func anExpiredUploadLeavesNothingStagedInTheBucket() async throws {
        try await TestDatabase.withFresh { db in
            let store = try await TestObjectStores.s3Store()  // parts of 5 MiB
            let api = try await APIHarness.start(db, regions: try Regions([Region(name: "home", store: store)]))
            let tus = ("Tus-Resumable", "1.0.0")
            let created = try await api.request("POST", "/v1/uploads/tus", headers: [tus, ("Upload-Length", "\(8 << 20)")])
            let path = try #require(created.headers["location"])
            let id = try #require(created.headers["reel-video-id"])
            // 6 MiB: one whole part and a 1 MiB tail.
            let sent = try await api.request("PATCH", path, headers: [tus, ("Upload-Offset", "0"), ("Content-Type", "application/offset+octet-stream")],
                                             body: Data(repeating: 9, count: 6 << 20))
            #expect(sent.status == 204 && sent.headers["upload-offset"] == "\(6 << 20)")
            let text = try #require(try await db.scalar(String.self, "SELECT staging::text FROM uploads WHERE id = $1", [id]))
            let staged = try JSONDecoder().decode(StagedUpload.self, from: Data(text.utf8))
            #expect(staged.parts.count == 1 && staged.parts.first?.size == 5 << 20 && staged.tailSize == 1 << 20 && staged.tail != nil)
            #expect(try await store.isStaged(staged))

            // Expired: its row goes, and a job removes the multipart upload and the tail from the bucket.
            try await db.pool.query("UPDATE uploads SET expires_at = now() - interval '1 second' WHERE id = $1", [id])
            #expect(try await UploadExpiry.run(pool: db.pool) == 1)
            try await eventually(timeout: 60, "the staged bytes to be removed") {
                try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE kind = 'upload.unstage'") == "completed"
            }
            #expect(try await !store.isStaged(staged))
            try await api.stop()
        }
    }
}
