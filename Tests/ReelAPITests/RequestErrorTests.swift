import Foundation
import ReelStore
import ReelTesting
import Testing

/// Bad requests get a 4xx with a JSON body that says what to do.
@Suite struct RequestErrorTests {
    func errorCode(_ reply: APIHarness.Reply) throws -> String? {
        (try reply.json()["error"] as? [String: Any])?["code"] as? String
    }

    @Test func badRequestsGetClearJSONErrors() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, maxUploadBytes: 4096, worker: false)
            let unknown = try await api.request("GET", "/v1/videos/AAAAAAAAAAAA")
            #expect(unknown.status == 404)
            #expect(try errorCode(unknown) == "not_found")
            #expect(unknown.headers["content-type"] == "application/json")
            let invalid = try await api.request("GET", "/v1/videos/not-an-id!")
            #expect(invalid.status == 400)
            #expect(try errorCode(invalid) == "bad_request")
            let route = try await api.request("GET", "/v1/nothing-here")
            #expect(route.status == 404)
            #expect(try errorCode(route) == "not_found")
            // The process's metrics are shared by every API this test process runs: compare before and after.
            let before = try await api.request("GET", "/metrics").text
            let text = try await api.request("POST", "/v1/uploads", headers: [("Content-Type", "text/plain")], body: Data("hello".utf8))
            #expect(text.status == 415)
            #expect(try errorCode(text) == "unsupported_media_type")
            #expect(text.text.contains("video/*"))
            let large = try await api.request("POST", "/v1/uploads", headers: [("Content-Type", "video/mp4")], body: Data(count: 10_000))
            #expect(large.status == 413)
            #expect(try errorCode(large) == "too_large")
            let empty = try await api.request("POST", "/v1/uploads", headers: [("Content-Type", "video/mp4")], body: Data())
            #expect(empty.status == 400 && empty.text.contains("empty"))
            // Nothing was stored or cataloged by the refused uploads.
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM videos") == 0)
            #expect(try await api.regions.home.store.list(after: nil, limit: 10).isEmpty)
            #expect(try await api.request("GET", "/healthz").status == 200)
            #expect(try await api.request("GET", "/readyz").status == 200)
            let metrics = try await api.request("GET", "/metrics")
            #expect(metrics.status == 200)
            for status in ["415", "413", "400"] {
                let labels = ["route": "/v1/uploads", "method": "POST", "status": status]
                #expect(PrometheusText.value(metrics.text, "reel_http_requests_total", labels)
                        > PrometheusText.value(before, "reel_http_requests_total", labels), "\(status): \(metrics.text)")
                #expect(PrometheusText.value(metrics.text, "reel_http_request_duration_seconds_count", labels) >= 1)
            }
            // An unknown id is looked up in Postgres once, then remembered as absent (for 10 s:
            // the two reads come one after the other, however slow the machine).
            _ = try await api.request("GET", "/v1/videos/BBBBBBBBBBBB")
            _ = try await api.request("GET", "/v1/videos/BBBBBBBBBBBB")
            let after = try await api.request("GET", "/metrics")
            let absent = ["source": "cache_absent"]
            #expect(PrometheusText.value(after.text, "reel_catalog_reads_total", absent)
                    > PrometheusText.value(metrics.text, "reel_catalog_reads_total", absent), "\(after.text)")
            try await api.stop()
        }
    }

    @Test func aCorruptUploadIsAcceptedThenFailsWithAReason() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let id = try await api.upload(try await TestClips.path("not-a-video.mp4"), type: "application/octet-stream")
            try await eventually(timeout: 60, "the video to fail") { try await api.status(id) == "failed" }
            let metadata = try await api.request("GET", "/v1/videos/\(id)").json()
            #expect((metadata["error"] as? String)?.contains("not a readable media file") == true)
            let master = try await api.request("GET", "/v1/videos/\(id)/master.m3u8")
            #expect(master.status == 404 && master.text.contains("status failed"))
            // Names in URLs are looked up in the catalog, never joined into a
            // path: traversal gets a JSON 4xx, not a file.
            for path in ["/v1/videos/\(id)/..%2F..%2FPackage.swift", "/v1/videos/\(id)/%2E%2E/init.mp4",
                         "/v1/videos/\(id)/audio/..%2F..%2F..%2Fetc%2Fpasswd", "/v1/videos/..%2F\(id)"] {
                let reply = try await api.request("GET", path)
                #expect((400..<500).contains(reply.status), "\(path): \(reply.status)")
                #expect(reply.headers["content-type"] == "application/json", "\(path)")
                #expect(!reply.text.contains("root:") && !reply.text.contains("PackageDescription"), "\(path)")
            }
            try await api.stop()
        }
    }
}
