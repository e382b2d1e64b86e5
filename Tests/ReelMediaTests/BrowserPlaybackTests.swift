import Foundation
import Testing
import ReelMedia
import ReelManifests
import ReelTesting

/// The packaged video plays in headless Chromium with standard players
/// (Video.js with VHS through HLS and DASH, and dash.js 5 through DASH),
/// every rendition to the end with no player error:
/// `scripts/test-helpers/play-check.py`, set up by
/// `scripts/services/install-player.sh` (which `scripts/test.sh` runs).
@Suite struct BrowserPlaybackTests {
    @Test func everyRenditionPlaysToTheEndInChromium() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-browser-\(UUID().uuidString)")
        _ = try await MediaPackager.package(path: path, info: info, rungs: try LadderPlanner.plan(info.video.geometry), to: root, segmentSeconds: 1)
        let played = try await ChromiumPlayer.play(root)
        #expect(played.status == 0, "\(played.output)")
        #expect(played.output.contains("10 passed, 0 failed"), "\(played.output)")
        let dash = try await BrowserCheck.run("play-check.py", [root.path, "--player", "dashjs", "--timeout", "120"])
        #expect(dash.status == 0 && dash.output.contains("5 passed, 0 failed"), "\(dash.output)")
        try? FileManager.default.removeItem(at: root)
    }
}
