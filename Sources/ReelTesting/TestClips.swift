import Foundation

/// The media test cases of `scripts/make-test-clips.sh`, generated once per
/// test process into a temporary folder.
public enum TestClips {
    private static let folder: Result<URL, any Error> = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-clips-\(getpid())")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [PackagePaths.root.appendingPathComponent("scripts/make-test-clips.sh").path, dir.path]
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                return .failure(ProxyError(message: "scripts/make-test-clips.sh failed with status \(process.terminationStatus)"))
            }
            return .success(dir)
        } catch {
            return .failure(error)
        }
    }()

    /// The path of a generated clip, e.g. `TestClips.path("vertical.mp4")`.
    public static func path(_ name: String) throws -> String {
        try folder.get().appendingPathComponent(name).path
    }
}
