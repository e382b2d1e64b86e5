import Foundation
public import ReelPostgres
public import ReelStore

extension Catalog {
    /// A deleted video's renditions and segments, in the caller's
    /// transaction (which moves it to `deleted`: `VideoLifecycle.Event.deleted`;
    /// its row stays, for the record). The objects go later, by garbage collection.
    public static func dropRenditions(_ id: String, on conn: isolated PostgresConnection) throws {
        try conn.query("DELETE FROM renditions WHERE video_id = $1", [id])
    }

    /// Of `digests`, those no live video references.
    public func unreferenced(_ digests: [ObjectDigest]) async throws -> [ObjectDigest] {
        try await pool.query(
            "SELECT d FROM unnest($1::text[]) AS d WHERE NOT EXISTS (SELECT 1 FROM video_objects WHERE digest = d) ORDER BY d",
            [digests.map(\.hex)]
        ).map { try $0.decode(ObjectDigest.self, 0) }
    }

    /// Notes unreferenced objects of a region (first sighting kept) and
    /// returns those first seen longer than `grace` ago: safe to remove.
    public func gcMark(_ digests: [ObjectDigest], in region: String, grace: Duration) async throws -> [ObjectDigest] {
        guard !digests.isEmpty else { return [] }
        return try await pool.withTransaction { conn in
            try conn.query(
                "INSERT INTO gc_candidates (digest, region) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING", [digests.map(\.hex), region])
            return try conn.query(
                """
                SELECT digest FROM gc_candidates WHERE region = $2 AND digest = ANY($1::text[])
                  AND first_seen_at <= now() - make_interval(secs => $3) ORDER BY digest
                """,
                [digests.map(\.hex), region, Double(grace.components.seconds)]
            ).map { try $0.decode(ObjectDigest.self, 0) }
        }
    }

    /// Forgets a removed object in a region, or a candidate that is referenced again.
    public func gcForget(_ digests: [ObjectDigest], in region: String, removed: Bool) async throws {
        guard !digests.isEmpty else { return }
        try await pool.withTransaction { conn in
            try conn.query("DELETE FROM gc_candidates WHERE region = $2 AND digest = ANY($1::text[])", [digests.map(\.hex), region])
            if removed {
                try conn.query("DELETE FROM object_replicas WHERE region = $2 AND digest = ANY($1::text[])", [digests.map(\.hex), region])
            }
        }
    }
}
