import Foundation
import ReelPostgres
public import ReelStore

extension Catalog {
    /// Deletes a video from the catalog at once: its renditions and segments
    /// go, its row stays as `deleted` (for the record), and its unfinished
    /// media jobs are cancelled. The objects go later, by garbage collection.
    /// False when there was no such live video.
    public func delete(_ id: String) async throws -> Bool {
        let deleted = try await pool.withTransaction { conn -> Bool in
            let changed = try conn.query(
                "UPDATE videos SET status = 'deleted', deleted_at = now(), updated_at = now() WHERE id = $1 AND status <> 'deleted'", [id]
            ).affectedRows
            guard changed == 1 else { return false }
            try conn.query("DELETE FROM renditions WHERE video_id = $1", [id])
            try conn.query(
                """
                SELECT reel_cancel(ARRAY(SELECT id FROM reel_jobs WHERE unique_key = ANY($1::text[])
                                         AND state NOT IN ('completed', 'discarded', 'cancelled')), 'the video was deleted')
                """,
                [["video.ingest:\(id)", "video.transcode:\(id)", "video.package:\(id)"]])
            return true
        }
        await invalidate(id)
        return deleted
    }

    /// Of `digests`, those no live video references.
    public func unreferenced(_ digests: [ObjectDigest]) async throws -> [ObjectDigest] {
        try await pool.query(
            "SELECT d FROM unnest($1::text[]) AS d WHERE NOT EXISTS (SELECT 1 FROM video_objects WHERE digest = d) ORDER BY d",
            [digests.map(\.hex)]
        ).compactMap { $0.string(0).flatMap(ObjectDigest.init(hex:)) }
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
            ).compactMap { $0.string(0).flatMap(ObjectDigest.init(hex:)) }
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
