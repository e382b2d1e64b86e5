import Foundation
import ReelS3
import ReelStore
import ReelTesting
import Testing

/// Two `reel api` processes behind one imaginary load balancer, sharing the
/// database (the offsets and the claims) and either their data folder (the
/// spool, where a file region's unfinished uploads wait) or nothing but an
/// S3 home region (where unfinished uploads are staged as multipart uploads):
/// a tus upload's chunks go to either, one is SIGKILLed in the middle of a
/// chunk, and the other finishes the upload. The published source is the
/// file, byte for byte.
@Suite struct TusAcrossInstancesTests {
    @Test func chunksGoToEitherInstanceAndTheSurvivorFinishesAfterTheOtherIsKilled() async throws {
        try await TestDatabase.withFresh { db in
            let data = TestObjectStores.freshFolder("tus-instances")
            let environment = ["REEL_DATA_DIR": data.path, "REEL_REGIONS": "home=file:regions/home"]
            let file = try Data(contentsOf: URL(fileURLWithPath: try await TestClips.path("vertical.mp4")))
            try await Self.alternate(db, file, a: environment, b: environment)
            let home = try FileStore(root: data.appendingPathComponent("regions").appendingPathComponent("home"))
            #expect(try await home.verify(ObjectDigest.of(file)) == true)
        }
    }

    @Test func withAnS3HomeRegionInstancesShareNoFolderAndTheUploadWaitsInAMultipartUpload() async throws {
        try await TestDatabase.withFresh { db in
            _ = try await TestObjectStores.s3Store()  // the bucket exists
            let env = ProcessInfo.processInfo.environment
            var s3: [String: String] = ["REEL_REGIONS": "home=s3:REEL_S3_"]
            for name in ["ENDPOINT", "BUCKET", "REGION", "ACCESS_KEY", "SECRET_KEY"] { s3["REEL_S3_" + name] = env["REEL_TEST_S3_" + name] ?? "" }
            // Each instance has its own data folder: nothing on disk is shared.
            var a = s3, b = s3
            a["REEL_DATA_DIR"] = TestObjectStores.freshFolder("tus-a").path
            b["REEL_DATA_DIR"] = TestObjectStores.freshFolder("tus-b").path
            // 20 MiB in chunks of about 3.3 MiB: tails, whole 8 MiB parts, and a chunk cut by the kill.
            let file = TestObjectStores.randomBytes(20 << 20)
            let video = try await Self.alternate(db, file, a: a, b: b)
            let staged = try await db.scalar(String.self, "SELECT staging->>'upload_id' FROM uploads WHERE id = $1", [video])
            #expect(staged?.isEmpty == false, "the upload was staged as an S3 multipart upload")
            let home = S3Store(try #require(S3Configuration.fromEnvironment(prefix: "REEL_TEST_S3_")))
            #expect(try await home.verify(ObjectDigest.of(file)) == true)
        }
    }

    /// The upload of `file` through A and B in turn, A killed mid-chunk, B finishing; returns the video's id.
    @discardableResult
    static func alternate(_ db: TestDatabase, _ file: Data, a environmentA: [String: String], b environmentB: [String: String]) async throws -> String {
        do {
            let a = try await APIProcess.start(db, environmentA)
            let b = try await APIProcess.start(db, environmentB)
            let tus = ("Tus-Resumable", "1.0.0"), chunk = ("Content-Type", "application/offset+octet-stream")

            let created = try await APIHarness.request(a.base, "POST", "/v1/uploads/tus", headers: [tus, ("Upload-Length", "\(file.count)")])
            #expect(created.status == 201)
            let path = try #require(created.headers["location"])
            let video = try #require(created.headers["reel-video-id"])

            // Four chunks, alternately to each instance.
            let size = file.count / 6
            for (n, instance) in [a, b, a, b].enumerated() {
                let sent = try await APIHarness.request(instance.base, "PATCH", path, headers: [tus, chunk, ("Upload-Offset", "\(n * size)")],
                                                        body: file[(n * size)..<((n + 1) * size)])
                #expect(sent.status == 204 && sent.headers["upload-offset"] == "\((n + 1) * size)", "chunk \(n): \(sent.status) \(sent.text)")
            }
            // The fifth goes to A, which dies with half of it on the wire.
            let stored = 4 * size
            let rest = file.suffix(from: stored)
            let cut = try RawRequest(a.base, "PATCH \(path) HTTP/1.1\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: \(stored)\r\nContent-Type: application/offset+octet-stream",
                                     body: Data(rest), send: rest.count / 2)
            try await Task.sleep(for: .milliseconds(500))
            a.process.signal(SIGKILL)
            try await a.process.waitForExit()
            cut.close()

            // B answers where the upload stands: the dead instance's chunk was never recorded.
            let head = try await APIHarness.request(b.base, "HEAD", path, headers: [tus])
            #expect(head.status == 200 && head.headers["upload-offset"] == "\(stored)")
            // A's claim on the upload lapses within its lease (423 until then); then B takes the rest.
            var last = try await APIHarness.request(b.base, "PATCH", path, headers: [tus, chunk, ("Upload-Offset", "\(stored)")], body: Data(rest))
            let deadline = Date().addingTimeInterval(60)
            while last.status == 423, Date() < deadline {
                try await Task.sleep(for: .seconds(1))
                last = try await APIHarness.request(b.base, "PATCH", path, headers: [tus, chunk, ("Upload-Offset", "\(stored)")], body: Data(rest))
            }
            #expect(last.status == 204 && last.headers["upload-offset"] == "\(file.count)", "\(last.status) \(last.text)")
            #expect(last.headers["reel-video-id"] == video)

            // The published source is the file: its digest in the catalog (the callers check the home region's bytes).
            #expect(try await db.scalar(String.self, "SELECT source_digest FROM videos WHERE id = $1", [video]) == ObjectDigest.of(file).hex)
            await b.process.stop()
            return video
        }
    }
}
