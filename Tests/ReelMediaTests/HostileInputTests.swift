import Foundation
import Testing
import ReelMedia
import ReelManifests
import ReelTesting

/// Unusual but valid inputs each become a ladder that libavformat reads
/// without an error and that plays to the end in headless Chromium (the
/// failing inputs are in MediaProbeTests; many-streams.mkv and huge.mkv,
/// beyond `MediaLimits`, in MediaLimitsTests).
@Suite struct HostileInputTests {
    @Test(arguments: [
        ("one-frame.mp4", "720x1280"), ("vfr.mp4", "360x640"), ("long-gop.mp4", "360x640"), ("hevc10.mp4", "360x640"),
        ("vp9.webm", "640x358"), ("rotated.mp4", "360x640"),
    ])
    func becomesAPlayableLadder(file: String, top: String) async throws {
        let path = try await TestClips.path(file)
        let info = try MediaProbe.probe(path)
        let ladder = try LadderPlanner.plan(info.video.geometry)
        #expect(ladder.first.map { "\($0.width)x\($0.height)" } == top, "\(file)")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-hostile-\(UUID().uuidString)")
        // The smallest rung keeps the test quick; every rung goes through the same code.
        let packaged = try await MediaPackager.package(path: path, info: info, rungs: Array(ladder.suffix(1)), to: root, segmentSeconds: 1)
        #expect(packaged.video.first?.segments.isEmpty == false, "\(file)")
        let log = try await tool("ffmpeg", ["-v", "error", "-i", root.appendingPathComponent("master.m3u8").path, "-map", "0", "-f", "null", "-"])
        #expect(log.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(file): \(log)")
        let played = try await ChromiumPlayer.play(root, timeout: 120)
        #expect(played.allPassed, "\(file): \(played.output)")
        try? FileManager.default.removeItem(at: root)
    }
}
