import Foundation

/// Runs one of the headless-Chromium checks in scripts/ (`play-check.py`,
/// `player-page-check.py`; set up by `scripts/services/install-player.sh`, which
/// `scripts/test.sh` runs) and keeps what it printed: tests assert on its
/// verdict and show its report, with the player's own errors, when it fails.
public enum BrowserCheck {
    /// `script` is a file name in scripts/; the check never installs anything.
    public static func run(_ script: String, _ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(
            ["python3", PackagePaths.root.appendingPathComponent("scripts/test-helpers/\(script)").path] + arguments + ["--no-install"])
    }
}
