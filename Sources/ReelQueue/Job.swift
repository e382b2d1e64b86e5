public import Foundation
import ReelPostgres

/// A job as stored in `reel_jobs`.
public struct Job: Sendable, Identifiable, Codable, Hashable {
    public let id: Int64
    public let kind: String
    public let queue: String
    public let tenant: String
    /// The arguments as JSON text (`reel_jobs.args`).
    public let args: String
    public let state: JobState
    public let priority: Int
    public let attempt: Int
    public let maxAttempts: Int
    public let runAt: Date
    public let leaseExpiresAt: Date?
    public let attemptedBy: String?
    public let attemptedAt: Date?
    public let errors: [JobAttemptError]
    public let uniqueKey: String?
    public let parentIDs: [Int64]
    public let cancelRequested: Bool
    public let cancelReason: String?
    public let createdAt: Date
    public let finalizedAt: Date?

    /// Decodes the arguments into a type of the handler's.
    public func decodeArgs<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(args.utf8))
        } catch {
            throw JobFailure.permanent("job \(id) (\(kind)): arguments \(args) do not match \(T.self): \(error)")
        }
    }
}

/// One failed attempt, as kept in `reel_jobs.errors`.
public struct JobAttemptError: Sendable, Codable, Hashable {
    public let attempt: Int
    public let at: String
    public let worker: String?
    public let message: String
    public let permanent: Bool?
}

extension Job {
    /// The columns `Job(row:)` reads, for SELECT lists.
    static let columns = """
        id, kind, queue, tenant, args, state, priority, attempt, max_attempts, run_at, lease_expires_at,
        attempted_by, attempted_at, errors, unique_key, parent_ids, cancel_requested_at, cancel_reason,
        created_at, finalized_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(Int64.self, "id")
        kind = try row.decode(String.self, "kind")
        queue = try row.decode(String.self, "queue")
        tenant = try row.decode(String.self, "tenant")
        args = try row.decode(String.self, "args")
        let stateText = try row.decode(String.self, "state")
        guard let state = JobState(rawValue: stateText) else {
            throw PostgresError(code: .decoding, message: "unknown job state '\(stateText)'")
        }
        self.state = state
        priority = try row.decode(Int.self, "priority")
        attempt = try row.decode(Int.self, "attempt")
        maxAttempts = try row.decode(Int.self, "max_attempts")
        runAt = try row.decode(Date.self, "run_at")
        leaseExpiresAt = try row.decode(Date?.self, "lease_expires_at")
        attemptedBy = try row.decode(String?.self, "attempted_by")
        attemptedAt = try row.decode(Date?.self, "attempted_at")
        let errorsText = try row.decode(String.self, "errors")
        errors = (try? JSONDecoder().decode([JobAttemptError].self, from: Data(errorsText.utf8))) ?? []
        uniqueKey = try row.decode(String?.self, "unique_key")
        parentIDs = try row.decode([Int64].self, "parent_ids")
        cancelRequested = try row.decode(Date?.self, "cancel_requested_at") != nil
        cancelReason = try row.decode(String?.self, "cancel_reason")
        createdAt = try row.decode(Date.self, "created_at")
        finalizedAt = try row.decode(Date?.self, "finalized_at")
    }
}
