public import Foundation
public import ReelPostgres
import ReelQueue

/// Periodic jobs defined in `reel_periodic_jobs`, enqueued by the leader.
///
/// Each run is enqueued with the unique key `periodic:NAME:EPOCH`, so a leader
/// change at the wrong moment cannot enqueue one run twice.
public struct PeriodicJobs: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// A periodic job's definition.
    public struct Definition: Sendable, Hashable, Codable {
        public var name: String
        public var cron: String
        public var kind: String
        public var queue: String
        public var args: String
        public var enabled: Bool
        public var nextRunAt: Date?
        public var lastJobID: Int64?

        public init(name: String, cron: String, kind: String, queue: String = "default", args: String = "{}", enabled: Bool = true) {
            self.name = name
            self.cron = cron
            self.kind = kind
            self.queue = queue
            self.args = args
            self.enabled = enabled
        }
    }

    /// Creates or replaces a definition; validates the cron expression and the args.
    public func upsert(_ definition: Definition) async throws {
        let schedule = try CronSchedule(definition.cron)
        try JobRequest(kind: definition.kind, args: definition.args, queue: definition.queue).validate()
        try await pool.query(
            """
            INSERT INTO reel_periodic_jobs (name, cron, kind, queue, args, enabled, next_run_at)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::timestamptz)
            ON CONFLICT (name) DO UPDATE SET cron = $2, kind = $3, queue = $4, args = $5::jsonb, enabled = $6,
                next_run_at = $7::timestamptz
            """,
            [definition.name, definition.cron, definition.kind, definition.queue, definition.args, definition.enabled,
             schedule.next(after: Date())])
    }

    /// Adds the definitions that do not exist yet; one an operator changed
    /// or removed-and-re-added stays as it is.
    public func install(_ definitions: [Definition]) async throws {
        for definition in definitions {
            let schedule = try CronSchedule(definition.cron)
            try JobRequest(kind: definition.kind, args: definition.args, queue: definition.queue).validate()
            try await pool.query(
                """
                INSERT INTO reel_periodic_jobs (name, cron, kind, queue, args, enabled, next_run_at)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::timestamptz) ON CONFLICT (name) DO NOTHING
                """,
                [definition.name, definition.cron, definition.kind, definition.queue, definition.args, definition.enabled,
                 schedule.next(after: Date())])
        }
    }

    public func remove(_ name: String) async throws -> Bool {
        try await pool.query("DELETE FROM reel_periodic_jobs WHERE name = $1", [name]).affectedRows > 0
    }

    public func list() async throws -> [Definition] {
        try await pool.query(
            "SELECT name, cron, kind, queue, args, enabled, next_run_at, last_job_id FROM reel_periodic_jobs ORDER BY name"
        ).map { row in
            var d = Definition(
                name: try row.decode(String.self, "name"), cron: try row.decode(String.self, "cron"),
                kind: try row.decode(String.self, "kind"), queue: try row.decode(String.self, "queue"),
                args: try row.decode(String.self, "args"), enabled: try row.decode(Bool.self, "enabled"))
            d.nextRunAt = try row.decode(Date?.self, "next_run_at")
            d.lastJobID = try row.decode(Int64?.self, "last_job_id")
            return d
        }
    }

    /// Enqueues every run that is due; returns how many jobs it enqueued.
    func enqueueDue() async throws -> Int {
        try await pool.withTransaction { conn in
            let due = try conn.query(
                """
                SELECT name, cron, kind, queue, args, next_run_at FROM reel_periodic_jobs
                WHERE enabled AND (next_run_at IS NULL OR next_run_at <= now()) FOR UPDATE SKIP LOCKED
                """)
            var enqueued = 0
            let now = Date()
            for row in due {
                let name = try row.decode(String.self, "name")
                guard let schedule = try? CronSchedule(try row.decode(String.self, "cron")) else { continue }
                var jobID: Int64?
                if let runAt = try row.decode(Date?.self, "next_run_at") {
                    let request = JobRequest(
                        kind: try row.decode(String.self, "kind"), args: try row.decode(String.self, "args"),
                        queue: try row.decode(String.self, "queue"),
                        uniqueKey: "periodic:\(name):\(Int64(runAt.timeIntervalSince1970))",
                        meta: #"{"periodic": true}"#)
                    let result = try JobQueue.enqueue(request, on: conn)
                    jobID = result.id
                    if result.inserted { enqueued += 1 }
                }
                try conn.query(
                    "UPDATE reel_periodic_jobs SET next_run_at = $2::timestamptz, last_job_id = coalesce($3, last_job_id) WHERE name = $1",
                    [name, schedule.next(after: now), jobID])
            }
            return enqueued
        }
    }
}
