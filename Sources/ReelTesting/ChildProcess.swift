public import Foundation

/// Runs a program (ffmpeg, a browser check, a script) to its end without
/// holding a thread of Swift's cooperative pool while it runs. Blocking in
/// `waitUntilExit` there is not harmless in tests: the pool has one thread
/// per core (two here), so two tests waiting on children at once stop every
/// other task in the process — an API under test included, which then looks
/// like a server that does not answer.
public enum ChildProcess {
    public struct Outcome: Sendable {
        public let status: Int32
        /// What it printed, standard output and standard error together.
        public let output: String
    }

    public static func run(
        _ executable: URL, _ arguments: [String], in directory: URL? = nil
    ) async throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("reel-child-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(at: log)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Outcome(status: status, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// A tool found on PATH (`ffmpeg`, `ffprobe`), run as `run` does.
    public static func tool(_ name: String, _ arguments: [String]) async throws -> Outcome {
        try await run(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments)
    }
}
