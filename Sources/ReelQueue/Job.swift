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
    /// Free-form JSON kept with the job (`reel_jobs.meta`): the trace it
    /// belongs to (`traceparent`), who submitted it.
    public let meta: String

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
        created_at, finalized_at, meta
        """

    /// Positions of the columns in one result, looked up once for all its rows.
    struct Columns {
        let id, kind, queue, tenant, args, state, priority, attempt, maxAttempts, runAt, leaseExpiresAt: Int
        let attemptedBy, attemptedAt, errors, uniqueKey, parentIDs, cancelRequestedAt, cancelReason: Int
        let createdAt, finalizedAt: Int
        /// nil when the result has no `meta` column.
        let meta: Int?

        init(_ result: PostgresResult) throws {
            func at(_ name: String) throws -> Int {
                guard let i = result.columnIndex(name) else {
                    throw PostgresError(code: .decoding, message: "a job row lacks the column '\(name)'")
                }
                return i
            }
            (id, kind, queue, tenant, args, state) = (try at("id"), try at("kind"), try at("queue"), try at("tenant"), try at("args"), try at("state"))
            (priority, attempt, maxAttempts, runAt) = (try at("priority"), try at("attempt"), try at("max_attempts"), try at("run_at"))
            (leaseExpiresAt, attemptedBy, attemptedAt) = (try at("lease_expires_at"), try at("attempted_by"), try at("attempted_at"))
            (errors, uniqueKey, parentIDs) = (try at("errors"), try at("unique_key"), try at("parent_ids"))
            (cancelRequestedAt, cancelReason, createdAt, finalizedAt) =
                (try at("cancel_requested_at"), try at("cancel_reason"), try at("created_at"), try at("finalized_at"))
            meta = result.columnIndex("meta")
        }
    }

    /// Decodes every row of a result (a fetch returns `reel_jobs.*`).
    static func all(in result: PostgresResult) throws -> [Job] {
        if result.isEmpty { return [] }
        let columns = try Columns(result)
        return try result.map { try Job(row: $0, columns: columns) }
    }

    init(row: PostgresRow, columns c: Columns) throws {
        func missing(_ what: String) -> PostgresError {
            PostgresError(code: .decoding, message: "job row has no valid \(what)")
        }
        /// A NOT NULL column read fast; NULL or unparsable is an error naming it.
        func required<T>(_ value: T?, _ column: String) throws -> T {
            guard let value else { throw missing("'\(column)'") }
            return value
        }
        id = try required(row.int64(c.id), "id")
        state = try required(row.string(c.state).flatMap(JobState.init(rawValue:)), "state")
        kind = try required(row.string(c.kind), "kind")
        queue = try required(row.string(c.queue), "queue")
        tenant = try required(row.string(c.tenant), "tenant")
        args = try required(row.string(c.args), "args")
        priority = try required(row.int(c.priority), "priority")
        attempt = try required(row.int(c.attempt), "attempt")
        maxAttempts = try required(row.int(c.maxAttempts), "max_attempts")
        runAt = try required(row.date(c.runAt), "run_at")
        createdAt = try required(row.date(c.createdAt), "created_at")
        leaseExpiresAt = row.date(c.leaseExpiresAt)
        attemptedBy = row.string(c.attemptedBy)
        attemptedAt = row.date(c.attemptedAt)
        let errorsText = try required(row.string(c.errors), "errors")
        do {
            errors = errorsText == "[]" ? [] : try JSONDecoder().decode([JobAttemptError].self, from: Data(errorsText.utf8))
        } catch {
            throw missing("'errors' (\(errorsText.prefix(60)))")
        }
        uniqueKey = row.string(c.uniqueKey)
        let parents = try required(row.string(c.parentIDs), "parent_ids")
        parentIDs = try required(parents == "{}" ? [] : [Int64](postgresText: parents), "parent_ids")
        cancelRequested = row.date(c.cancelRequestedAt) != nil
        cancelReason = row.string(c.cancelReason)
        finalizedAt = row.date(c.finalizedAt)
        meta = c.meta.flatMap { row.string($0) } ?? "{}"
    }
}
