import Crypto
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

    @Test func aBadChecksumKeepsNothingAndABrokenChunkKeepsWhatArrived() async throws {
        try await TestDatabase.withFresh { db in
            let store = try await TestObjectStores.s3Store()
            let api = try await APIHarness.start(db, worker: false, regions: try Regions([Region(name: "home", store: store)]))
            let tus = ("Tus-Resumable", "1.0.0"), chunk = ("Content-Type", "application/offset+octet-stream")
            let file = TestObjectStores.randomBytes(7 << 20)
            let created = try await api.request("POST", "/v1/uploads/tus", headers: [tus, ("Upload-Length", "\(file.count)")])
            let path = try #require(created.headers["location"])
            let id = try #require(created.headers["reel-video-id"])
            func staging() async throws -> String? { try await db.scalar(String.self, "SELECT staging::text FROM uploads WHERE id = $1", [id]) }

            // 3 MiB with the sha1 of other bytes: 460, and neither the offset nor what is staged moves.
            let before = try await staging()
            let wrong = Data(Insecure.SHA1.hash(data: Data("other bytes".utf8))).base64EncodedString()
            let refused = try await api.request("PATCH", path, headers: [tus, chunk, ("Upload-Offset", "0"), ("Upload-Checksum", "sha1 \(wrong)")],
                                                body: file.prefix(3 << 20))
            #expect(refused.status == 460)
            #expect(try await staging() == before)
            #expect(try await api.request("HEAD", path, headers: [tus]).headers["upload-offset"] == "0")

            // A chunk whose connection breaks after about 2 MiB: what arrived is kept (as the tail), and HEAD says how much.
            let rest = file.prefix(6 << 20)
            let cut = try RawRequest(api.base, "PATCH \(path) HTTP/1.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream",
                                     body: Data(rest), send: 2 << 20)
            try await Task.sleep(for: .milliseconds(500))
            cut.close()
            var offset = 0
            try await eventually(timeout: 60, "the broken chunk's bytes to be recorded") {
                offset = Int(try await api.request("HEAD", path, headers: [tus]).headers["upload-offset"] ?? "") ?? 0
                return offset > 0
            }
            #expect(offset <= 2 << 20)
            // The rest from there, with its right checksum, completes the upload byte for byte.
            let tail = file.suffix(from: offset)
            let right = Data(Insecure.SHA1.hash(data: tail)).base64EncodedString()
            let done = try await api.request("PATCH", path, headers: [tus, chunk, ("Upload-Offset", "\(offset)"), ("Upload-Checksum", "sha1 \(right)")],
                                             body: Data(tail))
            #expect(done.status == 204 && done.headers["upload-offset"] == "\(file.count)", "\(done.status) \(done.text)")
            #expect(try await db.scalar(String.self, "SELECT source_digest FROM videos WHERE id = $1", [id]) == ObjectDigest.of(file).hex)
            try await api.stop()
        }
    }
}
