import Foundation
import Synchronization
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

    /// A per-title ladder that repeats a size at a lower bit rate under a
    /// name of its own ("1080p-2050k" beside "1080p") plays the same way:
    /// every rendition and the adaptive stream, HLS and DASH, to the end.
    @Test func aPerTitleLadderThatRepeatsASizePlaysInChromium() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-browser-\(UUID().uuidString)")
        let chosen = Mutex<PerTitleRecord?>(nil)
        _ = try await MediaPackager.package(path: path, info: info, rungs: try LadderPlanner.plan(info.video.geometry), to: root,
                                            segmentSeconds: 1, perTitle: .standard, onPerTitle: { record in chosen.withLock { $0 = record } })
        let plan = try #require(chosen.withLock { $0 }?.plan)
        let repeated = try #require(plan.rungs.first { $0.name.hasSuffix("k") }, "\(plan.choices)")
        #expect(plan.rungs.filter { $0.width == repeated.width && $0.height == repeated.height }.count == 2)
        let master = try String(contentsOf: root.appendingPathComponent("master.m3u8"), encoding: .utf8)
        #expect(master.contains("\(repeated.name).av/index.m3u8"), "\(master)")
        let played = try await ChromiumPlayer.play(root)
        #expect(played.status == 0 && played.output.contains("\(2 * (plan.rungs.count + 1)) passed, 0 failed"), "\(played.output)")
        let dash = try await BrowserCheck.run("play-check.py", [root.path, "--player", "dashjs", "--timeout", "120"])
        #expect(dash.status == 0 && dash.output.contains("\(plan.rungs.count + 1) passed, 0 failed"), "\(dash.output)")
        try? FileManager.default.removeItem(at: root)
    }
}
