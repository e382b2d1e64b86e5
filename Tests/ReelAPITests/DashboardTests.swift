import Foundation
import ReelCatalog
import ReelManifests
import ReelPipeline
import ReelPostgres
import ReelAPI
import ReelQueue
import ReelTesting
import ReelWorkers
import Testing

/// The web dashboard at /admin: used in headless Chromium as an operator
/// would (sign in, every page, Retry on a discarded job), with screenshots
/// in .build/test-screenshots/dashboard; and its access rules over HTTP.
@Suite struct DashboardTests {
    @Test func anOperatorSignsInSeesEveryPageAndRetriesADiscardedJob() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let admin = try await TokenStore(pool: db.pool).create(name: "operator", scopes: [.admin]).token
            let video = try await api.upload(try await TestClips.path("rotated.mp4"), title: "dashboard clip")
            try await eventually(timeout: 180, "the video to be ready") { try await api.status(video) == "ready" }
            // A job that fails its one attempt (so it is discarded) and completes when run again.
            var request = JobRequest(kind: "fail", args: #"{"times": 1}"#, queue: ReelJobs.Queue.media, maxAttempts: 1)
            request.tenant = "acme"
            let job = try await JobQueue(pool: db.pool).enqueue(request).id
            try await eventually(timeout: 30, "the job to be discarded") {
                try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE id = $1", [job]) == "discarded"
            }

            // A webhook endpoint at an address the worker refuses: its attempt is on the webhooks page.
            let hook = try await Webhooks.add(tenant: "acme", url: "https://192.0.2.10/hook", events: [.videoReady], description: "",
                                              secret: Webhooks.makeSecret(), pool: db.pool)
            _ = try await WebhookEvents.test(endpoint: hook, pool: db.pool)
            try await eventually(timeout: 30, "the refused attempt") { try await !Webhooks.attempts(endpoint: hook.id, limit: 1, pool: db.pool).isEmpty }

            let screenshots = PackagePaths.root.appendingPathComponent(".build/test-screenshots/dashboard").path
            let checked = try await BrowserCheck.run(
                "dashboard-check.py", [api.base, "--token", admin, "--retry-job", String(job), "--video", video, "--webhook", hook.url,
                                       "--out", screenshots])
            #expect(checked.status == 0 && checked.output.contains("PASS dashboard"), "\(checked.output)")
            #expect(FileManager.default.fileExists(atPath: screenshots + "/02-queues.png"))

            // The click put the job back, and it ran to completion on its second attempt.
            try await eventually(timeout: 30, "the retried job to complete") {
                try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE id = $1", [job]) == "completed"
            }
            #expect(try await db.scalar(Int.self, "SELECT attempt FROM reel_jobs WHERE id = $1", [job]) == 2)
            try await api.stop()
        }
    }

    /// What per-title planning chose for a video is on its page and in
    /// `reel videos show`: each rung's fixed, measured and chosen bit rate,
    /// and the rung left out with the reason.
    @Test func aVideosPerTitleChoiceIsOnItsPageAndInTheCommand() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, worker: false)
            let reader = try await TokenStore(pool: db.pool).create(name: "viewer", scopes: [.readAdmin]).token
            let video = try await db.pool.withTransaction { conn in
                try Catalog.insert(NewVideo(homeRegion: "home", sourceDigest: String(repeating: "a", count: 64), sourceSize: 1,
                                            contentType: "video/mp4"), on: conn)
            }
            let fixed = try LadderPlanner.plan(DisplayGeometry(codedWidth: 1080, codedHeight: 1920))
            let measured = ["1080p": 1_000_000, "720p": 950_000, "480p": 500_000, "360p": 200_000]
            let plan = try PerTitlePlanner.plan(fixed: fixed, measured: measured)
            let record = PerTitleRecord(measurement: ComplexityMeasurement(crf: 23, samples: [1, 5, 9], sampleSeconds: 1, bitrates: measured,
                                                                           seconds: 0.4), plan: plan, fallback: nil)
            try await Catalog(pool: db.pool).perTitle(video.id, record: try JSONEncoder().encode(record))

            let page = try await api.request("GET", "/admin/videos/\(video.id)", headers: [("Cookie", "reel_admin=\(reader)")])
            #expect(page.status == 200)
            #expect(page.text.contains("Per-title bit rates") && page.text.contains("CRF 23, 3 samples of 1.0 s"), "\(page.text)")
            #expect(page.text.contains("<td>1080p</td><td class=\"num\">5000</td><td class=\"num\">1000</td><td class=\"num\">1100</td>"))
            #expect(page.text.contains("<td>720p</td>") && page.text.contains("left out"))

            let shown = try await ReelProcess.run(["videos", "show", video.id], databaseURL: db.url)
            #expect(shown.status == 0, "\(shown.output)")
            #expect(shown.output.contains("ladder 0.") && shown.output.contains("1080p  fixed 5000 kb/s, measured 1000 kb/s → 1100 kb/s"),
                    "\(shown.output)")
            #expect(shown.output.contains("720p   fixed 2800 kb/s, measured 950 kb/s → none (left out: 1080p costs only"), "\(shown.output)")
            try await api.stop()
        }
    }

    @Test func onlyAdminsActAndOnlyFromTheDashboardItself() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, worker: false)
            let store = TokenStore(pool: db.pool)
            let reader = try await store.create(name: "viewer", scopes: [.readAdmin]).token
            let uploader = try await store.create(name: "uploader", scopes: [.upload]).token
            let admin = try await store.create(name: "operator", scopes: [.admin]).token
            var request = JobRequest(kind: "noop", queue: "held")
            request.runAt = Date().addingTimeInterval(3600)
            let job = try await JobQueue(pool: db.pool).enqueue(request).id
            func cookie(_ token: String) -> (String, String) { ("Cookie", "reel_admin=\(token)") }
            let form = ("Content-Type", "application/x-www-form-urlencoded")

            // Not signed in: sent to sign in. A wrong token: the sign-in page again, with a 401.
            let away = try await api.request("GET", "/admin/jobs")
            #expect(away.status == 303 && away.headers["location"] == "/admin/login")
            let wrong = try await api.request("POST", "/admin/login", headers: [form], body: Data("token=reel_nope".utf8))
            #expect(wrong.status == 401 && wrong.text.contains("unknown, revoked"))
            let signedIn = try await api.request("POST", "/admin/login", headers: [form], body: Data("token=\(reader)".utf8))
            #expect(signedIn.status == 303 && (signedIn.headers["set-cookie"] ?? "").contains("HttpOnly; SameSite=Strict"))

            // A reader sees pages without action buttons and cannot act; an uploader sees nothing.
            let page = try await api.request("GET", "/admin/jobs", headers: [cookie(reader)])
            #expect(page.status == 200 && page.text.contains("data-job=\"\(job)\"") && !page.text.contains("button class=\"cancel\""))
            #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)
            #expect(try await api.request("POST", "/admin/jobs/\(job)/cancel", headers: [cookie(reader)]).status == 403)
            #expect(try await api.request("GET", "/admin", headers: [cookie(uploader)]).status == 403)

            // An admin acts, but not from another site's page.
            let crossSite = try await api.request("POST", "/admin/jobs/\(job)/cancel", headers: [cookie(admin), ("Origin", "http://evil.example")])
            #expect(crossSite.status == 403 && crossSite.text.contains("cross_site"))
            #expect(try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE id = $1", [job]) == "scheduled")
            let origin = api.base
            let bulk = try await api.request("POST", "/admin/jobs/cancel", headers: [cookie(admin), form, ("Origin", origin)],
                                             body: Data("filter=queue%3Dheld".utf8))
            #expect(bulk.status == 303 && bulk.headers["location"]?.contains("done=cancelled&n=1") == true)
            #expect(try await db.scalar(String.self, "SELECT state::text FROM reel_jobs WHERE id = $1", [job]) == "cancelled")
            let everything = try await api.request("POST", "/admin/jobs/retry", headers: [cookie(admin), form], body: Data("filter=".utf8))
            #expect(everything.status == 400, "an action on every job at once is refused")

            // A form body over the limit is refused before it is read.
            let huge = try await api.request("POST", "/admin/login", headers: [form], body: Data(repeating: 65, count: 100 << 10))
            #expect(huge.status == 413)
            try await api.stop()
        }
    }
}
