public import Foundation

/// A `reel` child process (worker, scheduler, CLI command) for tests that
/// need real processes: to SIGKILL them, or to run several at once.
public final class ReelProcess: Sendable {
    public let outputURL: URL
    private let child: SpawnedProcess
    public let arguments: [String]

    /// Starts `reel ARGS` with `REEL_DATABASE_URL=url`; output goes to a temp file.
    public init(_ arguments: [String], databaseURL: String, environment: [String: String] = [:]) throws {
        outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("reel-test-\(UUID().uuidString).log")
        self.arguments = arguments
        var env = ["REEL_DATABASE_URL": databaseURL]
        env["REEL_LOG_LEVEL"] = ProcessInfo.processInfo.environment["REEL_LOG_LEVEL"] ?? "info"
        for (k, v) in environment { env[k] = v }
        // `env NAME=VALUE… reel ARGS`: the child gets this process's environment plus these.
        child = try SpawnedProcess(["env"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                                   + [PackagePaths.reelBinary.path] + arguments, output: outputURL)
    }

    public var pid: Int32 { child.pid }
    public var isRunning: Bool { child.isRunning }

    public func signal(_ signal: Int32) { child.signal(signal) }

    /// Waits for exit (off the cooperative pool's toes) and returns the status.
    @discardableResult
    public func waitForExit(timeout: Double = 60) async throws -> Int32 {
        try await eventually(timeout: timeout, "reel \(arguments.first ?? "") to exit") { !child.isRunning }
        return child.exitStatus ?? -1
    }

    /// Stops the process if it still runs (SIGKILL) and waits for it.
    public func stop() async {
        if child.isRunning { signal(SIGKILL) }
        _ = try? await waitForExit(timeout: 10)
    }

    public var log: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    /// The `host:port` the process logged after `marker` ("listening on http://",
    /// "metrics on http://"), in a text or a JSON log line; waits up to 30 s for it.
    public func address(after marker: String) async throws -> String {
        var found = ""
        try await eventually(timeout: 30, "reel \(arguments.first ?? "") to log \(marker)") {
            guard let range = self.log.range(of: marker) else { return false }
            found = String(self.log[range.upperBound...].prefix { !$0.isWhitespace && $0 != "/" && $0 != "\"" })
            return true
        }
        return found
    }

    /// Runs a short command to completion and returns (status, output).
    public static func run(_ arguments: [String], databaseURL: String, environment: [String: String] = [:]) async throws -> (
        status: Int32, output: String
    ) {
        let p = try ReelProcess(arguments, databaseURL: databaseURL, environment: environment)
        let status = try await p.waitForExit()
        return (status, p.log)
    }
}
