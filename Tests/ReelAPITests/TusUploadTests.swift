import Crypto
import Foundation
import ReelAPI
import ReelCatalog
import ReelPipeline
import ReelPostgres
import ReelStore
import ReelTesting
import Testing

/// tus 1.0.0 at /v1/uploads/tus, driven by tuspy (PyPI's tus client, installed
/// by scripts/services/install-clients.sh) as an app would, and by raw
/// requests for what a client must be refused.
@Suite struct TusUploadTests {
    static var python: URL { PackagePaths.root.appendingPathComponent(".venv-clients/bin/python") }
    static let token = "tus-test-admin-token-2026"

    /// Runs scripts/test-helpers/tus-client.py; returns its last line as JSON.
    static func client(_ arguments: [String]) async throws -> [String: Any] {
        let script = PackagePaths.root.appendingPathComponent("scripts/test-helpers/tus-client.py").path
        let run = try await ChildProcess.run([python.path, script] + arguments)
        let last = run.output.split(separator: "\n").last.map(String.init) ?? ""
        let json = (try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]) ?? nil
        guard let json else {
            Issue.record("tus-client.py \(arguments.first ?? "") printed no result (exit \(run.status)):\n\(run.output.suffix(3000))")
            return [:]
        }
        return json
    }

    static func installed() -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            Issue.record("tuspy is not installed: run scripts/services/install-clients.sh (scripts/test.sh does)")
            return false
        }
        return true
    }

    /// A tus endpoint that needs a token, and the clip to upload to it.
    static func withClip(_ body: @Sendable (APIHarness, String, Data, String) async throws -> Void) async throws {
        guard installed() else { return }
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: token, openUploads: false)
            let path = try await TestClips.path("vertical.mp4")
            try await body(api, path, try Data(contentsOf: URL(fileURLWithPath: path)), api.base + "/v1/uploads/tus")
            try await api.stop()
        }
    }

    /// The published source must be the uploaded file, byte for byte.
    static func expectPublished(_ api: APIHarness, _ id: String, from file: Data, title: String? = nil) async throws {
        try await eventually(timeout: 180, "video \(id) to be ready") { try await api.status(id) == "ready" }
        let digest = try await api.db.scalar(String.self, "SELECT source_digest FROM videos WHERE id = $1", [id])
        #expect(digest == ObjectDigest.of(file).hex)
        if let title { #expect(try await api.request("GET", "/v1/videos/\(id)").json()["title"] as? String == title) }
    }

    @Test func tuspyUploadsInChunksWithChecksumsAndWithADeferredLength() async throws {
        try await Self.withClip { api, path, file, endpoint in
            // 64 KiB chunks, each with its sha1 in Upload-Checksum; metadata names the title and type.
            let whole = try await Self.client(["upload", path, "--endpoint", endpoint, "--token", Self.token,
                                               "--chunk", "65536", "--checksum", "--title", "tus whole"])
            let id = try #require(whole["video_id"] as? String, "\(whole)")
            #expect((whole["url"] as? String)?.hasSuffix("/v1/uploads/tus/\(id)") == true)
            try await Self.expectPublished(api, id, from: file, title: "tus whole")

            // Created without Upload-Length; the last chunk declares it (plain requests: tuspy 1.1 cannot defer).
            let deferred = try await Self.client(["upload", path, "--endpoint", endpoint, "--token", Self.token,
                                                  "--chunk", "100000", "--defer", "--title", "tus deferred"])
            let other = try #require(deferred["video_id"] as? String, "\(deferred)")
            try await Self.expectPublished(api, other, from: file, title: "tus deferred")
        }
    }

    @Test func anUploadWhoseClientIsKilledHalfwayIsResumedByANewClientFromTheStoredURL() async throws {
        try await Self.withClip { api, path, file, endpoint in
            let storage = TestObjectStores.freshFolder("tus-urls").appendingPathExtension("json").path
            let killed = try await Self.client(["killed", path, "--endpoint", endpoint, "--token", Self.token, "--storage", storage,
                                                "--fraction", "0.5"])
            let url = try #require(killed["url"] as? String, "\(killed)")
            // The server keeps what arrived once it sees the connection die.
            try await eventually(timeout: 120, "the server to store the bytes that arrived") {
                let head = try await api.request("HEAD", String(url.dropFirst(api.base.count)),
                                                 headers: [("Tus-Resumable", "1.0.0"), ("Authorization", "Bearer \(Self.token)")])
                return (Int(head.headers["upload-offset"] ?? "") ?? 0) > 0
            }
            let resumed = try await Self.client(["resume", path, "--endpoint", endpoint, "--token", Self.token, "--storage", storage])
            #expect(resumed["url"] as? String == url)
            let from = try #require(resumed["resumed_from"] as? Int, "\(resumed)")
            #expect(from > 0 && from < file.count, "resumed from \(from) of \(file.count)")
            let id = try #require(resumed["video_id"] as? String)
            try await Self.expectPublished(api, id, from: file)
        }
    }

    @Test func protocolErrorsAreClearAndKeepNothing() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, maxUploadBytes: 1 << 20, worker: false)
            let tus = ("Tus-Resumable", "1.0.0")
            let chunk = ("Content-Type", "application/offset+octet-stream")

            let options = try await api.request("OPTIONS", "/v1/uploads/tus")
            #expect(options.status == 204 && options.headers["tus-version"] == "1.0.0" && options.headers["tus-max-size"] == "\(1 << 20)")
            #expect(options.headers["tus-extension"] == "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination")
            #expect(options.headers["tus-checksum-algorithm"] == "sha1,sha256")

            // Without the protocol version: 412, with the versions spoken.
            let unversioned = try await api.request("POST", "/v1/uploads/tus", headers: [("Upload-Length", "10")])
            #expect(unversioned.status == 412 && unversioned.headers["tus-version"] == "1.0.0")
            #expect(try await api.request("POST", "/v1/uploads/tus", headers: [tus, ("Upload-Length", "\(2 << 20)")]).status == 413)
            #expect(try await api.request("POST", "/v1/uploads/tus", headers: [tus]).status == 400)
            let badMetadata = try await api.request("POST", "/v1/uploads/tus", headers: [tus, ("Upload-Length", "10"), ("Upload-Metadata", "title ***")])
            #expect(badMetadata.status == 400 && badMetadata.text.contains("not base64"))
            let notVideo = try await api.request("POST", "/v1/uploads/tus", headers: [
                tus, ("Upload-Length", "10"), ("Upload-Metadata", "filetype \(Data("text/html".utf8).base64EncodedString())")])
            #expect(notVideo.status == 415)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM uploads") == 0)

            // Creation with upload: the first bytes come with the creation request.
            let bytes = Data((0..<1000).map { UInt8($0 % 251) })
            let metadata = "title \(Data("héllo".utf8).base64EncodedString()),private"
            let created = try await api.request("POST", "/v1/uploads/tus", headers: [
                tus, chunk, ("Upload-Length", "\(bytes.count)"), ("Upload-Metadata", metadata)], body: bytes.prefix(400))
            #expect(created.status == 201 && created.headers["upload-offset"] == "400" && created.headers["tus-resumable"] == "1.0.0")
            let url = try #require(created.headers["location"])
            #expect(created.headers["reel-video-id"].map { url.hasSuffix("/\($0)") } == true)
            #expect(created.headers["upload-expires"]?.hasSuffix(" GMT") == true)
            let head = try await api.request("HEAD", url, headers: [tus])
            #expect(head.status == 200 && head.headers["upload-offset"] == "400" && head.headers["upload-length"] == "1000")
            #expect(head.headers["upload-metadata"] == metadata && head.headers["cache-control"] == "no-store")

            // A chunk at the wrong offset: 409; without the chunk type: 415.
            #expect(try await api.request("PATCH", url, headers: [tus, chunk, ("Upload-Offset", "0")], body: bytes).status == 409)
            #expect(try await api.request("PATCH", url, headers: [tus, ("Content-Type", "video/mp4"), ("Upload-Offset", "400")],
                                          body: bytes.suffix(600)).status == 415)
            // A chunk whose checksum does not match: 460, and not one of its bytes is kept.
            let good = Data(SHA256.hash(data: bytes[400..<700])).base64EncodedString()
            let wrong = Data(SHA256.hash(data: Data("other".utf8))).base64EncodedString()
            let mismatch = try await api.request("PATCH", url, headers: [tus, chunk, ("Upload-Offset", "400"), ("Upload-Checksum", "sha256 \(wrong)")],
                                                 body: bytes[400..<700])
            #expect(mismatch.status == 460 && mismatch.headers["tus-resumable"] == "1.0.0")
            #expect(try await api.request("HEAD", url, headers: [tus]).headers["upload-offset"] == "400")
            #expect(try await api.request("PATCH", url, headers: [tus, chunk, ("Upload-Offset", "400"), ("Upload-Checksum", "md5 AAAA")],
                                          body: bytes[400..<700]).status == 400)
            let matched = try await api.request("PATCH", url, headers: [tus, chunk, ("Upload-Offset", "400"), ("Upload-Checksum", "sha256 \(good)")],
                                                body: bytes[400..<700])
            #expect(matched.status == 204 && matched.headers["upload-offset"] == "700")
            // More bytes than the upload's length: 413 before any is stored.
            #expect(try await api.request("PATCH", url, headers: [tus, chunk, ("Upload-Offset", "700")], body: Data(count: 400)).status == 413)
            #expect(try await api.request("HEAD", url, headers: [tus]).headers["upload-offset"] == "700")

            // Termination: 204, then the upload and its bytes are gone.
            let id = String(url.split(separator: "/").last ?? "")
            #expect(FileManager.default.fileExists(atPath: api.spool.appendingPathComponent("resumable-\(id)").path))
            #expect(try await api.request("DELETE", url, headers: [tus]).status == 204)
            #expect(try await api.request("HEAD", url, headers: [tus]).status == 404)
            #expect(try await api.request("PATCH", url, headers: [tus, chunk, ("Upload-Offset", "700")], body: bytes.suffix(300)).status == 404)
            #expect(!FileManager.default.fileExists(atPath: api.spool.appendingPathComponent("resumable-\(id)").path))

            // Expiration: past Upload-Expires an unfinished upload answers 410; then it is removed with its bytes.
            let deferred = try await api.request("POST", "/v1/uploads/tus", headers: [tus, ("Upload-Defer-Length", "1")])
            let late = try #require(deferred.headers["location"])
            #expect(try await api.request("HEAD", late, headers: [tus]).headers["upload-defer-length"] == "1")
            // Its day passes: the row's expiry moves to the past, as time would move it.
            let lateID = String(late.split(separator: "/").last ?? "")
            _ = try await db.pool.query("UPDATE uploads SET expires_at = now() - interval '1 second' WHERE id = $1", [lateID])
            #expect(try await api.request("HEAD", late, headers: [tus]).status == 410)
            #expect(try await api.request("PATCH", late, headers: [tus, chunk, ("Upload-Offset", "0")], body: bytes).status == 410)
            #expect(try await UploadExpiry.run(pool: db.pool) == 1)
            #expect(try await api.api.sweepSpool() == 1)
            #expect(try await api.request("HEAD", late, headers: [tus]).status == 404)
            try await api.stop()
        }
    }
}
