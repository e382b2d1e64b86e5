import Foundation
import ReelAPI
import ReelCatalog
import ReelEdge
import ReelTesting
import Testing

/// The edge cannot be bypassed or poisoned (real Varnish with the VCL of
/// `reel edge-config`): unknown query parameters do not make new cache
/// entries, answers the origin marks private are not kept, and with signed
/// playback the edge is warmed, serves a valid signature from its cache and
/// refuses a request without one before it reaches the origin.
@Suite(.serialized) struct EdgeSafetyTests {
    static let token = APIHarness.edgeToken

    func start(_ api: APIHarness, signed: Bool) async throws -> VarnishEdge {
        let vcl = try EdgeVCL(edge: "eu-1", origin: try #require(URL(string: api.base)), token: Self.token, signed: signed).render()
        let edge = try await VarnishEdge(name: "eu-1", vcl: vcl)
        try await EdgeDirectory(pool: api.db.pool).save(Edge(name: "eu-1", region: "eu", url: edge.url, statsWorkdir: edge.workdir.path))
        return edge
    }

    func ready(_ api: APIHarness) async throws -> String {
        let id = try await api.upload(try await TestClips.path("rotated.mp4"))
        try await eventually(timeout: 120, "the video to be ready and warmed") {
            // (The catalog, not the API: with signed playback its metadata needs a signature.)
            guard try await api.db.scalar(String.self, "SELECT status::text FROM videos WHERE id = $1", [id]) == "ready" else { return false }
            return try await api.db.scalar(Int.self, "SELECT count(*)::int FROM edge_warmings WHERE video_id = $1 AND reason = 'ready' AND state = 'done'", [id]) ?? 0 > 0
        }
        return id
    }

    @Test func unknownParametersShareOneEntryAndPrivateAnswersAreNotKept() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let edge = try await start(api, signed: false)
            let id = try await ready(api)
            // The last segment of 360p is not warmed (3 are): a cold object.
            let last = try #require(try await db.scalar(Int.self, "SELECT max(number) FROM segments WHERE video_id = $1 AND rendition = '360p'", [id]))
            let path = "/v1/videos/\(id)/360p/\(last).m4s"
            let first = try await APIHarness.request(edge.url, "GET", path + "?x=1")
            #expect(first.status == 200)
            for query in ["?x=2", "?cachebuster=\(UUID().uuidString)", "", "?exp=1&sig=abc&utm_source=z"] {
                let again = try await APIHarness.request(edge.url, "GET", path + query)
                #expect(again.status == 200 && again.headers["x-cache-status"] == "HIT", "\(query): \(again.headers["x-cache-status"] ?? "-")")
                #expect(again.body == first.body)
            }
            // The origin says no-store (public playback's authorize answer): never kept.
            for _ in 0..<2 {
                let answer = try await APIHarness.request(edge.url, "GET", "/v1/videos/\(id)/authorize")
                #expect(answer.status == 200 && answer.headers["x-cache-status"] == "MISS")
            }
            await edge.stop()
            try await api.stop()
        }
    }

    @Test func signedPlaybackIsWarmedHitAndRefusedWithoutASignature() async throws {
        try await TestDatabase.withFresh { db in
            let signer = try PlaybackSigner(key: "edge-safety-test-key-that-is-32-bytes-or-more")
            let api = try await APIHarness.start(db, playbackSigner: signer)
            let edge = try await start(api, signed: true)
            let id = try await ready(api)
            let playback = try #require(try await api.catalog.playback(id))
            let warmed = WarmPlan.paths(playback, firstSegments: 3, playlists: false)
            // Two viewers, two signatures: every warmed object is a hit for both.
            for viewer in [0, 1] {
                let query = signer.query(video: id, expires: Date().addingTimeInterval(Double(600 + viewer)))
                for path in warmed {
                    let reply = try await APIHarness.request(edge.url, "GET", path + "?" + query)
                    #expect(reply.status == 200 && reply.headers["x-cache-status"] == "HIT", "viewer \(viewer) \(path): \(reply.status) \(reply.text.prefix(200))")
                }
            }
            // Refused at the edge: no signature, a wrong one, an expired one, a non-canonical exp.
            let segment = try #require(warmed.first { $0.hasSuffix("/0.m4s") })
            let valid = signer.query(video: id, expires: Date().addingTimeInterval(600))
            let exp = valid.split(separator: "&")[0].dropFirst(4)
            let sig = valid.split(separator: "&")[1].dropFirst(4)
            let other = signer.query(video: "AAAAAAAAAAAA", expires: Date().addingTimeInterval(600)).split(separator: "&")[1].dropFirst(4)
            let before = try await edge.counter("MAIN.backend_req")
            let unsigned = try await APIHarness.request(edge.url, "GET", segment)
            #expect(unsigned.status == 403 && unsigned.headers["x-reel-edge"] == "eu-1", "\(unsigned.status)")
            #expect(try await edge.counter("MAIN.backend_req") == before, "an unsigned request must not reach the origin")
            for query in ["exp=\(exp)&sig=\(other)", "exp=0\(exp)&sig=\(sig)",
                          signer.query(video: id, expires: Date().addingTimeInterval(-60))] {
                let refused = try await APIHarness.request(edge.url, "GET", segment + "?" + query)
                #expect(refused.status == 403, "\(query): \(refused.status)")
            }
            // A client cannot claim to be authorized.
            let forged = try await APIHarness.request(edge.url, "GET", segment, headers: [("X-Reel-Authorized", "1")])
            #expect(forged.status == 403)
            await edge.stop()
            try await api.stop()
        }
    }
}
