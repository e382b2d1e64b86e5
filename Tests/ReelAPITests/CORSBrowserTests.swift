import Foundation
import ReelEdge
import ReelStore
import ReelTesting
import Testing

extension ExclusiveSuites {
    /// An app's page on another origin, in headless Chromium
    /// (scripts/test-helpers/cors-page-check.py): from an origin the API allows it
    /// uploads a file with fetch and tus headers and plays a video with Video.js;
    /// from another origin the browser lets it read nothing, so both fail.
    @Suite struct CORSBrowserTests {
        static func page(_ api: APIHarness, video: String, clip: String, port: UInt16) async throws -> [String: Any] {
            let run = try await BrowserCheck.run("cors-page-check.py", [
                "--api", api.base, "--video", video, "--file", clip, "--port", "\(port)", "--timeout", "120"])
            let line = run.output.split(separator: "\n").first { $0.hasPrefix("RESULT ") }.map { String($0.dropFirst(7)) } ?? ""
            let result = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? nil
            guard let result else {
                Issue.record("cors-page-check.py gave no result (exit \(run.status)):\n\(run.output.suffix(3000))")
                return [:]
            }
            return result
        }

        @Test func anAllowedPageUploadsAndPlaysAndAnotherCannot() async throws {
            try await TestDatabase.withFresh { db in
                let allowed = try VarnishEdge.freePort()
                var stranger = try VarnishEdge.freePort()
                while stranger == allowed { stranger = try VarnishEdge.freePort() }
                let api = try await APIHarness.start(db, cors: CORSPolicy(origins: ["http://127.0.0.1:\(allowed)"]))
                let clip = try await TestClips.path("vertical.mp4")
                let video = try await api.upload(clip)
                try await eventually(timeout: 180, "the video to be ready") { try await api.status(video) == "ready" }

                let good = try await Self.page(api, video: video, clip: clip, port: allowed)
                let upload = good["upload"] as? [String: Any] ?? [:]
                let size = try Data(contentsOf: URL(fileURLWithPath: clip)).count
                #expect(upload["created"] as? Int == 201 && upload["patched"] as? Int == 204, "\(good)")
                #expect(upload["offset"] as? String == "\(size)", "the page reads Upload-Offset: \(good)")
                let uploaded = try #require(upload["video"] as? String, "the page reads Reel-Video-Id: \(good)")
                #expect((upload["location"] as? String)?.hasSuffix(uploaded) == true)
                #expect((good["play"] as? [String: Any])?["played"] as? Bool == true, "\(good)")
                let digest = try await db.scalar(String.self, "SELECT source_digest FROM videos WHERE id = $1", [uploaded])
                #expect(digest == ObjectDigest.of(try Data(contentsOf: URL(fileURLWithPath: clip))).hex)

                let bad = try await Self.page(api, video: video, clip: clip, port: stranger)
                let refused = bad["upload"] as? [String: Any] ?? [:]
                #expect((refused["error"] as? String)?.contains("Failed to fetch") == true, "the browser refuses the upload: \(bad)")
                #expect((bad["play"] as? [String: Any])?["played"] as? Bool == false, "\(bad)")
                try await api.stop()
            }
        }
    }
}
