public import Foundation

/// A `reel` child process (worker, scheduler, CLI command) for tests that
/// need real processes: to SIGKILL them, or to run several at once.
public final class ReelProcess: @unchecked Sendable {
    public let process = Process()
    public let outputURL: URL
    private let output: FileHandle

    /// Starts `reel ARGS` with `REEL_DATABASE_URL=url`; output goes to a temp file.
    public init(_ arguments: [String], databaseURL: String, environment: [String: String] = [:]) throws {
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("reel-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        output = try FileHandle(forWritingTo: outputURL)
        process.executableURL = PackagePaths.reelBinary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["REEL_DATABASE_URL"] = databaseURL
        env["REEL_LOG_LEVEL"] = env["REEL_LOG_LEVEL"] ?? "info"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for exit (polling, off the cooperative pool's toes) and returns the status.
    @discardableResult
    public func waitForExit(timeout: Double = 60) async throws -> Int32 {
        try await eventually(timeout: timeout, "reel \(process.arguments?.first ?? "") to exit") { !process.isRunning }
        try? output.close()
        return process.terminationStatus
    }

    /// Stops the process if it still runs (SIGKILL) and waits for it.
    public func stop() async {
        if process.isRunning { signal(SIGKILL) }
        _ = try? await waitForExit(timeout: 10)
    }

    public var log: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    /// Runs a short command to completion and returns (status, output).
    public static func run(_ arguments: [String], databaseURL: String) async throws -> (status: Int32, output: String) {
        let p = try ReelProcess(arguments, databaseURL: databaseURL)
        let status = try await p.waitForExit()
        return (status, p.log)
    }
}
