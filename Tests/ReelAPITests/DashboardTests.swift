import Foundation
import ReelCatalog
import ReelPipeline
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
