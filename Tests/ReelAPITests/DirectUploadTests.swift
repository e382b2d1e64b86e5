import Foundation
import ReelAPI
import ReelPostgres
import ReelTesting
import Testing

/// Direct uploads: an app's backend asks for a one-time tus URL with its
/// token; a phone (tuspy, with no token) uploads to it; the URL then stops
/// working. Everything over HTTP against the API on loopback.
@Suite struct DirectUploadTests {
    /// The backend's ask: `POST /v1/uploads/direct` with its token.
    static func ask(_ api: APIHarness, token: String?, _ body: [String: Any]) async throws -> APIHarness.Reply {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await api.request("POST", "/v1/uploads/direct", headers: headers, body: try JSONSerialization.data(withJSONObject: body))
    }

    @Test func aPhoneUploadsWithTuspyToTheURLTheBackendGotAndTheURLThenStopsWorking() async throws {
        guard TusUploadTests.installed() else { return }
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, openUploads: false)
            let backend = try await TokenStore(pool: db.pool).create(name: "acme backend", scopes: [.upload], tenant: "acme").token
            let path = try await TestClips.path("vertical.mp4")
            let file = try Data(contentsOf: URL(fileURLWithPath: path))

            let granted = try await Self.ask(api, token: backend, [
                "max_bytes": file.count + 10, "expires_in": 600, "title": "from the phone", "metadata": ["campaign": "winter"]])
            #expect(granted.status == 201, "\(granted.text)")
            let grant = try granted.json()
            let id = try #require(grant["id"] as? String)
            let url = try #require(grant["url"] as? String)
            #expect(url.hasPrefix(api.base + "/v1/uploads/direct/du_"), "\(url)")
            #expect(grant["max_bytes"] as? Int == file.count + 10 && grant["expires_at"] is String)
            // The URL is the credential: only its SHA-256 is stored.
            let secret = String(url.split(separator: "/").last ?? "")
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM direct_uploads WHERE secret_sha256 = sha256(convert_to($1, 'UTF8'))", [secret]) == 1)

            // The phone: tuspy, no token, 64 KiB chunks with checksums; its title is overridden by the backend's.
            let phone = try await TusUploadTests.client(["upload", path, "--endpoint", url, "--chunk", "65536", "--checksum", "--title", "phone title"])
            #expect(phone["video_id"] as? String == id, "\(phone)")
            #expect(phone["url"] as? String == url)
            try await TusUploadTests.expectPublished(api, id, from: file, title: "from the phone")
            #expect(try await db.scalar(String.self, "SELECT owner FROM videos WHERE id = $1", [id]) == "acme")
            let head = try await api.request("HEAD", String(url.dropFirst(api.base.count)), headers: [("Tus-Resumable", "1.0.0")])
            #expect(head.status == 200 && head.headers["upload-offset"] == "\(file.count)" && head.headers["reel-video-id"] == id)
            #expect(head.headers["upload-metadata"]?.contains("campaign \(Data("winter".utf8).base64EncodedString())") == true)

            // Used: a second upload to the same URL is refused, and so are more bytes.
            let again = try await api.request("POST", String(url.dropFirst(api.base.count)),
                                              headers: [("Tus-Resumable", "1.0.0"), ("Upload-Length", "100")])
            #expect(again.status == 410 && again.text.contains("has been used"), "\(again.status) \(again.text)")
            let more = try await api.request("PATCH", String(url.dropFirst(api.base.count)), headers: [
                ("Tus-Resumable", "1.0.0"), ("Upload-Offset", "\(file.count)"), ("Content-Type", "application/offset+octet-stream")],
                body: Data([1, 2, 3]))
            #expect(more.status == 410)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM videos") == 1)
            try await api.stop()
        }
    }

    @Test func theURLHoldsTheBackendsLimitsAndRefusesWhatFallsOutside() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, maxUploadBytes: 1 << 20, worker: false, openUploads: false)
            let store = TokenStore(pool: db.pool)
            let backend = try await store.create(name: "backend", scopes: [.upload], tenant: "acme").token
            let reader = try await store.create(name: "reader", scopes: [.readAdmin]).token
            let tus = ("Tus-Resumable", "1.0.0")

            // Asking: a token with the upload scope, and sane bounds.
            #expect(try await Self.ask(api, token: nil, [:]).status == 401)
            #expect(try await Self.ask(api, token: reader, [:]).status == 403)
            let tooBig = try await Self.ask(api, token: backend, ["max_bytes": 2 << 20])
            #expect(tooBig.status == 400 && tooBig.text.contains("max_bytes"))
            #expect(try await Self.ask(api, token: backend, ["expires_in": 5]).status == 400)
            #expect(try await Self.ask(api, token: backend, ["metadata": ["bad key": "x"]]).status == 400)
            #expect(try await Self.ask(api, token: backend, ["owner": "other"]).status == 403)
            let notJSON = try await api.request("POST", "/v1/uploads/direct", headers: [("Authorization", "Bearer \(backend)")], body: Data("max_bytes=5".utf8))
            #expect(notJSON.status == 400 && notJSON.text.contains("JSON object"))
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM direct_uploads") == 0)

            let grant = try await Self.ask(api, token: backend, ["max_bytes": 1000]).json()
            let url = try #require(grant["url"] as? String)
            let path = String(url.dropFirst(api.base.count))
            let options = try await api.request("OPTIONS", path)
            #expect(options.status == 204 && options.headers["tus-max-size"] == "1000")
            // Bigger than the URL allows: 413 and nothing kept, the URL still unused.
            #expect(try await api.request("POST", path, headers: [tus, ("Upload-Length", "1001")]).status == 413)
            #expect(try await api.request("HEAD", path, headers: [tus]).status == 404)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM uploads") == 0)

            // Created with a deferred length: the URL's limit still holds when the length comes.
            let created = try await api.request("POST", path, headers: [tus, ("Upload-Defer-Length", "1")])
            #expect(created.status == 201 && created.headers["location"] == path && created.headers["reel-video-id"] == grant["id"] as? String)
            let over = try await api.request("PATCH", path, headers: [
                tus, ("Upload-Offset", "0"), ("Upload-Length", "5000"), ("Content-Type", "application/offset+octet-stream")], body: Data(count: 10))
            #expect(over.status == 400, "\(over.status) \(over.text)")
            // Without a token, the tus endpoint does not reach the upload: only its URL does.
            #expect(try await api.request("HEAD", "/v1/uploads/tus/\(grant["id"] as? String ?? "")", headers: [tus]).status == 401)
            // Terminated by the phone: the URL makes no new upload.
            #expect(try await api.request("DELETE", path, headers: [tus]).status == 204)
            #expect(try await api.request("POST", path, headers: [tus, ("Upload-Length", "10")]).status == 410)

            // Expired before use: 410 that says so; unknown secrets: 404.
            let late = try await Self.ask(api, token: backend, ["expires_in": 60]).json()
            let latePath = String((late["url"] as? String ?? "").dropFirst(api.base.count))
            try await db.pool.query("UPDATE direct_uploads SET expires_at = now() - interval '1 second' WHERE id = $1", [late["id"] as? String ?? ""])
            let expired = try await api.request("POST", latePath, headers: [tus, ("Upload-Length", "10")])
            #expect(expired.status == 410 && expired.text.contains("expired"))
            #expect(try await api.request("POST", "/v1/uploads/direct/du_nothing", headers: [tus, ("Upload-Length", "10")]).status == 404)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM uploads") == 0)
            try await api.stop()
        }
    }
}
