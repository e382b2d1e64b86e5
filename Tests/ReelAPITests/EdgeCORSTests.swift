import Foundation
import ReelEdge
import ReelTesting
import Testing

/// A real Varnish edge with the VCL `reel edge-config --cors-origin` writes:
/// a cached object is one copy for every page, and each allowed page gets
/// its own Access-Control-Allow-Origin on it; another page gets none.
@Suite struct EdgeCORSTests {
    static let app = "http://app.example.test:8000", other = "https://studio.example.test", stranger = "https://evil.example.test"

    @Test func everyAllowedPageReadsTheSameCachedCopy() async throws {
        try await TestDatabase.withFresh { db in
            let cors = CORSPolicy(origins: [Self.app, Self.other])
            let api = try await APIHarness.start(db, cors: cors)
            let vcl = try EdgeVCL(edge: "cors-1", origin: try #require(URL(string: api.base)), token: APIHarness.edgeToken, cors: cors).render()
            let edge = try await VarnishEdge(name: "cors-1", vcl: vcl)
            let id = try await api.upload(try await TestClips.path("vertical.mp4"))
            try await eventually(timeout: 180, "the video to be ready") { try await api.status(id) == "ready" }

            let segment = "/v1/videos/\(id)/360p/0.m4s"
            let first = try await APIHarness.request(edge.url, "GET", segment, headers: [("Origin", Self.app)])
            #expect(first.status == 200 && first.headers["access-control-allow-origin"] == Self.app)
            #expect(first.headers["vary"]?.contains("Origin") == true)
            let second = try await APIHarness.request(edge.url, "GET", segment, headers: [("Origin", Self.other)])
            #expect(second.headers["x-cache-status"] == "HIT" && second.headers["access-control-allow-origin"] == Self.other)
            #expect(second.body == first.body)
            #expect(second.headers["access-control-expose-headers"]?.contains("Content-Range") == true)
            let refused = try await APIHarness.request(edge.url, "GET", segment, headers: [("Origin", Self.stranger)])
            #expect(refused.headers["x-cache-status"] == "HIT" && refused.headers["access-control-allow-origin"] == nil)
            let plain = try await APIHarness.request(edge.url, "GET", segment)
            #expect(plain.headers["x-cache-status"] == "HIT" && plain.headers["access-control-allow-origin"] == nil)

            // What the edge passes to the origin (the master playlist, a play) gets the origin's own headers.
            let master = try await APIHarness.request(edge.url, "GET", "/v1/videos/\(id)/master.m3u8", headers: [("Origin", Self.app)])
            #expect(master.status == 200 && master.headers["access-control-allow-origin"] == Self.app)
            // A page's preflight through the edge is answered by the origin.
            let preflight = try await APIHarness.request(edge.url, "OPTIONS", segment, headers: [
                ("Origin", Self.other), ("Access-Control-Request-Method", "GET"), ("Access-Control-Request-Headers", "range")])
            #expect(preflight.status == 204 && preflight.headers["access-control-allow-origin"] == Self.other)
            await edge.stop()
            try await api.stop()
        }
    }
}
