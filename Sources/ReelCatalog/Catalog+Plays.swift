import Foundation
import ReelPostgres

/// Plays, as the API counts them (a master playlist or MPD fetched), per
/// video and minute (`video_plays`): what popularity warming ranks by.
extension Catalog {
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
            "SELECT video_id, sum(bytes)::bigint AS bytes FROM segments WHERE video_id = ANY($1::text[]) GROUP BY video_id", [videos]) {
            sizes[try row.decode(String.self, "video_id")] = try row.decode(Int64.self, "bytes")
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
        ).map { try $0.decode(String.self, "video_id") }
    }
}
