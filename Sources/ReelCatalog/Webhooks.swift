public import Foundation
public import ReelPostgres

/// Webhook endpoints, the SQL of `webhook_endpoints` in one place: a tenant
/// registers URLs with the events they want; the API, the CLI and the
/// delivery jobs read and change them here.
public enum Webhooks {
    /// What Reel reports, and the `type` of each event's body.
    public enum EventType: String, Sendable, CaseIterable, Codable {
        case videoCreated = "video.created"
        case videoPlayable = "video.playable"
        case videoReady = "video.ready"
        case videoFailed = "video.failed"
        case videoDeleted = "video.deleted"
        case uploadExpired = "upload.expired"
        /// Sent to one endpoint by `reel webhooks test` or `POST /v1/webhooks/{id}/test`; never subscribed to.
        case test = "webhook.test"

        /// The types an endpoint may ask for.
        public static let subscribable: [EventType] = allCases.filter { $0 != .test }
    }

    /// An endpoint as lists show it: never its secret.
    public struct Endpoint: Sendable, Codable, Hashable {
        public let id: Int64
        public let tenant: String
        public let url: String
        public let events: [String]
        public let description: String
        /// The first characters of the signing secret, to tell secrets apart after a rotation.
        public let secretPrefix: String
        public let createdAt: Date
        /// When the current run of failed deliveries began (nil: the last delivery succeeded).
        public let failingSince: Date?
        public let disabledAt: Date?
        public let disabledReason: String?

        enum CodingKeys: String, CodingKey {
            case id, tenant, url, events, description
            case secretPrefix = "secret_prefix", createdAt = "created_at", failingSince = "failing_since"
            case disabledAt = "disabled_at", disabledReason = "disabled_reason"
        }
    }

    /// A new secret: `whsec_` and 32 random bytes in base64, as the Standard
    /// Webhooks specification writes them (24 to 64 bytes).
    public static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "whsec_" + Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }

    static let columns = """
        id, tenant, url, events, description, left(secret, 12) AS secret_prefix, extract(epoch FROM created_at)::float8 AS created,
        extract(epoch FROM failing_since)::float8 AS failing, extract(epoch FROM disabled_at)::float8 AS disabled, disabled_reason
        """

    static func endpoint(_ row: PostgresRow) throws -> Endpoint {
        let date = { (value: Double?) in value.map { Date(timeIntervalSince1970: $0) } }
        return Endpoint(
            id: try row.decode(Int64.self, "id"), tenant: try row.decode(String.self, "tenant"), url: try row.decode(String.self, "url"),
            events: try row.decode([String].self, "events"), description: try row.decode(String.self, "description"),
            secretPrefix: try row.decode(String.self, "secret_prefix"),
            createdAt: Date(timeIntervalSince1970: try row.decode(Double.self, "created")),
            failingSince: date(try row.decode(Double?.self, "failing")), disabledAt: date(try row.decode(Double?.self, "disabled")),
            disabledReason: try row.decode(String?.self, "disabled_reason"))
    }

    /// Registers an endpoint (its events once each, in name order); its secret is `secret` (shown to the caller once).
    public static func add(tenant: String, url: String, events: [EventType], description: String, secret: String,
                           pool: PostgresPool) async throws -> Endpoint {
        let rows = try await pool.query(
            "INSERT INTO webhook_endpoints (tenant, url, events, description, secret) VALUES ($1, $2, $3, $4, $5) RETURNING \(columns)",
            [tenant, url, Set(events.map(\.rawValue)).sorted(), description, secret])
        guard let row = rows.first else { throw CatalogError("registering a webhook endpoint returned no row") }
        return try endpoint(row)
    }

    /// Endpoints, of one tenant when `tenant` is given, oldest first.
    public static func list(tenant: String?, pool: PostgresPool) async throws -> [Endpoint] {
        let rows = try await pool.query(
            "SELECT \(columns) FROM webhook_endpoints WHERE $1::text IS NULL OR tenant = $1 ORDER BY id", [tenant])
        return try rows.map(endpoint)
    }

    /// One endpoint, if it exists and (when `tenant` is given) is that tenant's.
    public static func endpoint(_ id: Int64, tenant: String?, pool: PostgresPool) async throws -> Endpoint? {
        try await pool.query(
            "SELECT \(columns) FROM webhook_endpoints WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)", [id, tenant]
        ).first.map(endpoint)
    }

    /// Removes an endpoint with its attempts; its pending deliveries end when they find it gone.
    public static func remove(_ id: Int64, tenant: String?, pool: PostgresPool) async throws -> Bool {
        try await pool.query("DELETE FROM webhook_endpoints WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)", [id, tenant]).affectedRows == 1
    }

    /// Enables a disabled endpoint by hand; its failure run starts afresh.
    public static func enable(_ id: Int64, tenant: String?, pool: PostgresPool) async throws -> Bool {
        try await pool.query(
            """
            UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL
            WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)
            """, [id, tenant]).affectedRows == 1
    }

    /// Gives an endpoint a new secret; the old one keeps signing too for
    /// `overlap` seconds, so the receiver can switch without losing a delivery.
    public static func rotate(_ id: Int64, tenant: String?, secret: String, overlap: Double, pool: PostgresPool) async throws -> Bool {
        try await pool.query(
            """
            UPDATE webhook_endpoints
            SET previous_secret = secret, previous_until = now() + make_interval(secs => $4), secret = $3
            WHERE id = $1 AND ($2::text IS NULL OR tenant = $2)
            """, [id, tenant, secret, overlap]).affectedRows == 1
    }
}
