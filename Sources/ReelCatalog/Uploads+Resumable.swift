public import Foundation
public import ReelPostgres

/// Resumable uploads (tus): their rows, and the claim a request holds on one
/// while it appends a chunk. The protocol lives in the API; its SQL lives here.
extension Uploads {
    /// A resumable upload as its row says.
    public struct Resumable: Sendable, Hashable {
        public let id: String
        /// Its length, or the most it may grow to while ``lengthDeferred``.
        public let length: Int64
        public let received: Int64
        public let title: String
        public let owner: String
        public let contentType: String
        /// Its video, once the last byte is in.
        public let video: String?
        public let expires: Date
        /// The client's tus `Upload-Metadata`, as sent.
        public let metadata: String
        /// Created before its length was known, and still not told it.
        public let lengthDeferred: Bool
        /// Unfinished and past its expiry (the scheduler has yet to remove it).
        public let expired: Bool
        /// What is committed of its bytes in the home region's store (JSON), when they are staged there.
        public var staging: String? = nil

        /// The row once ``Uploads/declareLength(_:token:length:pool:)`` has set its length.
        public func declaring(length: Int64) -> Resumable {
            Resumable(id: id, length: length, received: received, title: title, owner: owner, contentType: contentType, video: video,
                      expires: expires, metadata: metadata, lengthDeferred: false, expired: expired, staging: staging)
        }
    }

    /// The resumable upload `id`, expired or not (nil when there is none).
    public static func resumable(_ id: String, pool: PostgresPool) async throws -> Resumable? {
        try await pool.query(
            """
            SELECT id, length, received, title, owner, content_type, video_id, extract(epoch FROM expires_at)::float8 AS expires,
                   metadata, length_deferred, (video_id IS NULL AND expires_at <= now()) AS expired, staging::text AS staging
            FROM uploads WHERE id = $1 AND NOT one_shot
            """, [id]
        ).first.map { row in
            Resumable(
                id: try row.decode(String.self, "id"), length: try row.decode(Int64.self, "length"),
                received: try row.decode(Int64.self, "received"), title: try row.decode(String.self, "title"),
                owner: try row.decode(String.self, "owner"), contentType: try row.decode(String.self, "content_type"),
                video: try row.decode(String?.self, "video_id"), expires: Date(timeIntervalSince1970: try row.decode(Double.self, "expires")),
                metadata: try row.decode(String.self, "metadata"), lengthDeferred: try row.decode(Bool.self, "length_deferred"),
                expired: try row.decode(Bool.self, "expired"), staging: try row.decode(String?.self, "staging"))
        }
    }

    /// Sets the length of an upload created without one, under the claim
    /// `token` holds; false when the claim is gone, the length was already
    /// set, or fewer bytes are declared than are stored.
    public static func declareLength(_ id: String, token: String, length: Int64, pool: PostgresPool) async throws -> Bool {
        try await pool.query(
            """
            UPDATE uploads SET length = $3, length_deferred = false, updated_at = now()
            WHERE id = $1 AND writer = $2 AND length_deferred AND received <= $3 AND $3 <= length RETURNING id
            """, [id, token, length]
        ).count == 1
    }

    /// What terminating an upload did.
    public enum Termination: Sendable, Hashable {
        case removed
        /// A request is writing a chunk now.
        case busy
        /// Its last byte is in: it is this video.
        case complete(video: String)
        case missing
    }

    /// Removes an unfinished resumable upload's row unless a request holds a
    /// live claim on it (tus termination); its bytes are the caller's to remove.
    public static func terminate(_ id: String, pool: PostgresPool) async throws -> Termination {
        let removed = try await pool.query(
            """
            DELETE FROM uploads WHERE id = $1 AND NOT one_shot AND video_id IS NULL AND (writer IS NULL OR writer_until < now())
            RETURNING id
            """, [id])
        if removed.count == 1 { return .removed }
        guard let row = try await pool.query("SELECT video_id FROM uploads WHERE id = $1 AND NOT one_shot", [id]).first else {
            return .missing
        }
        return try row.decode(String?.self, "video_id").map { .complete(video: $0) } ?? .busy
    }

    /// Forgets an upload whose spool file could not be made.
    public static func discard(_ id: String, pool: PostgresPool) async throws {
        try await pool.query("DELETE FROM uploads WHERE id = $1", [id])
    }

    /// Where an upload stands when a claim on it was refused.
    public struct ClaimRefusal: Sendable, Hashable {
        public let received: Int64
        /// Its video, if the upload is complete.
        public let video: String?
    }

    /// Takes the right to append at `offset` for `lease` seconds under
    /// `token`: one conditional UPDATE, so the offset check and the claim are
    /// one step for every API instance. nil: taken; otherwise why not (nil
    /// inside when there is no such upload).
    public static func claim(
        _ id: String, offset: Int64, token: String, lease: Double, pool: PostgresPool
    ) async throws -> ClaimRefusal?? {
        let taken = try await pool.query(
            """
            UPDATE uploads SET writer = $2, writer_until = now() + make_interval(secs => $3), updated_at = now()
            WHERE id = $1 AND received = $4 AND video_id IS NULL AND (writer IS NULL OR writer_until < now())
            RETURNING received
            """, [id, token, lease, offset])
        if taken.count == 1 { return nil }
        let row = try await pool.query("SELECT received, video_id FROM uploads WHERE id = $1", [id]).first
        return .some(try row.map { ClaimRefusal(received: try $0.decode(Int64.self, "received"), video: try $0.decode(String?.self, "video_id")) })
    }

    /// Extends a held claim by `lease` seconds.
    public static func renewClaim(_ id: String, token: String, lease: Double, pool: PostgresPool) async throws {
        try await pool.query("UPDATE uploads SET writer_until = now() + make_interval(secs => $3) WHERE id = $1 AND writer = $2", [id, token, lease])
    }

    /// Records the bytes stored (and, when staged, what is committed of
    /// them) and lets the claim go.
    public static func releaseClaim(_ id: String, token: String, received: Int64, staging: String? = nil, pool: PostgresPool) async throws {
        try await pool.query(
            """
            UPDATE uploads SET received = $3, staging = coalesce($4::jsonb, staging), writer = NULL, writer_until = NULL, updated_at = now()
            WHERE id = $1 AND writer = $2
            """, [id, token, received, staging])
    }

    /// Records where a new upload's bytes are staged.
    public static func stage(_ id: String, staging: String, pool: PostgresPool) async throws {
        try await pool.query("UPDATE uploads SET staging = $2::jsonb WHERE id = $1", [id, staging])
    }

    /// Names the upload's video in the publishing transaction; false when the
    /// claim lapsed and another request took the upload.
    public static func finishClaim(_ id: String, token: String, length: Int64, video: String, on conn: isolated PostgresConnection) throws -> Bool {
        try conn.query(
            """
            UPDATE uploads SET received = $3, video_id = $4, writer = NULL, writer_until = NULL, updated_at = now()
            WHERE id = $1 AND writer = $2 AND video_id IS NULL RETURNING id
            """, [id, token, length, video]
        ).count == 1
    }
}
