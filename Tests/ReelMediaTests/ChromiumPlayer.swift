import Foundation
import ReelTesting

/// Plays a packaged folder in headless Chromium with Video.js/VHS through
/// `scripts/play-check.py` (set up by `scripts/install-player.sh`, which
/// `scripts/test.sh` runs): every rendition through HLS and DASH to the end.
enum ChromiumPlayer {
    struct Outcome {
        let status: Int32
        let output: String
        var allPassed: Bool { status == 0 && output.contains(" passed, 0 failed") }
    }

    static func play(_ folder: URL, timeout: Int = 180) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [PackagePaths.root.appendingPathComponent("scripts/play-check.py").path, folder.path,
                             "--timeout", "\(timeout)", "--no-install"]
        process.currentDirectoryURL = PackagePaths.root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: output)
    }
}
