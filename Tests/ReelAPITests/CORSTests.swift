import Foundation
import ReelAPI
import ReelEdge
import ReelTesting
import Testing

/// Pages on other origins: an allowed one gets preflights answered and every
/// answer (errors too) readable, with tus's headers exposed; another gets
/// nothing a browser would let it read.
@Suite struct CORSTests {
    static let app = "http://app.example.test:8000"

    @Test func anAllowedOriginIsAnsweredAndAnotherIsNot() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, worker: false, cors: CORSPolicy(origins: [Self.app, "https://other.example.test"]))
            // Preflight of a tus creation from the allowed page.
            let preflight = try await api.request("OPTIONS", "/v1/uploads/tus", headers: [
                ("Origin", Self.app), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "tus-resumable, upload-length, upload-metadata, authorization")])
            #expect(preflight.status == 204 && preflight.headers["access-control-allow-origin"] == Self.app)
            let allowedHeaders = (preflight.headers["access-control-allow-headers"] ?? "").lowercased()
            for header in ["tus-resumable", "upload-length", "upload-metadata", "upload-offset", "upload-checksum", "authorization"] {
                #expect(allowedHeaders.contains(header), "\(header) is not allowed")
            }
            #expect(preflight.headers["access-control-allow-methods"]?.contains("PATCH") == true)
            #expect(preflight.headers["vary"]?.contains("Origin") == true)

            // The creation itself: Location, Upload-Offset and Reel-Video-Id are readable by the page.
            let created = try await api.request("POST", "/v1/uploads/tus", headers: [("Origin", Self.app), ("Tus-Resumable", "1.0.0"), ("Upload-Length", "10")])
            #expect(created.status == 201 && created.headers["access-control-allow-origin"] == Self.app)
            let exposed = (created.headers["access-control-expose-headers"] ?? "").lowercased()
            for header in ["location", "upload-offset", "upload-expires", "reel-video-id", "tus-resumable"] {
                #expect(exposed.contains(header), "\(header) is not exposed")
            }
            // tus's own OPTIONS (no preflight) still answers its capabilities, readable by the page.
            let capabilities = try await api.request("OPTIONS", "/v1/uploads/tus", headers: [("Origin", Self.app)])
            #expect(capabilities.status == 204 && capabilities.headers["tus-version"] == "1.0.0")
            #expect(capabilities.headers["access-control-allow-origin"] == Self.app)
            // Errors are readable too, so the page can show what went wrong.
            let missing = try await api.request("GET", "/v1/videos/AAAAAAAAAAAA", headers: [("Origin", Self.app)])
            #expect(missing.status == 404 && missing.headers["access-control-allow-origin"] == Self.app)

            // Another origin: its preflight is refused and its answers carry nothing a browser lets it read.
            let stranger = "https://evil.example.test"
            let refused = try await api.request("OPTIONS", "/v1/uploads/tus", headers: [("Origin", stranger), ("Access-Control-Request-Method", "POST")])
            #expect(refused.status == 403 && refused.headers["access-control-allow-origin"] == nil)
            let read = try await api.request("GET", "/healthz", headers: [("Origin", stranger)])
            #expect(read.status == 200 && read.headers["access-control-allow-origin"] == nil && read.headers["vary"]?.contains("Origin") == true)
            // No Origin (a player, curl): no CORS headers at all.
            #expect(try await api.request("GET", "/healthz").headers["access-control-allow-origin"] == nil)
            try await api.stop()
        }
    }

    @Test func anyOriginGetsAStarThatDoesNotVary() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, worker: false, cors: CORSPolicy(list: "*"))
            let read = try await api.request("GET", "/healthz", headers: [("Origin", Self.app)])
            #expect(read.headers["access-control-allow-origin"] == "*" && read.headers["vary"] == nil)
            try await api.stop()
        }
        #expect(CORSPolicy(list: "https://a.test, http://b.test:8080,*").mistakes.isEmpty)
        #expect(CORSPolicy(list: "https://a.test/,a.test,https://a.test/path,ftp://a.test").mistakes.count == 4)
        #expect(!CORSPolicy(list: " , ").isEnabled)
    }
}
