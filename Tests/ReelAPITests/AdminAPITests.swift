import Foundation
import ReelCatalog
import ReelStore
import ReelTesting
import ReelWorkers
import Testing

/// The admin API: token, jobs, retry and cancel, deleting a video, and the
/// garbage collection that removes its objects afterwards.
@Suite struct AdminAPITests {
    let token = "test-admin-token"
    var auth: [(String, String)] { [("Authorization", "Bearer \(token)")] }

    @Test func theAdminAPINeedsItsToken() async throws {
        try await TestDatabase.withFresh { db in
            // Without a bootstrap token, that token is nobody's.
            let off = try await APIHarness.start(db, worker: false)
            #expect(try await off.request("GET", "/v1/admin/queues", headers: auth).status == 401)
            try await off.stop()
            let api = try await APIHarness.start(db, worker: false, adminToken: token)
            #expect(try await api.request("GET", "/v1/admin/queues").status == 401)
            #expect(try await api.request("GET", "/v1/admin/queues", headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(try await api.request("GET", "/v1/admin/queues", headers: auth).status == 200)
            try await api.stop()
        }
    }

    @Test func jobsCanBeListedRetriedAndCancelled() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: token)
            _ = try await api.upload(try await TestClips.path("not-a-video.mp4"))
            try await eventually(timeout: 60, "the ingest job to be discarded") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE state = 'discarded'") == 1
            }
            let listed = try await api.request("GET", "/v1/admin/jobs?state=discarded", headers: auth)
            let jobs = try #require(try JSONSerialization.jsonObject(with: listed.body) as? [[String: Any]])
            #expect(jobs.count == 1 && jobs.first?["kind"] as? String == "video.ingest")
            let id = try #require(jobs.first?["id"] as? Int)
            let shown = try await api.request("GET", "/v1/admin/jobs/\(id)", headers: auth)
            #expect(shown.text.contains("not a readable media file"))
            #expect(try await api.request("POST", "/v1/admin/jobs/\(id)/retry", headers: auth).status == 200)
            try await eventually(timeout: 60, "the retried job to fail again") {
                try await db.scalar(Int.self, "SELECT attempt FROM reel_jobs WHERE id = $1 AND state = 'discarded'", [id]) == 2
            }
            // A finished job cannot be cancelled; a bad state filter is a 400.
            #expect(try await api.request("POST", "/v1/admin/jobs/\(id)/cancel", headers: auth).status == 409)
            #expect(try await api.request("GET", "/v1/admin/jobs?state=lost", headers: auth).status == 400)
            try await api.stop()
        }
    }

    @Test func aDeletedVideoIsGoneAtOnceAndItsObjectsAfterGarbageCollection() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, adminToken: token)
            let kept = try await api.upload(try await TestClips.path("vertical.mp4"))
            let doomed = try await api.upload(try await TestClips.path("rotated.mp4"))
            try await eventually(timeout: 180, "both videos to be ready and replicated") {
                let first = try await api.status(kept), second = try await api.status(doomed)
                let replicated = try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'replicate' AND state = 'completed'")
                return first == "ready" && second == "ready" && replicated == 2
            }
            // A finished video's second read within a second comes from the API's memory…
            let before = PrometheusText.value(try await api.request("GET", "/metrics").text, "reel_catalog_reads_total", ["source": "memory"])
            _ = try await api.request("GET", "/v1/videos/\(doomed)")
            #expect(try await api.request("GET", "/v1/videos/\(doomed)").status == 200)
            let metrics = try await api.request("GET", "/metrics").text
            #expect(PrometheusText.value(metrics, "reel_catalog_reads_total", ["source": "memory"]) > before)
            // …which a delete through this API clears at once (below).
            let doomedObjects = try await api.catalog.objects(ofVideo: doomed)
            let keptObjects = try await api.catalog.objects(ofVideo: kept)
            #expect(try await api.request("DELETE", "/v1/admin/videos/\(doomed)", headers: auth).status == 200)
            #expect(try await api.request("GET", "/v1/videos/\(doomed)").status == 404)
            #expect(try await api.request("GET", "/v1/videos/\(doomed)/master.m3u8").status == 404)
            #expect(try await api.request("DELETE", "/v1/admin/videos/\(doomed)", headers: auth).status == 404)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM segments WHERE video_id = $1", [doomed]) == 0)

            let collector = GarbageCollectionHandler(catalog: api.catalog, regions: api.regions)
            // With a grace period, the first run only marks.
            let marked = try await collector.collect(grace: .seconds(3600))
            #expect(marked.removed == 0 && marked.unreferenced == 2 * Set(doomedObjects).subtracting(keptObjects).count)
            for region in api.regions.all {
                for digest in doomedObjects { #expect(try await region.store.head(digest) != nil) }
            }
            let swept = try await collector.collect(grace: .zero)
            #expect(swept.removed == marked.unreferenced)
            for region in api.regions.all {
                for digest in Set(doomedObjects).subtracting(keptObjects) { #expect(try await region.store.head(digest) == nil) }
                for digest in keptObjects { #expect(try await region.store.verify(digest) == true) }
            }
            #expect(try await api.request("GET", "/v1/videos/\(kept)/360p/0.m4s").status == 200)
            try await api.stop()
        }
    }
}
