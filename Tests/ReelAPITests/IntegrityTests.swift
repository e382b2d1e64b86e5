import Foundation
import Logging
import ReelCatalog
import ReelPostgres
import ReelStore
import ReelTesting
import ReelWorkers
import Testing

/// Corruption is found, quarantined and repaired from another region, and
/// never reaches an edge: the scrub, an edge's fill, and `reel verify --repair`.
@Suite(.serialized) struct IntegrityTests {
    /// A published, replicated video; its first 360p segment's digest.
    func published(_ api: APIHarness) async throws -> (String, ObjectDigest) {
        let id = try await api.upload(try await TestClips.path("rotated.mp4"))
        try await eventually(timeout: 120, "the video to be ready") { try await api.status(id) == "ready" }
        try await eventually(timeout: 60, "replication") {
            try await api.db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'replicate' AND state = 'completed'") == 1
        }
        let hex = try #require(try await api.db.scalar(String.self, "SELECT digest FROM segments WHERE video_id = $1 AND rendition = '360p' AND number = 0", [id]))
        return (id, try #require(ObjectDigest(hex: hex)))
    }

    func file(_ digest: ObjectDigest, in region: Region) throws -> URL {
        let store = try #require(region.store as? FileStore)
        return store.root.appendingPathComponent("objects").appendingPathComponent(digest.shardedPath)
    }

    func flipAByte(_ url: URL) throws {
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: url)
    }

    @Test func theScrubQuarantinesAndRepairsDamagedAndMissingCopies() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let (_, segment) = try await published(api)
            let near = api.regions.all[0], far = api.regions.all[1]
            let poster = try #require(ObjectDigest(hex: try await db.scalar(String.self, "SELECT poster_digest FROM videos LIMIT 1") ?? ""))
            let damaged = try file(segment, in: near)
            let good = try Data(contentsOf: damaged)
            try flipAByte(damaged)
            try FileManager.default.removeItem(at: try file(poster, in: far))

            let scrubber = ObjectScrubber(catalog: api.catalog, regions: api.regions, scratch: TestObjectStores.freshFolder("scrub"))
            let copies = try await db.scalar(Int.self, "SELECT count(*)::int FROM object_copies") ?? 0
            let summary = try await scrubber.scrub(rate: 1000, seconds: 60, logger: .test)
            #expect(summary.checked == copies && summary.corrupt == 1 && summary.missing == 1 && summary.repaired == 2, "\(summary)")
            // Both copies hold the right bytes again; the bad ones are kept aside.
            #expect(try Data(contentsOf: damaged) == good)
            #expect(try await far.store.verify(poster) == true)
            let findings = try await db.pool.query(
                "SELECT region, digest, problem, found_by, state, repaired_from, quarantined FROM reel_report_object_findings ORDER BY problem")
            #expect(findings.count == 2)
            #expect(findings[0].string(0) == "near" && findings[0].string(1) == segment.hex && findings[0].string(2) == "corrupt")
            #expect(findings[0].string(3) == "scrub" && findings[0].string(4) == "repaired" && findings[0].string(5) == "far")
            let aside = try #require(findings[0].string(6))
            #expect(try Data(contentsOf: URL(fileURLWithPath: aside)) != good)
            #expect(findings[1].string(0) == "far" && findings[1].string(2) == "missing" && findings[1].string(5) == "near")
            // Every copy was read back once; the next run starts with the oldest.
            #expect(try await db.scalar(Int.self, "SELECT count(*)::int FROM object_scrubs WHERE scrubbed_at > now() - interval '1 minute'") == copies)
            try await api.stop()
        }
    }

    @Test func anEdgeFillNeverGetsADamagedCopy() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let (id, segment) = try await published(api)
            let near = api.regions.all[0]
            let damaged = try file(segment, in: near)
            let good = try Data(contentsOf: damaged)
            try flipAByte(damaged)
            // The edge's fill gets the sound copy of the other region, with its digest.
            let fill = try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s", headers: [("X-Reel-Edge", "eu-1")])
            #expect(fill.status == 200 && fill.body == good)
            #expect(fill.headers["repr-digest"] == "sha-256=:\(Data(segment.bytes).base64EncodedString()):")
            // And the damaged copy is quarantined and repaired in the background.
            try await eventually(timeout: 30, "the repair") {
                try await db.scalar(String.self, "SELECT state FROM reel_report_object_findings WHERE found_by = 'edge-fill'") == "repaired"
            }
            #expect(try Data(contentsOf: damaged) == good)
            try await api.stop()
        }
    }
}
