import Foundation
import ReelPostgres
import ReelTesting
import Testing

/// `reel webhooks`, run as a binary: an operator registers, lists, tests,
/// rotates, enables and removes endpoints, and bad input is refused plainly.
@Suite struct WebhooksCLITests {
    func reel(_ args: String..., db: TestDatabase, environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await ReelProcess.run(args, databaseURL: db.url, environment: environment)
    }

    @Test func anOperatorManagesEndpointsFromTheCommandLine() async throws {
        try await TestDatabase.withFresh { db in
            // A documentation address the worker would refuse: nothing leaves the machine (no worker runs here anyway).
            let added = try await reel("webhooks", "add", "--url", "https://93.184.216.34/hooks/reel", "--event", "video.ready",
                                       "--event", "video.failed", "--tenant", "acme", "--json", db: db)
            #expect(added.status == 0, "\(added.output)")
            let text = added.output.drop { $0 != "{" }
            let json = try #require(try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String], "\(added.output)")
            let id = try #require(json["id"])
            #expect(json["secret"]?.hasPrefix("whsec_") == true)

            let listed = try await reel("webhooks", "list", db: db)
            #expect(listed.output.contains("https://93.184.216.34/hooks/reel") && listed.output.contains("video.failed,video.ready"))
            #expect(!listed.output.contains(json["secret"] ?? "-"), "lists never show the secret")

            let tested = try await reel("webhooks", "test", id, "--count", "2", db: db)
            #expect(tested.status == 0 && tested.output.contains("queued 2 test events"))
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM reel_jobs WHERE kind = 'webhook.deliver'") == 2)

            let rotated = try await reel("webhooks", "rotate", id, "--overlap-hours", "2", db: db)
            #expect(rotated.status == 0 && rotated.output.contains("whsec_") && !rotated.output.contains(json["secret"] ?? "-"))
            #expect(try await db.scalar(Bool.self, "SELECT previous_secret = $2 FROM webhook_endpoints WHERE id = $1::int8", [id, json["secret"] ?? ""]) == true)

            try await db.pool.query("UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = 'test' WHERE id = $1::int8", [id])
            #expect(try await reel("webhooks", "list", db: db).output.contains("disabled"))
            #expect(try await reel("webhooks", "enable", id, db: db).status == 0)
            #expect(try await db.scalar(Bool.self, "SELECT disabled_at IS NULL FROM webhook_endpoints WHERE id = $1::int8", [id]) == true)

            let attempts = try await reel("webhooks", "attempts", id, "--json", db: db)
            #expect(attempts.status == 0 && attempts.output.contains("[") && !attempts.output.contains("event_id"))
            #expect(try await reel("webhooks", "remove", id, db: db).status == 0)
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_endpoints") == 0)
        }
    }

    @Test func badInputIsRefusedWithWhatToDo() async throws {
        try await TestDatabase.withFresh { db in
            let unknown = try await reel("webhooks", "add", "--url", "https://93.184.216.34/x", "--event", "video.exploded", db: db)
            #expect(unknown.status != 0 && unknown.output.contains("unknown event 'video.exploded'") && unknown.output.contains("video.ready"))
            let none = try await reel("webhooks", "add", "--url", "https://93.184.216.34/x", db: db)
            #expect(none.status != 0 && none.output.contains("--event"))
            let loopback = try await reel("webhooks", "add", "--url", "http://127.0.0.1:9/x", "--event", "video.ready", db: db)
            #expect(loopback.status != 0 && loopback.output.contains("loopback") && loopback.output.contains("REEL_WEBHOOK_ALLOW_NETWORKS"))
            let allowed = try await reel("webhooks", "add", "--url", "http://127.0.0.1:9/x", "--event", "video.ready", db: db,
                                         environment: ["REEL_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8"])
            #expect(allowed.status == 0, "\(allowed.output)")
            let badList = try await reel("webhooks", "add", "--url", "https://93.184.216.34/x", "--event", "video.ready", db: db,
                                         environment: ["REEL_WEBHOOK_ALLOW_NETWORKS": "localhost"])
            #expect(badList.status != 0 && badList.output.contains("REEL_WEBHOOK_ALLOW_NETWORKS"))
            let missing = try await reel("webhooks", "remove", "4242", db: db)
            #expect(missing.status != 0 && missing.output.contains("no webhook endpoint 4242"))
            #expect(try await db.scalar(Int64.self, "SELECT count(*) FROM webhook_endpoints") == 1)
        }
    }
}
