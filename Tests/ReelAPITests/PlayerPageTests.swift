import Foundation
import ReelTesting
import Testing

/// The page the API serves for people to watch a video
/// (`/v1/videos/{id}/player`): loaded in headless Chromium, its Video.js
/// files, poster and HLS master come from the API, and it plays the video to
/// the end and says so.
@Suite struct PlayerPageTests {
    @Test func theAPIsPlayerPagePlaysAnUploadToTheEnd() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let clip = TestObjectStores.freshFolder("player-page").appendingPathExtension("mp4")
            _ = try await tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=360x640:rate=30",
                                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-c:v", "libx264",
                                    "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip.path])
            let id = try await api.upload(clip.path, title: "A <b>bold</b> title")
            try await eventually(timeout: 120, "the video to be ready") { try await api.status(id) == "ready" }

            let page = try await api.request("GET", "/v1/videos/\(id)/player")
            #expect(page.status == 200)
            #expect(page.text.contains("A &lt;b>bold&lt;/b> title"), "the title is escaped, never markup")

            let played = try await BrowserCheck.run("player-page-check.py", ["\(api.base)/v1/videos/\(id)/player", "--timeout", "120"])
            #expect(played.status == 0 && played.output.hasPrefix("PASS player page"), "\(played.output)")
            try await api.stop()
        }
    }
}
