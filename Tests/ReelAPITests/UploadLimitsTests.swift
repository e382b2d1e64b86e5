import Foundation
import ReelAPI
import ReelCatalog
import ReelPipeline
import ReelPostgres
import ReelTesting
import Testing

/// Uploads cannot fill the disk: quotas per token and per tenant hold across
/// instances, unfinished uploads expire with their bytes, and a nearly full
/// disk refuses bytes with 507 while the jobs that would fill it wait.
@Suite struct UploadLimitsTests {
    func open(_ api: APIHarness, length: Int, owner: String = "", token: String? = nil) async throws -> APIHarness.Reply {
        var headers = [("Content-Type", "video/mp4"), ("Upload-Length", "\(length)")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try await api.request("POST", "/v1/uploads/resumable" + (owner.isEmpty ? "" : "?owner=\(owner)"), headers: headers)
    }

    @Test func quotasPerTokenAndPerTenantHoldAndFreeUpWhenUploadsEnd() async throws {
        try await TestDatabase.withFresh { db in
            var policy = UploadPolicy()
            policy.perTenant = Uploads.Quota(openUploads: 2, bytesInFlight: 10_000)
            policy.perToken = Uploads.Quota(openUploads: 1, bytesInFlight: 1 << 30)
            let api = try await APIHarness.start(db, worker: false, uploads: policy)
            // Per tenant: two unfinished uploads, then 429 with the numbers.
            #expect(try await open(api, length: 100, owner: "acme").status == 201)
            #expect(try await open(api, length: 100, owner: "acme").status == 201)
            let third = try await open(api, length: 100, owner: "acme")
            #expect(third.status == 429 && third.text.contains("quota_exceeded") && third.text.contains("tenant 'acme' has 2 unfinished uploads"),
                    "\(third.text)")
            // Another tenant has its own quota; bytes in flight count too.
            #expect(try await open(api, length: 100, owner: "globex").status == 201)
            let big = try await open(api, length: 20_000, owner: "initech")
            #expect(big.status == 429 && big.text.contains("bytes in flight"), "\(big.text)")
            // A one-shot upload holds a slot while it runs and gives it back when it ends.
            let oneShot = try await api.request("POST", "/v1/uploads?owner=initech", headers: [("Content-Type", "video/mp4")], body: Data(count: 50))
            #expect(oneShot.status == 201, "\(oneShot.text)")
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM uploads WHERE owner = 'initech'") == 0)
            // An expired upload no longer counts: acme may start another.
            try await db.pool.query("UPDATE uploads SET expires_at = now() - interval '1 second' WHERE id IN (SELECT id FROM uploads WHERE owner = 'acme' LIMIT 1)")
            #expect(try await open(api, length: 100, owner: "acme").status == 201)
            // Per token: one at a time for this token, whatever its tenant's room.
            let token = try await TokenStore(pool: db.pool).create(name: "phone", scopes: [.upload], tenant: "umbrella").token
            #expect(try await open(api, length: 100, token: token).status == 201)
            let second = try await open(api, length: 100, token: token)
            #expect(second.status == 429 && second.text.contains("this token has 1 unfinished uploads"), "\(second.text)")
            try await api.stop()
        }
    }

    @Test func unfinishedUploadsExpireWithTheirBytes() async throws {
        try await TestDatabase.withFresh { db in
            var policy = UploadPolicy()
            policy.expirySeconds = 3600
            let api = try await APIHarness.start(db, worker: false, uploads: policy)
            let opened = try await open(api, length: 1000)
            #expect(opened.status == 201)
            // The answer says when: Upload-Expires (an HTTP-date) and expires_at.
            let expires = try #require(opened.headers["upload-expires"])
            #expect(expires.hasSuffix(" GMT"), "\(expires)")
            #expect(try opened.json()["expires_at"] is String)
            let path = try #require(try opened.json()["url"] as? String)
            let id = String(path.split(separator: "/").last ?? "")
            #expect(try await api.request("PATCH", path, headers: [("Upload-Offset", "0")], body: Data(count: 400)).status == 204)
            #expect(try await api.request("HEAD", path).headers["upload-expires"] == expires)
            let file = api.spool.appendingPathComponent("resumable-\(id)")
            #expect(FileManager.default.fileExists(atPath: file.path))
            // A sweep keeps a live upload's bytes.
            try await api.api.sweepSpool()
            #expect(FileManager.default.fileExists(atPath: file.path))
            // Past its expiry: the upload is gone for clients, the scheduler's
            // expiry removes the row, and the API's sweep the bytes.
            try await db.pool.query("UPDATE uploads SET expires_at = now() - interval '1 second' WHERE id = $1", [id])
            #expect(try await api.request("HEAD", path).status == 404)
            #expect(try await api.request("PATCH", path, headers: [("Upload-Offset", "400")], body: Data(count: 600)).status == 404)
            #expect(try await UploadExpiry.run(pool: db.pool) == 1)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM uploads") == 0)
            #expect(try await api.api.sweepSpool() >= 1)
            #expect(!FileManager.default.fileExists(atPath: file.path))
            try await api.stop()
        }
    }

    @Test func aNearlyFullDiskRefusesUploadBytesWith507() async throws {
        try await TestDatabase.withFresh { db in
            var policy = UploadPolicy()
            policy.minimumFreeBytes = Int64.max  // more than any disk has: the guard is on
            let api = try await APIHarness.start(db, worker: false, uploads: policy)
            let oneShot = try await api.request("POST", "/v1/uploads", headers: [("Content-Type", "video/mp4")], body: Data(count: 50))
            #expect(oneShot.status == 507 && oneShot.headers["retry-after"] != nil && oneShot.text.contains("insufficient_storage"), "\(oneShot.text)")
            #expect(oneShot.headers["content-type"] == "application/json")
            #expect(try await open(api, length: 100).status == 507)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM uploads") == 0)
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM videos") == 0)
            try await api.stop()
        }
    }
}
