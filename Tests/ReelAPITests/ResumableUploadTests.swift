import Foundation
import ReelCatalog
import ReelPostgres
import ReelStore
import ReelTesting
import Testing

/// A large upload in chunks; a connection that breaks mid-chunk loses only
/// the bytes that never arrived, and the upload resumes from what was stored.
@Suite struct ResumableUploadTests {
    @Test func aBrokenUploadResumesWhereItStoppedAndIsPublished() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let file = try Data(contentsOf: URL(fileURLWithPath: try await TestClips.path("vertical.mp4")))
            let opened = try await api.request("POST", "/v1/uploads/resumable?title=resumed",
                                               headers: [("Content-Type", "video/mp4"), ("Upload-Length", "\(file.count)")])
            #expect(opened.status == 201 && opened.headers["upload-offset"] == "0")
            let path = try #require(try opened.json()["url"] as? String)

            // First chunk, whole.
            let first = file.count / 3
            let chunk = try await api.request("PATCH", path, headers: [("Upload-Offset", "0")], body: file.prefix(first))
            #expect(chunk.status == 204 && chunk.headers["upload-offset"] == "\(first)")
            // A chunk at the wrong offset is refused and told where to go on.
            let wrong = try await api.request("PATCH", path, headers: [("Upload-Offset", "5")], body: Data(count: 10))
            #expect(wrong.status == 409 && wrong.headers["upload-offset"] == "\(first)")

            // The second chunk's connection breaks halfway: what arrived is kept.
            let rest = file.suffix(from: first)
            try RawRequest(api.base, "PATCH \(path) HTTP/1.1\r\nUpload-Offset: \(first)\r\nContent-Type: application/offset+octet-stream",
                           body: Data(rest), send: rest.count / 2).close()
            var stored = 0
            try await eventually(timeout: 30, "the server to notice the broken connection") {
                let head = try await api.request("HEAD", path)
                stored = Int(head.headers["upload-offset"] ?? "") ?? 0
                return stored > first
            }
            #expect(stored <= first + rest.count / 2)

            // Resume from the stored offset: the upload completes and publishes the video.
            let last = try await api.request("PATCH", path, headers: [("Upload-Offset", "\(stored)")], body: file.suffix(from: stored))
            #expect(last.status == 201, "\(last.text)")
            let created = try last.json()
            #expect(created["sha256"] as? String == ObjectDigest.of(file).hex)
            let id = try #require(created["id"] as? String)
            try await eventually(timeout: 180, "the video to be ready") { try await api.status(id) == "ready" }
            #expect(try await api.request("GET", path).json()["video_id"] as? String == id)
            #expect(try await api.request("PATCH", path, headers: [("Upload-Offset", "\(file.count)")], body: Data()).status == 409)
            try await api.stop()
        }
    }

    @Test func resumableUploadsCheckTheirHeaders() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, maxUploadBytes: 1000, worker: false)
            #expect(try await api.request("POST", "/v1/uploads/resumable", headers: [("Content-Type", "video/mp4")]).status == 400)
            #expect(try await api.request("POST", "/v1/uploads/resumable",
                                          headers: [("Content-Type", "video/mp4"), ("Upload-Length", "5000")]).status == 413)
            #expect(try await api.request("POST", "/v1/uploads/resumable",
                                          headers: [("Content-Type", "text/plain"), ("Upload-Length", "10")]).status == 415)
            #expect(try await api.request("HEAD", "/v1/uploads/resumable/AAAAAAAAAAAA").status == 404)
            let opened = try await api.request("POST", "/v1/uploads/resumable", headers: [("Content-Type", "video/mp4"), ("Upload-Length", "10")])
            let path = try #require(try opened.json()["url"] as? String)
            #expect(try await api.request("PATCH", path, body: Data(count: 4)).status == 400)
            #expect(try await api.request("PATCH", path, headers: [("Upload-Offset", "0")], body: Data(count: 40)).status == 413)
            #expect(try await api.request("HEAD", path).headers["upload-offset"] == "0")
            try await api.stop()
        }
    }

    /// The offset check and the append are one claim on the upload's row,
    /// held across API instances: a chunk at another offset gets 409 with the
    /// stored one, a live claim of another instance gets 409 until it lapses,
    /// a spool file that is gone is never made up, and two final chunks at
    /// once publish one video.
    @Test func chunksAreExactAcrossInstances() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, worker: false)
            let file = try Data(contentsOf: URL(fileURLWithPath: try await TestClips.path("vertical.mp4")))
            func open() async throws -> (String, String) {
                let opened = try await api.request("POST", "/v1/uploads/resumable", headers: [("Content-Type", "video/mp4"), ("Upload-Length", "\(file.count)")])
                let path = try #require(try opened.json()["url"] as? String)
                return (path, String(path.split(separator: "/").last ?? ""))
            }
            let (path, id) = try await open()
            let half = file.count / 2
            #expect(try await api.request("PATCH", path, headers: [("Upload-Offset", "0")], body: file.prefix(half)).status == 204)

            // Another instance holds a live claim: this one waits its turn.
            try await db.pool.query("UPDATE uploads SET writer = 'other-instance', writer_until = now() + interval '1 minute' WHERE id = $1", [id])
            let busy = try await api.request("PATCH", path, headers: [("Upload-Offset", "\(half)")], body: file.suffix(from: half))
            #expect(busy.status == 409 && busy.headers["upload-offset"] == "\(half)" && busy.text.contains("busy"), "\(busy.text)")
            // Its instance died: the claim lapses, and the upload goes on here.
            try await db.pool.query("UPDATE uploads SET writer_until = now() - interval '1 second' WHERE id = $1", [id])

            // Two final chunks at once: one publishes, the other is refused.
            async let first = api.request("PATCH", path, headers: [("Upload-Offset", "\(half)")], body: file.suffix(from: half))
            async let second = api.request("PATCH", path, headers: [("Upload-Offset", "\(half)")], body: file.suffix(from: half))
            let statuses = [try await first.status, try await second.status].sorted()
            #expect(statuses == [201, 409], "\(statuses)")
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM videos") == 1)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'video.ingest'") == 1)

            // A spool file that is gone (swept, or on another instance) is never recreated.
            let (lost, lostID) = try await open()
            #expect(try await api.request("PATCH", lost, headers: [("Upload-Offset", "0")], body: file.prefix(1000)).status == 204)
            let spooled = api.spool.appendingPathComponent("resumable-\(lostID)")
            try FileManager.default.removeItem(at: spooled)
            let gone = try await api.request("PATCH", lost, headers: [("Upload-Offset", "1000")], body: file.suffix(from: 1000))
            #expect(gone.status == 410 && gone.text.contains("not on this API instance"), "\(gone.text)")
            #expect(!FileManager.default.fileExists(atPath: spooled.path))
            #expect(try await db.scalar(Int64.self, "SELECT received FROM uploads WHERE id = $1", [lostID]) == 1000)
            try await api.stop()
        }
    }
}
