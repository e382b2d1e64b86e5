import ArgumentParser
import Foundation
import ReelAPI
import ReelCatalog

/// The API's defences against slow and numerous clients (docs/security.md).
struct ServerLimitOptions: ParsableArguments {
    @Option(help: "Seconds a new connection has to send its whole first request head (default: $REEL_HEADER_TIMEOUT, else 10).")
    var headerTimeout: Double?
    @Option(help: "Seconds a request body may go without a byte (default: $REEL_BODY_STALL_TIMEOUT, else 30).")
    var bodyStallTimeout: Double?
    @Option(help: "Seconds a kept-alive connection waits for its next request (default: $REEL_IDLE_TIMEOUT, else 75).")
    var idleTimeout: Double?
    @Option(help: "Open connections at most; more wait in the listen backlog (default: $REEL_MAX_CONNECTIONS, else 4096).")
    var maxConnections: Int?
    @Option(help: "Connections the kernel queues before the server accepts them, capped by net.core.somaxconn (default: $REEL_LISTEN_BACKLOG, else 4096).")
    var listenBacklog: Int?
    @Option(help: "Seconds a request waits for a database connection before 503 + Retry-After (default: $REEL_DATABASE_WAIT, else 2).")
    var databaseWait: Double?
    @Option(help: "Milliseconds one SQL statement of the API may run (default: $REEL_STATEMENT_TIMEOUT_MS, else 5000).")
    var statementTimeoutMs: Int?

    func limits(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerLimits {
        var limits = ServerLimits()
        func pick<T: LosslessStringConvertible & Comparable>(_ flag: T?, _ name: String, _ minimum: T) throws -> T? {
            if let flag {
                guard flag >= minimum else { throw CLIError("--\(name.lowercased()): at least \(minimum)") }
                return flag
            }
            return try EnvironmentNumber.read(name, atLeast: minimum, environment)
        }
        if let v = try pick(headerTimeout, "REEL_HEADER_TIMEOUT", 0.1) { limits.headerTimeout = v }
        if let v = try pick(bodyStallTimeout, "REEL_BODY_STALL_TIMEOUT", 0.1) { limits.bodyStallTimeout = v }
        if let v = try pick(idleTimeout, "REEL_IDLE_TIMEOUT", 0.1) { limits.idleTimeout = v }
        if let v = try pick(maxConnections, "REEL_MAX_CONNECTIONS", 1) { limits.maxConnections = v }
        if let v = try pick(listenBacklog, "REEL_LISTEN_BACKLOG", 1) { limits.listenBacklog = v }
        if let v = try pick(databaseWait, "REEL_DATABASE_WAIT", 0.01) { limits.databaseWait = v }
        if let v = try pick(statementTimeoutMs, "REEL_STATEMENT_TIMEOUT_MS", 1) { limits.statementTimeoutMs = v }
        // Only to measure what the defences cost (scripts/bench/serve.sh).
        if environment["REEL_SERVER_DEFENCES"] == "off" { limits.defences = false }
        return limits
    }
}

/// Upload quotas, expiry and the free-space guard, from the environment (docs/configuration.md).
enum UploadPolicyEnvironment {
    static func load(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> UploadPolicy {
        var policy = UploadPolicy()
        if let v: Int = try EnvironmentNumber.read("REEL_QUOTA_TOKEN_UPLOADS", atLeast: 1, environment) { policy.perToken.openUploads = v }
        if let v: Int64 = try EnvironmentNumber.read("REEL_QUOTA_TOKEN_BYTES", atLeast: 1, environment) { policy.perToken.bytesInFlight = v }
        if let v: Int = try EnvironmentNumber.read("REEL_QUOTA_TENANT_UPLOADS", atLeast: 1, environment) { policy.perTenant.openUploads = v }
        if let v: Int64 = try EnvironmentNumber.read("REEL_QUOTA_TENANT_BYTES", atLeast: 1, environment) { policy.perTenant.bytesInFlight = v }
        if let v: Double = try EnvironmentNumber.read("REEL_UPLOAD_EXPIRY_HOURS", atLeast: 0.01, environment) { policy.expirySeconds = v * 3600 }
        if let v: Int64 = try EnvironmentNumber.read("REEL_MIN_FREE_MIB", atLeast: 0, environment) { policy.minimumFreeBytes = v << 20 }
        return policy
    }

    /// The bytes that must stay free on a worker's scratch disk before it takes media jobs.
    static func minimumFree(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int64 {
        try (EnvironmentNumber.read("REEL_MIN_FREE_MIB", atLeast: Int64(0), environment) ?? (UploadPolicy().minimumFreeBytes >> 20)) << 20
    }
}
