import Foundation

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

    public static func run(_ arguments: [String]) async throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("reel-child-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let child = try SpawnedProcess(arguments, output: log)
        let status = await child.waitForExit()
        return Outcome(status: status, output: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// A tool found on PATH (`ffmpeg`, `ffprobe`), run as `run` does.
    public static func tool(_ name: String, _ arguments: [String]) async throws -> Outcome {
        try await run([name] + arguments)
    }
}
