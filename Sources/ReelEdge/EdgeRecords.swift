import Foundation
public import ReelPostgres

/// The rows edge work leaves for people and SQL: `edge_warmings`,
/// `edge_stats`, and the plays popularity warming ranks by.
public struct EdgeRecords: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Starts a warming row; returns its id.
    public func warmingStarted(edge: String, video: String, reason: String) async throws -> Int64 {
        try await pool.query(
            "INSERT INTO edge_warmings (edge, video_id, reason, state) VALUES ($1, $2, $3, 'running') RETURNING id",
            [edge, video, reason]
        ).first?.int64(0) ?? 0
    }

    public func warmingFinished(_ id: Int64, _ warmed: EdgeClient.Warmed) async throws {
        try await pool.query(
            """
            UPDATE edge_warmings SET state = 'done', objects = $2, already_cached = $3, bytes = $4, error = $5, finished_at = now()
            WHERE id = $1
            """,
            [id, warmed.objects, warmed.alreadyCached, warmed.bytes,
             warmed.failures.isEmpty ? nil : warmed.failures.prefix(20).joined(separator: "; ")])
    }

    public func warmingFailed(_ id: Int64, error: String) async throws {
        try await pool.query("UPDATE edge_warmings SET state = 'failed', error = $2, finished_at = now() WHERE id = $1", [id, error])
    }

    public func recordCounters(edge: String, _ c: EdgeCounters) async throws {
        try await pool.query(
            """
            INSERT INTO edge_stats (edge, hits, misses, passes, client_bytes, origin_bytes, objects)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (edge, at) DO NOTHING
            """,
            [edge, c.hits, c.misses, c.passes, c.clientBytes, c.originBytes, c.objects])
    }

    /// Adds plays counted by an API process (video id → plays this minute).
    public func addPlays(_ plays: [String: Int]) async throws {
        guard !plays.isEmpty else { return }
        let ids = plays.keys.sorted()
        try await pool.query(
            """
            INSERT INTO video_plays (video_id, minute, plays)
            SELECT v, date_trunc('minute', now()), p FROM unnest($1::text[], $2::bigint[]) AS t(v, p)
            ON CONFLICT (video_id, minute) DO UPDATE SET plays = video_plays.plays + EXCLUDED.plays
            """,
            [ids, ids.map { Int64(plays[$0] ?? 0) }])
    }

    /// Bytes of every segment and init segment of each video (what a full warming fetches).
    public func videoBytes(_ videos: [String]) async throws -> [String: Int64] {
        var sizes: [String: Int64] = [:]
        for row in try await pool.query(
            "SELECT video_id, sum(bytes)::bigint FROM segments WHERE video_id = ANY($1::text[]) GROUP BY video_id", [videos]) {
            if let video = row.string(0) { sizes[video] = row.int64(1) ?? 0 }
        }
        return sizes
    }

    /// The `limit` videos most played over the last `minutes`, still live, most played first.
    public func mostPlayed(limit: Int, minutes: Int) async throws -> [String] {
        try await pool.query(
            """
            SELECT p.video_id FROM video_plays p JOIN videos v ON v.id = p.video_id AND v.status IN ('playable', 'ready')
            WHERE p.minute >= date_trunc('minute', now()) - make_interval(mins => $2)
            GROUP BY p.video_id ORDER BY sum(p.plays) DESC, p.video_id LIMIT $1
            """,
            [limit, minutes]
        ).compactMap { $0.string(0) }
    }
}

extension EdgeRecords {
    /// Per edge, the videos it should keep (`edge_popular`).
    public func popularSets() async throws -> [String: Set<String>] {
        var sets: [String: Set<String>] = [:]
        for row in try await pool.query("SELECT edge, video_id FROM edge_popular") {
            if let edge = row.string(0), let video = row.string(1) { sets[edge, default: []].insert(video) }
        }
        return sets
    }
}
