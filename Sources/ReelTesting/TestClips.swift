import Foundation

/// The media test cases of `scripts/test-helpers/make-test-clips.sh`, generated once per
/// test process into a temporary folder (the first test to ask waits for
/// them, off the cooperative pool; the others wait for that same run).
public enum TestClips {
    private actor Generated {
        private var run: Task<URL, any Error>?

        func folder() async throws -> URL {
            if let run { return try await run.value }
            let started = Task { () throws -> URL in
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-clips-\(getpid())")
                let made = try await ChildProcess.run(
                    ["bash", PackagePaths.root.appendingPathComponent("scripts/test-helpers/make-test-clips.sh").path, dir.path])
                guard made.status == 0 else {
                    throw ProxyError(message: "scripts/test-helpers/make-test-clips.sh failed with status \(made.status): \(made.output.suffix(2000))")
                }
                return dir
            }
            run = started
            return try await started.value
        }
    }

    private static let generated = Generated()

    /// The path of a generated clip, e.g. `TestClips.path("vertical.mp4")`.
    public static func path(_ name: String) async throws -> String {
        try await generated.folder().appendingPathComponent(name).path
    }
}
