import Foundation
import ReelTesting

/// Plays a packaged folder in headless Chromium with Video.js/VHS through
/// `scripts/test-helpers/play-check.py`: every rendition through HLS and DASH to the end.
enum ChromiumPlayer {
    struct Outcome {
        let status: Int32
        let output: String
        var allPassed: Bool { status == 0 && output.contains(" passed, 0 failed") }
    }

    static func play(_ folder: URL, timeout: Int = 180) async throws -> Outcome {
        let checked = try await BrowserCheck.run("play-check.py", [folder.path, "--timeout", "\(timeout)"])
        return Outcome(status: checked.status, output: checked.output)
    }
}
