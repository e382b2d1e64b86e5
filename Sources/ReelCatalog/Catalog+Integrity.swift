import ReelPostgres
public import ReelStore

/// The SQL of the copies every region should hold, the scrub's progress
/// (`object_scrubs`) and what it found (`object_findings`,
/// `migrations/0009_object_scrub.sql`).
extension Catalog {
    /// One copy of an object in one region.
    public struct Copy: Sendable, Hashable {
        public let digest: ObjectDigest
        public let region: String

        public init(digest: ObjectDigest, region: String) {
            self.digest = digest
            self.region = region
        }

        init(row: PostgresRow) throws {
            self.init(digest: try row.decode(ObjectDigest.self, "digest"), region: try row.decode(String.self, "region"))
        }
    }

    /// Who found a copy missing or damaged.
    public enum Finder: String, Sendable { case scrub, verify, edgeFill = "edge-fill" }

    /// Every copy that should exist: each object in its video's home region
    /// and in every region where a replica was verified.
    public func copies() async throws -> [Copy] {
        try await pool.query("SELECT digest, region FROM object_copies ORDER BY digest, region").map(Copy.init(row:))
    }

    /// Claims up to `limit` copies for scrubbing, those read back longest ago
    /// first, for `seconds` (overlapping scrubs take different copies).
    public func copiesToScrub(limit: Int, seconds: Double) async throws -> [Copy] {
        try await pool.withTransaction { conn in
            _ = try conn.query(
                """
                INSERT INTO object_scrubs (digest, region) SELECT digest, region FROM object_copies
                ON CONFLICT DO NOTHING
                """)
            _ = try conn.query(
                """
                DELETE FROM object_scrubs s WHERE NOT EXISTS (SELECT 1 FROM object_copies c WHERE c.digest = s.digest AND c.region = s.region)
                """)
            return try conn.query(
                """
                UPDATE object_scrubs SET claimed_until = now() + make_interval(secs => $2)
                WHERE (digest, region) IN (
                    SELECT digest, region FROM object_scrubs WHERE claimed_until IS NULL OR claimed_until < now()
                    ORDER BY scrubbed_at LIMIT $1 FOR UPDATE SKIP LOCKED)
                RETURNING digest, region, scrubbed_at
                """, [limit, seconds]
            ).map(Copy.init(row:))
        }
    }

    /// The copy was read back (sound, or found and handled).
    public func scrubbed(_ copy: Copy) async throws {
        try await pool.query(
            """
            INSERT INTO object_scrubs (digest, region, scrubbed_at) VALUES ($1, $2, now())
            ON CONFLICT (digest, region) DO UPDATE SET scrubbed_at = now(), claimed_until = NULL
            """, [copy.digest.hex, copy.region])
    }

    /// Whether the copy still should exist (garbage collection or a delete may have removed it since).
    public func stillExpected(_ copy: Copy) async throws -> Bool {
        try await pool.query("SELECT 1 FROM object_copies WHERE digest = $1 AND region = $2", [copy.digest.hex, copy.region]).count > 0
    }

    /// Records a copy found missing or corrupt; returns the finding's id.
    public func recordFinding(
        _ copy: Copy, corrupt: Bool, detail: String, by finder: Finder, quarantined: String? = nil
    ) async throws -> Int64 {
        try await pool.query(
            """
            INSERT INTO object_findings (digest, region, problem, detail, found_by, quarantined)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
            """, [copy.digest.hex, copy.region, corrupt ? "corrupt" : "missing", detail, finder.rawValue, quarantined]
        ).single(Int64.self)
    }

    /// The finding's copy holds the right bytes again, copied from `source`.
    public func findingRepaired(_ id: Int64, from source: String) async throws {
        try await pool.query("UPDATE object_findings SET repaired_at = now(), repaired_from = $2 WHERE id = $1", [id, source])
    }
}
