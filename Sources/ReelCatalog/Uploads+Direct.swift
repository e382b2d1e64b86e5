public import Foundation
public import ReelPostgres

/// Direct uploads: the one-time tus URLs an app's backend hands to a phone,
/// as Mux's and Cloudflare Stream's direct uploads work. The secret in the
/// URL is the phone's only credential; the row keeps its SHA-256 and what the
/// backend bound it to (tenant, size limit, expiry, title, metadata).
extension Uploads {
    /// A direct upload as its row says.
    public struct Direct: Sendable, Hashable {
        /// The id the upload and its video take.
        public let id: String
        public let owner: String
        /// The token that asked for it; the upload counts against its quotas.
        public let tokenID: Int64?
        public let maxBytes: Int64
        /// tus `Upload-Metadata` pairs the backend set (its title among them).
        public let metadata: String
        public let expires: Date
        /// An upload was created from it: the URL creates no other.
        public let used: Bool
        public let expired: Bool
    }

    /// What a backend asks a direct upload to be bound to.
    public struct DirectRequest: Sendable {
        public var id: String
        public var secretSHA256: Data
        public var owner: String
        public var tokenID: Int64?
        public var maxBytes: Int64
        /// tus `Upload-Metadata` pairs (the title among them), which win over the phone's.
        public var metadata: String
        public var expiresIn: Double

        public init(id: String, secretSHA256: Data, owner: String, tokenID: Int64?, maxBytes: Int64, metadata: String,
                    expiresIn: Double) {
            self.id = id
            self.secretSHA256 = secretSHA256
            self.owner = owner
            self.tokenID = tokenID
            self.maxBytes = maxBytes
            self.metadata = metadata
            self.expiresIn = expiresIn
        }
    }

    /// Records a direct upload; returns when its URL expires.
    public static func createDirect(_ request: DirectRequest, pool: PostgresPool) async throws -> Date {
        let row = try await pool.query(
            """
            INSERT INTO direct_uploads (id, secret_sha256, owner, token_id, max_bytes, metadata, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
            RETURNING extract(epoch FROM expires_at)::float8
            """, [request.id, request.secretSHA256, request.owner, request.tokenID, request.maxBytes, request.metadata,
                  request.expiresIn])
        return Date(timeIntervalSince1970: try row.single(Double.self))
    }

    /// The direct upload whose secret has this SHA-256 (nil when none has).
    public static func direct(secretSHA256: Data, pool: PostgresPool) async throws -> Direct? {
        try await pool.query(
            """
            SELECT id, owner, token_id, max_bytes, metadata, extract(epoch FROM expires_at)::float8 AS expires,
                   used_at IS NOT NULL AS used, expires_at <= now() AS expired
            FROM direct_uploads WHERE secret_sha256 = $1
            """, [secretSHA256]
        ).first.map { row in
            Direct(id: try row.decode(String.self, "id"), owner: try row.decode(String.self, "owner"),
                   tokenID: try row.decode(Int64?.self, "token_id"), maxBytes: try row.decode(Int64.self, "max_bytes"),
                   metadata: try row.decode(String.self, "metadata"),
                   expires: Date(timeIntervalSince1970: try row.decode(Double.self, "expires")),
                   used: try row.decode(Bool.self, "used"), expired: try row.decode(Bool.self, "expired"))
        }
    }

    /// The direct URL was used or expired between its lookup and the
    /// upload's admission (two phones raced, or the clock ran out).
    public struct DirectSpent: Error, Sendable {}

    /// Marks direct upload `id` used, in the transaction that admits its upload.
    static func spendDirect(_ id: String, on conn: isolated PostgresConnection) throws {
        let spent = try conn.query(
            "UPDATE direct_uploads SET used_at = now() WHERE id = $1 AND used_at IS NULL AND expires_at > now() RETURNING id", [id])
        guard spent.count == 1 else { throw DirectSpent() }
    }
}
