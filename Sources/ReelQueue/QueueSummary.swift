import Foundation
import ReelPostgres

/// One queue at a glance: its jobs per state, how fast it drains, how old its
/// oldest waiting job is, and its limits. The one query behind the admin
/// API's `/v1/admin/queues`, the dashboard's queue page and `reel queues`
/// (each shows the columns it needs).
public struct QueueSummary: Sendable, Hashable, Codable {
    public var name: String
    public var pending, available, scheduled, running, retryable: Int
    public var completed, discarded, cancelled: Int
    public var completedLastMinute: Int
    /// Seconds the oldest available job has waited; nil when none waits.
    public var oldestAvailableSeconds: Double?
    public var globalLimit: Int?
    public var ratePerSecond: Double?
    public var paused: Bool

    enum CodingKeys: String, CodingKey {
        case name = "queue", pending, available, scheduled, running, retryable, completed, discarded, cancelled
        case completedLastMinute = "completed_last_minute", oldestAvailableSeconds = "oldest_available_s"
        case globalLimit = "global_limit", ratePerSecond = "rate_per_second", paused
    }

    /// Every queue with jobs or settings, by name: `reel_report_queues` beside `reel_queues`.
    static let sql = """
        SELECT coalesce(r.queue, q.name) AS queue, coalesce(pending, 0) AS pending, coalesce(available, 0) AS available,
               coalesce(scheduled, 0) AS scheduled, coalesce(running, 0) AS running, coalesce(retryable, 0) AS retryable,
               coalesce(completed, 0) AS completed, coalesce(discarded, 0) AS discarded, coalesce(cancelled, 0) AS cancelled,
               coalesce(completed_last_minute, 0) AS completed_last_minute, oldest_available_s,
               q.global_limit, q.rate_per_second, coalesce(q.paused, false) AS paused
        FROM reel_report_queues r FULL JOIN reel_queues q ON q.name = r.queue ORDER BY 1
        """

    /// The queue's jobs per state, every state.
    public var byState: [JobState: Int] {
        [.pending: pending, .available: available, .scheduled: scheduled, .running: running, .retryable: retryable,
         .completed: completed, .discarded: discarded, .cancelled: cancelled]
    }

    init(row: PostgresRow) throws {
        name = try row.decode(String.self, "queue")
        pending = try row.decode(Int.self, "pending")
        available = try row.decode(Int.self, "available")
        scheduled = try row.decode(Int.self, "scheduled")
        running = try row.decode(Int.self, "running")
        retryable = try row.decode(Int.self, "retryable")
        completed = try row.decode(Int.self, "completed")
        discarded = try row.decode(Int.self, "discarded")
        cancelled = try row.decode(Int.self, "cancelled")
        completedLastMinute = try row.decode(Int.self, "completed_last_minute")
        oldestAvailableSeconds = try row.decode(Double?.self, "oldest_available_s")
        globalLimit = try row.decode(Int?.self, "global_limit")
        ratePerSecond = try row.decode(Double?.self, "rate_per_second")
        paused = try row.decode(Bool.self, "paused")
    }
}

extension JobQueue {
    /// Every queue's summary (``QueueSummary``).
    public func summaries() async throws -> [QueueSummary] {
        try await pool.query(QueueSummary.sql).map(QueueSummary.init(row:))
    }
}

/// One queue in one minute of the last hour (`reel_report_queue_minutes`):
/// jobs waiting, jobs completed, and the 95th percentile of their wait.
public struct QueueMinute: Sendable, Hashable {
    public var queue: String
    public var waiting: Int
    public var completed: Int
    /// Milliseconds; 0 when nothing started that minute.
    public var waitP95Milliseconds: Double
}

extension JobQueue {
    /// Every queue's last hour, minute by minute, queue by queue.
    public func lastHour() async throws -> [QueueMinute] {
        try await pool.query("SELECT queue, waiting, completed, coalesce(wait_p95_ms, 0)::float8 AS wait_p95_ms FROM reel_report_queue_minutes")
            .map { row in
                QueueMinute(
                    queue: try row.decode(String.self, "queue"), waiting: try row.decode(Int.self, "waiting"),
                    completed: try row.decode(Int.self, "completed"), waitP95Milliseconds: try row.decode(Double.self, "wait_p95_ms"))
            }
    }

    /// Whether the database answers (the API's readiness).
    public func reachable() async throws {
        try await pool.query("SELECT 1")
    }
}
