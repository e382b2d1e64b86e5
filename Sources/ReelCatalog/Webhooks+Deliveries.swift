public import Foundation
public import ReelPostgres

/// Webhook events and their delivery attempts: the SQL of `webhook_events`
/// and `webhook_attempts`. Events are written by the transaction of the
/// change they report (``record(_:on:)``); delivery jobs read them back and
/// record each attempt.
extension Webhooks {
    /// An event to write: its Standard Webhooks message id and the exact body every delivery sends.
    public struct Event: Sendable {
        public let id: String
        public let tenant: String
        public let type: EventType
        public let payload: String

        public init(id: String, tenant: String, type: EventType, payload: String) {
            self.id = id
            self.tenant = tenant
            self.type = type
            self.payload = payload
        }
    }

    /// The enabled endpoints of `tenant` that want `type`.
    public static func subscribers(tenant: String, type: EventType, on conn: isolated PostgresConnection) throws -> [Int64] {
        try conn.queryPrepared(
            "SELECT id FROM webhook_endpoints WHERE tenant = $1 AND disabled_at IS NULL AND $2 = ANY (events) ORDER BY id",
            [tenant, type.rawValue]
        ).map { try $0.decode(Int64.self, "id") }
    }

    /// Writes an event in the caller's transaction.
    public static func record(_ event: Event, on conn: isolated PostgresConnection) throws {
        _ = try conn.queryPrepared(
            "INSERT INTO webhook_events (id, tenant, type, payload) VALUES ($1, $2, $3, $4)",
            [event.id, event.tenant, event.type.rawValue, event.payload])
    }

    /// What one delivery needs: the event, and the endpoint as it is now.
    public struct Delivery: Sendable {
        public let eventID: String
        public let type: String
        public let payload: String
        public let url: String
        /// Every secret that signs: the current one, and the previous one during a rotation.
        public let secrets: [String]
        public let disabled: Bool
    }

    /// The delivery of `event` to `endpoint`; nil when either is gone.
    public static func delivery(event: String, endpoint: Int64, pool: PostgresPool) async throws -> Delivery? {
        try await pool.withConnection { conn in try await conn.queryPrepared(
            """
            SELECT e.id, e.type, e.payload, p.url, p.secret, p.disabled_at IS NOT NULL AS disabled,
                   CASE WHEN p.previous_until > now() THEN p.previous_secret END AS previous
            FROM webhook_events e, webhook_endpoints p WHERE e.id = $1 AND p.id = $2
            """, [event, endpoint]) }
        .first.map { row in
            Delivery(eventID: try row.decode(String.self, "id"), type: try row.decode(String.self, "type"),
                     payload: try row.decode(String.self, "payload"), url: try row.decode(String.self, "url"),
                     secrets: [try row.decode(String.self, "secret")] + [try row.decode(String?.self, "previous")].compactMap { $0 },
                     disabled: try row.decode(Bool.self, "disabled"))
        }
    }

    /// One attempt's outcome.
    public struct Attempt: Sendable, Codable, Hashable {
        public let eventID: String
        public let endpointID: Int64
        public let attempt: Int
        /// The HTTP status; nil when no answer came.
        public let status: Int?
        public let latencyMilliseconds: Double
        /// The first bytes of the answer, or why there was none.
        public let response: String
        public let succeeded: Bool
        public let at: Date

        public init(eventID: String, endpointID: Int64, attempt: Int, status: Int?, latencyMilliseconds: Double, response: String,
                    succeeded: Bool, at: Date = Date()) {
            self.eventID = eventID
            self.endpointID = endpointID
            self.attempt = attempt
            self.status = status
            self.latencyMilliseconds = latencyMilliseconds
            self.response = response
            self.succeeded = succeeded
            self.at = at
        }

        enum CodingKeys: String, CodingKey {
            case eventID = "event_id", endpointID = "endpoint_id", attempt, status, latencyMilliseconds = "latency_ms", response,
                 succeeded, at
        }
    }

    /// Records an attempt and the endpoint's health in one statement (one
    /// round trip, atomic): a success ends its failure run; a failure starts
    /// one or, once the run is older than `disableAfter` seconds, disables the
    /// endpoint. Returns true when this attempt disabled it.
    @discardableResult
    public static func recordAttempt(_ attempt: Attempt, disableAfter: Double, pool: PostgresPool) async throws -> Bool {
        let rows = try await pool.withConnection { conn in try await conn.queryPrepared(
            """
            WITH attempt AS (
                INSERT INTO webhook_attempts (event_id, endpoint_id, attempt, status, latency_ms, response, succeeded)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
            ), health AS (
                UPDATE webhook_endpoints
                SET failing_since = CASE WHEN $7 THEN NULL ELSE coalesce(failing_since, now()) END,
                    disabled_at = CASE WHEN NOT $7 AND failing_since < now() - make_interval(secs => $8) THEN now() END,
                    disabled_reason = CASE WHEN NOT $7 AND failing_since < now() - make_interval(secs => $8)
                                           THEN 'every delivery failed for ' || $8::int || ' seconds' END
                WHERE id = $2 AND disabled_at IS NULL AND (NOT $7 OR failing_since IS NOT NULL)
                RETURNING disabled_at IS NOT NULL AS disabled
            )
            SELECT coalesce((SELECT disabled FROM health), false) AS disabled
            """, [attempt.eventID, attempt.endpointID, attempt.attempt, attempt.status, attempt.latencyMilliseconds,
                  String(attempt.response.prefix(500)), attempt.succeeded, disableAfter]) }
        return try rows.first?.decode(Bool.self, "disabled") ?? false
    }

    /// The latest attempts, newest first: one endpoint's, or every endpoint's when nil.
    public static func attempts(endpoint: Int64?, limit: Int, pool: PostgresPool) async throws -> [Attempt] {
        try await pool.query(
            """
            SELECT event_id, endpoint_id, attempt, status, latency_ms, response, succeeded, extract(epoch FROM at)::float8 AS at
            FROM webhook_attempts WHERE $1::int8 IS NULL OR endpoint_id = $1 ORDER BY at DESC, id DESC LIMIT $2
            """, [endpoint, limit]
        ).map { row in
            Attempt(eventID: try row.decode(String.self, "event_id"), endpointID: try row.decode(Int64.self, "endpoint_id"),
                    attempt: try row.decode(Int.self, "attempt"), status: try row.decode(Int?.self, "status"),
                    latencyMilliseconds: try row.decode(Double.self, "latency_ms"), response: try row.decode(String.self, "response"),
                    succeeded: try row.decode(Bool.self, "succeeded"), at: Date(timeIntervalSince1970: try row.decode(Double.self, "at")))
        }
    }

    /// Removes events (and their attempts) older than `days`; returns how many.
    @discardableResult
    public static func prune(olderThanDays days: Int, pool: PostgresPool) async throws -> Int {
        try await pool.query("DELETE FROM webhook_events WHERE created_at < now() - make_interval(days => $1)", [days]).affectedRows
    }
}

extension Webhooks {
    /// An endpoint's deliveries in the last day (`reel report webhook_attempts`).
    public struct Summary: Sendable, Hashable {
        public let endpoint: Int64
        public let tenant: String
        public let url: String
        /// ok, failing or disabled.
        public let state: String
        public let attempts: Int64
        public let succeeded: Int64
        public let failed: Int64
        public let p50Milliseconds: Double?
        public let p99Milliseconds: Double?
        public let lastAttempt: Date?
    }

    /// Every endpoint's last day, from the report view.
    public static func summaries(pool: PostgresPool) async throws -> [Summary] {
        try await pool.query(
            """
            SELECT endpoint, tenant, url, state, attempts, succeeded, failed, p50_ms::float8 AS p50, p99_ms::float8 AS p99,
                   extract(epoch FROM last_attempt)::float8 AS last
            FROM reel_report_webhook_attempts
            """
        ).map { row in
            Summary(endpoint: try row.decode(Int64.self, "endpoint"), tenant: try row.decode(String.self, "tenant"),
                    url: try row.decode(String.self, "url"), state: try row.decode(String.self, "state"),
                    attempts: try row.decode(Int64.self, "attempts"), succeeded: try row.decode(Int64.self, "succeeded"),
                    failed: try row.decode(Int64.self, "failed"), p50Milliseconds: try row.decode(Double?.self, "p50"),
                    p99Milliseconds: try row.decode(Double?.self, "p99"),
                    lastAttempt: try row.decode(Double?.self, "last").map { Date(timeIntervalSince1970: $0) })
        }
    }
}
