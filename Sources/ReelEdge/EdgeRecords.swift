public import Foundation
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
        ).single(Int64.self)
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
}

extension EdgeRecords {
    /// Per edge, the videos it should keep (`edge_popular`).
    public func popularSets() async throws -> [String: Set<String>] {
        var sets: [String: Set<String>] = [:]
        for row in try await pool.query("SELECT edge, video_id FROM edge_popular") {
            sets[try row.decode(String.self, "edge"), default: []].insert(try row.decode(String.self, "video_id"))
        }
        return sets
    }
}

/// One warming of a video through an edge (`edge_warmings`).
public struct EdgeWarming: Sendable, Hashable {
    public var edge: String
    public var state: String
    public var objects: Int
    public var startedAt: Date
    /// Why it ran: `playable`, `ready` or `popular`.
    public var reason: String
    public var error: String?
}

extension EdgeRecords {
    /// A video's latest warmings, newest first.
    public func warmings(video: String, limit: Int = 50) async throws -> [EdgeWarming] {
        try await pool.query(
            "SELECT edge, state, objects, started_at, reason, error FROM edge_warmings WHERE video_id = $1 ORDER BY started_at DESC LIMIT $2",
            [video, limit]
        ).map { row in
            EdgeWarming(
                edge: try row.decode(String.self, "edge"), state: try row.decode(String.self, "state"), objects: try row.decode(Int.self, "objects"),
                startedAt: try row.decode(Date.self, "started_at"), reason: try row.decode(String.self, "reason"),
                error: try row.decode(String?.self, "error"))
        }
    }
}
