public import Foundation
public import ReelPostgres

/// Uploads in progress, the SQL of the `uploads` table in one place: their
/// admission under quotas, and their expiry.
///
/// Every upload holds a row while it runs, one-shot ones too, so the quotas
/// (open uploads and bytes in flight, per token and per tenant) hold across
/// every API instance. Admission takes a transaction-scoped advisory lock per
/// tenant and per token, so two instances cannot both admit the last slot.
public enum Uploads {
    /// How much one token or one tenant may have in progress at once.
    public struct Quota: Sendable, Hashable {
        /// Unfinished uploads at once.
        public var openUploads: Int
        /// Declared bytes of those uploads together.
        public var bytesInFlight: Int64

        public init(openUploads: Int, bytesInFlight: Int64) {
            self.openUploads = openUploads
            self.bytesInFlight = bytesInFlight
        }
    }

    /// What an upload asks to be admitted as.
    public struct Request: Sendable {
        public var id: String
        public var length: Int64
        public var title: String
        public var owner: String
        public var contentType: String
        /// The token that starts it (nil: the bootstrap token, or open uploads).
        public var tokenID: Int64?
        public var oneShot: Bool
        /// Seconds until an unfinished upload is removed.
        public var expiresIn: Double
        /// The client's tus `Upload-Metadata`, as sent.
        public var metadata: String
        /// The length is still to come: `length` is the most it may be.
        public var lengthDeferred: Bool
        /// Made from the direct upload of the same id, which it spends.
        public var direct: Bool

        public init(id: String, length: Int64, title: String, owner: String, contentType: String, tokenID: Int64?,
                    oneShot: Bool, expiresIn: Double, metadata: String = "", lengthDeferred: Bool = false, direct: Bool = false) {
            self.id = id
            self.length = length
            self.title = title
            self.owner = owner
            self.contentType = contentType
            self.tokenID = tokenID
            self.oneShot = oneShot
            self.expiresIn = expiresIn
            self.metadata = metadata
            self.lengthDeferred = lengthDeferred
            self.direct = direct
        }
    }

    /// A quota an upload would break: what, whose, and the numbers.
    public struct OverQuota: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Inserts the upload's row if its token and its tenant stay within
    /// their quotas; returns when it expires, or throws ``OverQuota`` (or
    /// ``DirectSpent`` when its direct upload was used or expired meanwhile).
    public static func admit(_ upload: Request, token: Quota, tenant: Quota, pool: PostgresPool) async throws -> Date {
        try await pool.withTransaction { conn in
            _ = try conn.query("SELECT pg_advisory_xact_lock(hashtext('reel-uploads-tenant:' || $1))", [upload.owner])
            try check(conn, "owner = $1", upload.owner, quota: tenant, adding: upload.length,
                      who: upload.owner.isEmpty ? "uploads without a tenant" : "tenant '\(upload.owner)'")
            if let id = upload.tokenID {
                _ = try conn.query("SELECT pg_advisory_xact_lock(hashtext('reel-uploads-token:' || $1::text))", [id])
                try check(conn, "token_id = $1", id, quota: token, adding: upload.length, who: "this token")
            }
            if upload.direct { try spendDirect(upload.id, on: conn) }
            let row = try conn.query(
                """
                INSERT INTO uploads (id, length, title, owner, content_type, token_id, one_shot, expires_at, metadata, length_deferred)
                VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8), $9, $10)
                RETURNING extract(epoch FROM expires_at)::float8
                """, [upload.id, upload.length, upload.title, upload.owner, upload.contentType, upload.tokenID, upload.oneShot,
                      upload.expiresIn, upload.metadata, upload.lengthDeferred])
            return Date(timeIntervalSince1970: try row.single(Double.self))
        }
    }

    private static func check(
        _ conn: isolated PostgresConnection, _ filter: String, _ key: any PostgresEncodable, quota: Quota, adding: Int64, who: String
    ) throws {
        let row = try conn.query(
            """
            SELECT count(*)::int8 AS open, coalesce(sum(length), 0)::int8 AS bytes, extract(epoch FROM min(expires_at))::float8 AS soonest
            FROM uploads WHERE \(filter) AND video_id IS NULL AND expires_at > now()
            """, [key])
        guard let row = row.first else { throw CatalogError("counting a quota's uploads returned no row") }
        let open = try row.decode(Int64.self, "open")
        let bytes = try row.decode(Int64.self, "bytes")
        let soonest = try row.decode(Double?.self, "soonest").map { Date(timeIntervalSince1970: $0) }
        let when = soonest.map { " (the first expires at \(ISO8601DateFormatter().string(from: $0)))" } ?? ""
        if open + 1 > quota.openUploads {
            throw OverQuota(description: "\(who) has \(open) unfinished uploads, the most it may have at once (\(quota.openUploads)); "
                + "finish or delete one first\(when)")
        }
        if bytes + adding > quota.bytesInFlight {
            throw OverQuota(description: "\(who) has \(bytes) bytes of unfinished uploads; \(adding) more would pass its quota of "
                + "\(quota.bytesInFlight) bytes in flight; finish one first\(when)")
        }
    }

    /// Removes a finished or abandoned one-shot upload's row.
    public static func end(_ id: String, pool: PostgresPool) async throws {
        try await pool.query("DELETE FROM uploads WHERE id = $1 AND one_shot", [id])
    }

    /// Removes a one-shot upload's row inside the transaction that publishes its video.
    public static func end(_ id: String, on conn: isolated PostgresConnection) throws {
        _ = try conn.query("DELETE FROM uploads WHERE id = $1 AND one_shot", [id])
    }

    /// An unfinished upload removed at its expiry.
    public struct Expired: Sendable, Hashable {
        public let id: String
        public let owner: String
        public let received: Int64
        /// nil while its length was deferred.
        public let length: Int64?
        /// What was staged of it in the home region's store (JSON), to be removed there.
        public let staging: String?
    }

    /// Deletes unfinished uploads past their expiry (and finished resumable
    /// ones a week after they completed) in the caller's transaction; returns
    /// the unfinished ones, whose `upload.expired` events the same transaction
    /// writes. Their spool files are removed by the API instances
    /// (``liveResumable(_:pool:)``). Direct upload URLs are kept a week past
    /// their expiry, so a late phone hears "expired" (410) rather than "unknown" (404).
    public static func expire(on conn: isolated PostgresConnection) throws -> [Expired] {
        _ = try conn.query("DELETE FROM direct_uploads WHERE expires_at < now() - interval '7 days'")
        return try conn.query(
            """
            DELETE FROM uploads
            WHERE (video_id IS NULL AND expires_at < now()) OR (video_id IS NOT NULL AND updated_at < now() - interval '7 days')
            RETURNING id, owner, received, CASE WHEN length_deferred THEN NULL ELSE length END AS length, video_id IS NULL AS unfinished,
                      staging::text AS staging
            """
        ).compactMap { row in
            guard try row.decode(Bool.self, "unfinished") else { return nil }
            return Expired(id: try row.decode(String.self, "id"), owner: try row.decode(String.self, "owner"),
                           received: try row.decode(Int64.self, "received"), length: try row.decode(Int64?.self, "length"),
                           staging: try row.decode(String?.self, "staging"))
        }
    }

    /// Of `ids`, the unfinished resumable uploads that have not expired: the
    /// spool files worth keeping.
    public static func liveResumable(_ ids: [String], pool: PostgresPool) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let rows = try await pool.query(
            "SELECT id FROM uploads WHERE id = ANY($1::text[]) AND NOT one_shot AND video_id IS NULL AND expires_at > now()",
            ["{" + ids.joined(separator: ",") + "}"])
        return Set(try rows.map { try $0.decode(String.self, "id") })
    }
}
