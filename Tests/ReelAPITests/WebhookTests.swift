import Foundation
import ReelAPI
import ReelCatalog
import ReelPipeline
import ReelPostgres
import ReelTesting
import ReelWorkers
import Testing

/// Webhooks end to end: endpoints registered through the API, events written
/// by the changes they report, delivered by the worker, and received by
/// scripts/test-helpers/webhook-receiver.py, which believes a delivery only
/// once PyPI's `standardwebhooks` package verifies it, as an app would.
@Suite struct WebhookTests {
    /// A running receiver: its base URL, the secrets file it verifies with, and its log.
    final class Receiver: Sendable {
        let process: SpawnedProcess
        let base: String
        let secrets: URL
        let log: URL

        init(slow: Double = 30) async throws {
            let folder = TestObjectStores.freshFolder("webhooks")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            secrets = folder.appendingPathComponent("secrets")
            log = folder.appendingPathComponent("log.jsonl")
            let output = folder.appendingPathComponent("out")
            process = try SpawnedProcess([TusUploadTests.python.path, PackagePaths.root.appendingPathComponent("scripts/test-helpers/webhook-receiver.py").path,
                                          "--secrets", secrets.path, "--log", log.path, "--slow", "\(slow)"], output: output)
            var port = 0
            try await eventually(timeout: 30, "the receiver to listen") {
                let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("{\"port\"") }),
                      let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let found = json["port"] as? Int
                else { return false }
                port = found
                return true
            }
            base = "http://127.0.0.1:\(port)"
        }

        func trust(_ secrets: [String]) throws { try (secrets.joined(separator: "\n") + "\n").write(to: self.secrets, atomically: true, encoding: .utf8) }

        /// Every request it has had, oldest first.
        func records() -> [[String: Any]] {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func stop() async { _ = await process.stop() }
    }

    /// Loopback allowed, as the issue's tests must; a short timeout and disable-after for the failure tests.
    static func settings(timeout: Double = 15, disableAfter: Double = 3600) throws -> WebhookDeliverySettings {
        WebhookDeliverySettings(timeout: timeout, disableAfter: disableAfter, addresses: try WebhookAddressPolicy(list: "127.0.0.0/8"))
    }

    static func register(_ api: APIHarness, token: String, url: String, events: [String], tenant: String? = nil) async throws -> APIHarness.Reply {
        var body: [String: Any] = ["url": url, "events": events]
        if let tenant { body["tenant"] = tenant }
        return try await api.request("POST", "/v1/webhooks", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                                     body: try JSONSerialization.data(withJSONObject: body))
    }

    @Test func anAppHearsOfEachStepOfItsVideosAndEveryDeliveryVerifies() async throws {
        guard TusUploadTests.installed() else { return }
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: "webhook-admin", openUploads: false, webhooks: try Self.settings())
            let store = TokenStore(pool: db.pool)
            let acme = try await store.create(name: "acme backend", scopes: [.upload], tenant: "acme").token
            let other = try await store.create(name: "other backend", scopes: [.upload], tenant: "other").token
            let receiver = try await Receiver()
            let events = ["video.created", "video.playable", "video.ready", "video.failed", "video.deleted"]
            let registered = try await Self.register(api, token: acme, url: receiver.base + "/ok", events: events)
            #expect(registered.status == 201, "\(registered.text)")
            let secret = try #require(try registered.json()["secret"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            let endpoint = try #require((try registered.json()["endpoint"] as? [String: Any])?["id"] as? Int)
            let stranger = try await Self.register(api, token: other, url: receiver.base + "/ok", events: events)
            let strangerID = try #require((try stranger.json()["endpoint"] as? [String: Any])?["id"] as? Int)
            try receiver.trust([secret])

            // acme's video, from upload to ready, then deleted; and a file that is not a video.
            let clip = try Data(contentsOf: URL(fileURLWithPath: try await TestClips.path("vertical.mp4")))
            let upload = try await api.request("POST", "/v1/uploads?title=hooked", headers: [("Content-Type", "video/mp4"), ("Authorization", "Bearer \(acme)")], body: clip)
            let video = try #require(try upload.json()["id"] as? String, "\(upload.text)")
            let junk = try await api.request("POST", "/v1/uploads", headers: [("Content-Type", "video/mp4"), ("Authorization", "Bearer \(acme)")],
                                             body: Data(repeating: 7, count: 4096))
            let broken = try #require(try junk.json()["id"] as? String)
            try await eventually(timeout: 180, "the video to be ready") { try await api.status(video) == "ready" }
            #expect(try await api.request("DELETE", "/v1/admin/videos/\(video)", headers: [("Authorization", "Bearer webhook-admin")]).status == 200)

            func heard(_ type: String, _ id: String) -> [String: Any]? {
                receiver.records().first { ($0["type"] as? String) == type && (($0["data"] as? [String: Any])?["id"] as? String) == id }
            }
            try await eventually(timeout: 60, "every event to arrive") {
                ["video.created", "video.playable", "video.ready", "video.deleted"].allSatisfy { heard($0, video) != nil }
                    && heard("video.failed", broken) != nil
            }
            let records = receiver.records()
            #expect(records.allSatisfy { $0["verified"] as? Bool == true }, "every delivery verifies with the endpoint's secret: \(records)")
            #expect(Set(records.compactMap { $0["id"] as? String }).count == records.count, "each event has its own webhook-id")
            let ready = try #require(heard("video.ready", video)?["data"] as? [String: Any])
            #expect(ready["tenant"] as? String == "acme" && ready["status"] as? String == "ready")
            #expect((ready["playback"] as? [String: Any])?["hls"] as? String == "/v1/videos/\(video)/master.m3u8")
            let failed = try #require(heard("video.failed", broken)?["data"] as? [String: Any])
            let reason = try #require(failed["error"] as? String)
            #expect(reason == (try await api.request("GET", "/v1/videos/\(broken)").json()["error"] as? String), "the message the uploader sees")
            // In order for one video: created before playable before ready before deleted.
            let order = records.filter { (($0["data"] as? [String: Any])?["id"] as? String) == video }.compactMap { $0["type"] as? String }
            #expect(order == ["video.created", "video.playable", "video.ready", "video.deleted"], "\(order)")

            // Every attempt is on record (a worker writes its row once the answer is back, just after the
            // receiver logged the request), and nothing went to the other tenant's endpoint.
            try await eventually(timeout: 30, "every attempt to be recorded") {
                try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_attempts WHERE endpoint_id = $1", [Int64(endpoint)]) == Int64(records.count)
            }
            let detail = try await api.request("GET", "/v1/webhooks/\(endpoint)", headers: [("Authorization", "Bearer \(acme)")]).json()
            let attempts = try #require(detail["attempts"] as? [[String: Any]])
            #expect(attempts.count == records.count && attempts.allSatisfy { $0["status"] as? Int == 204 && $0["succeeded"] as? Bool == true })
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_attempts WHERE endpoint_id = $1", [Int64(strangerID)]) == 0)
            #expect(try await api.request("GET", "/v1/webhooks/\(strangerID)", headers: [("Authorization", "Bearer \(acme)")]).status == 404)
            let report = try await db.scalar(Int64.self, "SELECT succeeded FROM reel_report_webhook_attempts WHERE endpoint = $1", [Int64(endpoint)])
            #expect(report == Int64(records.count))
            await receiver.stop()
            try await api.stop()
        }
    }

    @Test func aFailingEndpointIsRetriedWithTheSameIdRecordedAndDisabledUntilEnabledByHand() async throws {
        guard TusUploadTests.installed() else { return }
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: "webhook-admin", webhooks: try Self.settings(disableAfter: 2))
            let admin = [("Authorization", "Bearer webhook-admin")]
            let receiver = try await Receiver()
            let registered = try await Self.register(api, token: "webhook-admin", url: receiver.base + "/fail", events: ["video.ready"], tenant: "acme")
            let endpoint = try #require((try registered.json()["endpoint"] as? [String: Any])?["id"] as? Int)
            try receiver.trust([try #require(try registered.json()["secret"] as? String)])
            #expect(try await api.request("POST", "/v1/webhooks/\(endpoint)/test", headers: admin).status == 202)

            // 500, then again after the kind's backoff (about 5 s): past disable-after, so the endpoint is disabled.
            // (No scheduler runs here: the test promotes retryable jobs whose time has come, as it would.)
            try await eventually(timeout: 60, "the endpoint to be disabled") {
                try await db.pool.query("SELECT reel_promote(100)")
                return try await db.scalar(Bool.self, "SELECT disabled_at IS NOT NULL FROM webhook_endpoints WHERE id = $1", [Int64(endpoint)]) == true
            }
            let records = receiver.records()
            #expect(records.count >= 2 && Set(records.compactMap { $0["id"] as? String }).count == 1, "a retry keeps its webhook-id: \(records)")
            #expect(records.allSatisfy { $0["verified"] as? Bool == true })
            let attempts = try await api.request("GET", "/v1/webhooks/\(endpoint)", headers: admin).json()
            let rows = try #require(attempts["attempts"] as? [[String: Any]])
            #expect(rows.count == records.count && rows.allSatisfy { $0["status"] as? Int == 500 && $0["succeeded"] as? Bool == false })
            #expect((attempts["endpoint"] as? [String: Any])?["disabled_reason"] as? String != nil)
            try await eventually(timeout: 30, "the delivery to be discarded") {
                try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE kind = 'webhook.deliver'") == "discarded"
            }
            // Enabled by hand: deliveries go to it again, its failure run starts afresh.
            #expect(try await api.request("POST", "/v1/webhooks/\(endpoint)/enable", headers: admin).status == 200)
            #expect(try await db.scalar(Bool.self, "SELECT disabled_at IS NULL AND failing_since IS NULL FROM webhook_endpoints WHERE id = $1",
                                        [Int64(endpoint)]) == true)
            await receiver.stop()
            try await api.stop()
        }
    }

    @Test func slowTricklingRedirectingAndRefusedEndpointsCannotHoldAWorkerAndAreRecorded() async throws {
        guard TusUploadTests.installed() else { return }
        try await TestDatabase.withFresh { db in
            // 5 s: the receiver answers a head at once, even on a loaded machine; the slow and trickling bodies take 30 s.
            let api = try await APIHarness.start(db, adminToken: "webhook-admin", webhooks: try Self.settings(timeout: 5))
            let admin = [("Authorization", "Bearer webhook-admin")]
            let receiver = try await Receiver(slow: 30)
            var ids: [String: Int] = [:]
            for path in ["slow", "trickle", "redirect"] {
                let registered = try await Self.register(api, token: "webhook-admin", url: receiver.base + "/" + path, events: ["video.ready"])
                ids[path] = try #require((try registered.json()["endpoint"] as? [String: Any])?["id"] as? Int)
                try receiver.trust([try #require(try registered.json()["secret"] as? String)])
                #expect(try await api.request("POST", "/v1/webhooks/\(ids[path] ?? 0)/test", headers: admin).status == 202)
                try await eventually(timeout: 60, "an attempt at /\(path)") {
                    try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_attempts WHERE endpoint_id = $1", [Int64(ids[path] ?? 0)]) ?? 0 > 0
                }
            }
            let slow = try await Webhooks.attempts(endpoint: Int64(ids["slow"] ?? 0), limit: 5, pool: db.pool)
            #expect(slow.first?.status == nil && slow.first?.response.contains("no answer within 5.0 s") == true, "\(slow)")
            let trickle = try await Webhooks.attempts(endpoint: Int64(ids["trickle"] ?? 0), limit: 5, pool: db.pool)
            #expect(trickle.first?.status == 200 && trickle.first?.response.contains("did not arrive within 5.0 s") == true, "\(trickle)")
            let redirect = try await Webhooks.attempts(endpoint: Int64(ids["redirect"] ?? 0), limit: 5, pool: db.pool)
            #expect(redirect.first?.status == 302 && redirect.first?.succeeded == false, "\(redirect)")
            #expect(!receiver.records().contains { $0["path"] as? String == "/ok" }, "the redirect was not followed")

            // An endpoint that points at a refused address (written past the API's check): the worker refuses it too.
            let sneaky = try await Webhooks.add(tenant: "", url: "http://10.1.2.3/hook", events: [.videoReady], description: "",
                                                secret: Webhooks.makeSecret(), pool: db.pool)
            _ = try await WebhookEvents.test(endpoint: sneaky, pool: db.pool)
            try await eventually(timeout: 60, "the refused attempt") {
                try await Webhooks.attempts(endpoint: sneaky.id, limit: 1, pool: db.pool).first?.response.contains("private") == true
            }
            await receiver.stop()
            try await api.stop()
        }
    }

    @Test func aRotatedSecretAndThePreviousOneBothSignDuringTheOverlap() async throws {
        guard TusUploadTests.installed() else { return }
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: "webhook-admin", webhooks: try Self.settings())
            let admin = [("Authorization", "Bearer webhook-admin")]
            let receiver = try await Receiver()
            let registered = try await Self.register(api, token: "webhook-admin", url: receiver.base + "/ok", events: ["video.ready"])
            let endpoint = try #require((try registered.json()["endpoint"] as? [String: Any])?["id"] as? Int)
            let old = try #require(try registered.json()["secret"] as? String)
            let rotated = try await api.request("POST", "/v1/webhooks/\(endpoint)/rotate?overlap_hours=1", headers: admin)
            let new = try #require(try rotated.json()["secret"] as? String)
            #expect(try new != old && rotated.json()["previous_valid_until"] is String)
            for (index, trusted) in [[old], [new]].enumerated() {
                try receiver.trust(trusted)
                #expect(try await api.request("POST", "/v1/webhooks/\(endpoint)/test", headers: admin).status == 202)
                try await eventually(timeout: 60, "test delivery \(index + 1)") { receiver.records().count == index + 1 }
                let record = receiver.records()[index]
                #expect(record["verified"] as? Bool == true && record["signatures"] as? Int == 2, "\(record)")
            }
            // Once the overlap ends, only the new secret signs.
            try await db.pool.query("UPDATE webhook_endpoints SET previous_until = now() - interval '1 second'")
            try receiver.trust([old])
            #expect(try await api.request("POST", "/v1/webhooks/\(endpoint)/test", headers: admin).status == 202)
            try await eventually(timeout: 60, "test delivery 3") { receiver.records().count == 3 }
            #expect(receiver.records()[2]["verified"] as? Bool == false && receiver.records()[2]["signatures"] as? Int == 1)
            await receiver.stop()
            try await api.stop()
        }
    }

    @Test func anUnfinishedUploadThatExpiresIsReported() async throws {
        guard TusUploadTests.installed() else { return }
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: "webhook-admin", webhooks: try Self.settings())
            let receiver = try await Receiver()
            let registered = try await Self.register(api, token: "webhook-admin", url: receiver.base + "/ok", events: ["upload.expired"], tenant: "acme")
            try receiver.trust([try #require(try registered.json()["secret"] as? String)])
            let acme = try await TokenStore(pool: db.pool).create(name: "acme", scopes: [.upload], tenant: "acme").token
            let tus = ("Tus-Resumable", "1.0.0"), bearer = ("Authorization", "Bearer \(acme)")
            let created = try await api.request("POST", "/v1/uploads/tus", headers: [tus, bearer, ("Upload-Length", "1000")])
            let id = try #require(created.headers["reel-video-id"])
            _ = try await api.request("PATCH", "/v1/uploads/tus/\(id)", headers: [tus, bearer, ("Upload-Offset", "0"),
                                                                                  ("Content-Type", "application/offset+octet-stream")], body: Data(count: 300))
            try await db.pool.query("UPDATE uploads SET expires_at = now() - interval '1 second' WHERE id = $1", [id])
            #expect(try await UploadExpiry.run(pool: db.pool) == 1)
            try await eventually(timeout: 60, "upload.expired to arrive") { receiver.records().contains { $0["type"] as? String == "upload.expired" } }
            let record = try #require(receiver.records().first)
            let data = try #require(record["data"] as? [String: Any])
            #expect(record["verified"] as? Bool == true)
            #expect(data["id"] as? String == id && data["tenant"] as? String == "acme" && data["received"] as? Int == 300 && data["length"] as? Int == 1000)
            await receiver.stop()
            try await api.stop()
        }
    }

    @Test func badRegistrationsAreClearRefusalsThatKeepNothing() async throws {
        try await TestDatabase.withFresh { db in
            // The operator allowed no network: loopback and private addresses are refused.
            let api = try await APIHarness.start(db, worker: false, adminToken: "webhook-admin")
            let acme = try await TokenStore(pool: db.pool).create(name: "acme", scopes: [.upload], tenant: "acme").token
            for (url, says) in [("http://127.0.0.1:9/hook", "loopback"), ("https://10.0.0.7/hook", "private"), ("https://169.254.169.254/latest", "link-local"),
                                ("https://[::1]/hook", "loopback"), ("https://[::ffff:192.168.1.1]/hook", "private"), ("https://localhost/hook", "loopback"),
                                ("ftp://example.com/hook", "not a web address"), ("https://user:pw@example.com/", "user name")] {
                let refused = try await Self.register(api, token: acme, url: url, events: ["video.ready"])
                #expect(refused.status == 422 && refused.text.contains(says), "\(url): \(refused.status) \(refused.text)")
            }
            let unknown = try await Self.register(api, token: acme, url: "https://hooks.example.com/x", events: ["video.exploded"])
            #expect(unknown.status == 400 && unknown.text.contains("video.ready"))
            #expect(try await Self.register(api, token: acme, url: "https://hooks.example.com/x", events: ["video.ready"], tenant: "other").status == 403)
            let anonymous = try await api.request("POST", "/v1/webhooks", headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
            #expect(anonymous.status == 401)
            let misspelt = try await api.request("POST", "/v1/webhooks", headers: [("Authorization", "Bearer \(acme)")],
                                                 body: Data(#"{"url": "https://hooks.example.com/x", "event": ["video.ready"]}"#.utf8))
            #expect(misspelt.status == 400 && misspelt.text.contains("'event'"))
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_endpoints") == 0)
            try await api.stop()
        }
    }
}
