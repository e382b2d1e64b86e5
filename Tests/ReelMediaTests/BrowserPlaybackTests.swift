import Foundation
import Testing
import ReelMedia
import ReelTesting

/// The packaged video plays in headless Chromium with a standard player
/// (Video.js with VHS), through HLS and DASH, every rendition to the end
/// with no player error: `scripts/play-check.py`, set up by
/// `scripts/install-player.sh` (which `scripts/test.sh` runs).
@Suite struct BrowserPlaybackTests {
    @Test func everyRenditionPlaysToTheEndInChromium() throws {
        let path = try TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-browser-\(UUID().uuidString)")
        _ = try MediaPackager.package(path, info: info, rungs: try LadderPlanner.plan(info.video.geometry), to: root, segmentSeconds: 1)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [PackagePaths.root.appendingPathComponent("scripts/play-check.py").path, root.path,
                             "--timeout", "180", "--no-install"]
        process.currentDirectoryURL = PackagePaths.root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("10 passed, 0 failed"), "\(output)")
        try? FileManager.default.removeItem(at: root)
    }
}
