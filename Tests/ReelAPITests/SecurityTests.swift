import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import ReelAPI
import ReelTesting
import Testing

/// Tokens with scopes, per-token upload limits, body limits and signed
/// playback URLs, each over HTTP against the API on loopback.
@Suite struct SecurityTests {
    @Test func aTokenOfOneScopeCannotDoAnothersWork() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, worker: false, openUploads: false)
            let store = TokenStore(pool: db.pool)
            let uploader = try await store.create(name: "acme uploader", scopes: [.upload], tenant: "acme").token
            let reader = try await store.create(name: "dashboard viewer", scopes: [.readAdmin]).token
            let admin = try await store.create(name: "operator", scopes: [.admin]).token
            let clip = try Data(contentsOf: URL(fileURLWithPath: try await TestClips.path("rotated.mp4")))
            func upload(_ token: String?, owner: String = "") async throws -> APIHarness.Reply {
                var headers = [("Content-Type", "video/mp4")]
                if let token { headers.append(("Authorization", "Bearer \(token)")) }
                return try await api.request("POST", "/v1/uploads?title=t&owner=\(owner)", headers: headers, body: clip)
            }
            func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer \(token)")] }

            // Uploads: no token is a 401 that says how to get one; other scopes are 403s.
            let anonymous = try await upload(nil)
            #expect(anonymous.status == 401)
            #expect(try errorCode(anonymous) == "unauthorized" && anonymous.text.contains("reel tokens create --scope upload"))
            let byReader = try await upload(reader)
            #expect(byReader.status == 403 && byReader.text.contains("needs 'upload'"))
            #expect(try await upload(admin).status == 403)
            #expect(try await upload("reel_not-a-real-token").status == 401)

            // The uploader's videos belong to its tenant; it cannot upload as another.
            let made = try await upload(uploader)
            #expect(made.status == 201)
            let id = try #require(try made.json()["id"] as? String)
            #expect(try await db.scalar(String.self, "SELECT owner FROM videos WHERE id = $1", [id]) == "acme")
            let asOther = try await upload(uploader, owner: "globex")
            #expect(asOther.status == 403 && asOther.text.contains("tenant 'acme'"))

            // The admin API: read-admin reads, only admin acts.
            #expect(try await api.request("GET", "/v1/admin/queues").status == 401)
            #expect(try await api.request("GET", "/v1/admin/queues", headers: bearer(uploader)).status == 403)
            #expect(try await api.request("GET", "/v1/admin/queues", headers: bearer(reader)).status == 200)
            let job = try #require(try await db.scalar(Int64.self, "SELECT min(id) FROM reel_jobs WHERE kind = 'video.ingest'"))
            let readerCancel = try await api.request("POST", "/v1/admin/jobs/\(job)/cancel", headers: bearer(reader))
            #expect(readerCancel.status == 403 && readerCancel.text.contains("needs 'admin'"))
            #expect(try await api.request("DELETE", "/v1/admin/videos/\(id)", headers: bearer(reader)).status == 403)
            #expect(try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE id = $1", [job]) == "available")
            #expect(try await api.request("POST", "/v1/admin/jobs/\(job)/cancel", headers: bearer(admin)).status == 200)
            #expect(try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE id = $1", [job]) == "cancelled")

            // Only digests are stored, and a revoked token stops working.
            let rows = try await db.scalar(String.self, "SELECT string_agg(t::text, ' ') FROM reel_api_tokens t")
            #expect(!(rows ?? "").contains(uploader) && !(rows ?? "").contains(admin))
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_api_tokens WHERE token_sha256 = sha256($1::bytea)", [uploader]) == 1)
            let listed = try #require(try await store.list().first { $0.name == "acme uploader" })
            #expect(try await store.revoke(listed.id))
            let revoked = try await upload(uploader)
            #expect(revoked.status == 401 && revoked.text.contains("unknown or revoked"))
            try await api.stop()
        }
    }

    @Test func aTokensUploadsAMinuteAreLimitedWithRetryAfter() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, worker: false, openUploads: false)
            let token = try await TokenStore(pool: db.pool).create(name: "limited", scopes: [.upload], uploadsPerMinute: 2).token
            // Stay inside one minute: the window is a calendar minute.
            let second = Int(Date().timeIntervalSince1970) % 60
            if second > 50 { try await Task.sleep(for: .seconds(61 - second)) }
            func open() async throws -> APIHarness.Reply {
                try await api.request("POST", "/v1/uploads/resumable", headers: [
                    ("Authorization", "Bearer \(token)"), ("Content-Type", "video/mp4"), ("Upload-Length", "1000"),
                ])
            }
            #expect(try await open().status == 201)
            #expect(try await open().status == 201)
            let third = try await open()
            #expect(try third.status == 429 && errorCode(third) == "rate_limited")
            let retryAfter = try #require(third.headers["retry-after"].flatMap(Int.init))
            #expect((1...60).contains(retryAfter))
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM uploads") == 2)
            try await api.stop()
        }
    }

    @Test func anUploadOverTheBodyLimitIsRefusedWith413() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, maxUploadBytes: 64 << 10, worker: false, openUploads: false)
            let token = try await TokenStore(pool: db.pool).create(name: "u", scopes: [.upload]).token
            let big = try await api.request("POST", "/v1/uploads", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "video/mp4")],
                                            body: Data(count: 200 << 10))
            #expect(try big.status == 413 && errorCode(big) == "too_large")
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM videos") == 0)
            try await api.stop()
        }
    }

    @Test func signedPlaybackURLsExpireAndCarryIntoEveryPlaylist() async throws {
        try await TestDatabase.withFresh { db in
            let signer = try PlaybackSigner(key: "a-test-key-that-is-at-least-32-bytes-long")
            #expect(throws: TokenError.self) { try PlaybackSigner(key: "short") }
            let api = try await APIHarness.start(db, adminToken: "bootstrap-token-for-the-test", playbackSigner: signer)
            let id = try await api.upload(try await TestClips.path("rotated.mp4"))
            let bearer = [("Authorization", "Bearer bootstrap-token-for-the-test")]
            try await eventually(timeout: 180, "the video to be ready") {
                try await api.request("GET", "/v1/videos/\(id)", headers: bearer).json()["status"] as? String == "ready"
            }
            let good = signer.query(video: id, expires: Date().addingTimeInterval(600))

            // Without a signature, with an expired one, or one for another video: 403 saying which.
            let bare = try await api.request("GET", "/v1/videos/\(id)/master.m3u8")
            #expect(try bare.status == 403 && errorCode(bare) == "signature_required")
            let expired = try await api.request("GET", "/v1/videos/\(id)/master.m3u8?" + signer.query(video: id, expires: Date().addingTimeInterval(-5)))
            #expect(expired.status == 403 && expired.text.contains("expired"))
            let other = try await api.request("GET", "/v1/videos/\(id)/master.m3u8?" + signer.query(video: "someothervideo1", expires: Date().addingTimeInterval(600)))
            #expect(other.status == 403 && other.text.contains("does not match"))
            #expect(try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s").status == 403)
            #expect(try await api.request("GET", "/v1/videos/\(id)").status == 403)

            // With one: every URL in the master and media playlists and the MPD carries it, and each answers.
            let master = try await api.request("GET", "/v1/videos/\(id)/master.m3u8?" + good)
            #expect(master.status == 200)
            let uris = master.text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
            #expect(!uris.isEmpty && uris.allSatisfy { $0.hasSuffix("?" + good) })
            let rung = try #require(uris.first).split(separator: "?")[0].split(separator: "/")[0]
            let media = try await api.request("GET", "/v1/videos/\(id)/\(rung)/index.m3u8?" + good)
            #expect(media.status == 200 && media.text.contains("#EXT-X-MAP:URI=\"init.mp4?\(good)\""))
            let firstSegment = try #require(media.text.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty })
            #expect(try await api.request("GET", "/v1/videos/\(id)/\(rung)/\(firstSegment)").status == 200)
            #expect(try await api.request("GET", "/v1/videos/\(id)/\(rung)/init.mp4?" + good).status == 200)
            let mpd = try await api.request("GET", "/v1/videos/\(id)/manifest.mpd?" + good)
            let escaped = good.replacingOccurrences(of: "&", with: "&amp;")
            #expect(mpd.status == 200 && mpd.text.contains("$Number$.m4s?\(escaped)\"") && mpd.text.contains("init.mp4?\(escaped)\""))
            #expect((try? XMLDocument(data: mpd.body)) != nil)
            let metadata = try await api.request("GET", "/v1/videos/\(id)?" + good).json()
            #expect((metadata["urls"] as? [String: Any])?["hls"] as? String == "/v1/videos/\(id)/master.m3u8?\(good)")
            // An operator's token stands in for a signature, and that answer is kept by no shared cache.
            let byOperator = try await api.request("GET", "/v1/videos/\(id)/master.m3u8", headers: bearer)
            #expect(byOperator.status == 200 && byOperator.headers["cache-control"] == "private, no-store")
            #expect(master.headers["cache-control"]?.hasPrefix("public") == true)
            let page = try await api.request("GET", "/v1/videos/\(id)/player?" + good)
            #expect(page.status == 200 && page.text.contains("master.m3u8?\(escaped)"))
            try await api.stop()
        }
    }

    @Test func theSignatureIsCarriedIntoAudioRenditionsAndMapsToo() {
        let master = "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",URI=\"audio/index.m3u8\"\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8\n"
        let signed = PlaybackSigner.carry("exp=1&sig=x", into: master)
        #expect(signed == "#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",URI=\"audio/index.m3u8?exp=1&sig=x\"\n#EXT-X-STREAM-INF:BANDWIDTH=1\n360p/index.m3u8?exp=1&sig=x\n")
    }

    func errorCode(_ reply: APIHarness.Reply) throws -> String? {
        (try reply.json()["error"] as? [String: Any])?["code"] as? String
    }
}
