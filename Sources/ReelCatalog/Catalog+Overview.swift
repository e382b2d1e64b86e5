public import Foundation
import ReelPostgres

/// What an operator sees of videos (the dashboard's videos pages): each
/// video with its timings, renditions, replication and warmings, decoded by
/// column name; the SQL lives here, beside the rest of `videos`'.
public struct VideoOverview: Sendable, Hashable {
    public var id: String
    public var title: String
    public var owner: String
    public var status: VideoStatus
    public var createdAt: Date
    /// Seconds from upload to playable and to ready; nil until it got there.
    public var playableAfter: Double?
    public var readyAfter: Double?
    public var error: String?
    public var renditions: Int
    /// Per region, "region verified/objects", e.g. "eu 12/12, us 3/12"; nil before replication.
    public var replicas: String?
    /// Warmings done through edges.
    public var warmings: Int

    static let columns = """
        v.id, v.title, v.owner, v.status::text AS status, v.created_at,
        extract(epoch FROM v.playable_at - v.created_at)::float8 AS playable_after,
        extract(epoch FROM v.ready_at - v.created_at)::float8 AS ready_after, v.error,
        (SELECT count(*) FROM renditions r WHERE r.video_id = v.id) AS renditions,
        (SELECT string_agg(region || ' ' || verified || '/' || objects, ', ' ORDER BY region) FROM video_replication p WHERE p.video_id = v.id)
            AS replicas,
        (SELECT count(*) FROM edge_warmings w WHERE w.video_id = v.id AND w.state = 'done') AS warmings
        """

    init(row: PostgresRow) throws {
        id = try row.decode(String.self, "id")
        title = try row.decode(String.self, "title")
        owner = try row.decode(String.self, "owner")
        let text = try row.decode(String.self, "status")
        guard let status = VideoStatus(rawValue: text) else { throw CatalogError("column status holds '\(text)', not a video status") }
        self.status = status
        createdAt = try row.decode(Date.self, "created_at")
        playableAfter = try row.decode(Double?.self, "playable_after")
        readyAfter = try row.decode(Double?.self, "ready_after")
        error = try row.decode(String?.self, "error")
        renditions = try row.decode(Int.self, "renditions")
        replicas = try row.decode(String?.self, "replicas")
        warmings = try row.decode(Int.self, "warmings")
    }
}

/// One rendition of a video, for operators.
public struct RenditionSummary: Sendable, Hashable {
    public var name: String
    public var kind: String
    public var codecs: String
    public var width: Int?
    public var height: Int?
    public var segments: Int
    public var complete: Bool
}

/// A video's objects in one region: how many are verified, pending, failed.
public struct ReplicaSummary: Sendable, Hashable {
    public var region: String
    public var objects: Int
    public var verified: Int
    public var failed: Int
    public var pending: Int { objects - verified - failed }
}

extension Catalog {
    /// The newest videos, optionally of one status and one owner.
    public func overviews(status: VideoStatus? = nil, owner: String? = nil, limit: Int) async throws -> [VideoOverview] {
        try await pool.query(
            """
            SELECT \(VideoOverview.columns) FROM videos v
            WHERE ($1::text IS NULL OR v.status::text = $1) AND ($2::text IS NULL OR v.owner = $2)
            ORDER BY v.created_at DESC LIMIT \(max(1, limit))
            """, [status?.rawValue, owner]
        ).map(VideoOverview.init(row:))
    }

    /// One video's overview, deleted ones included.
    public func overview(_ id: String) async throws -> VideoOverview? {
        try await pool.query("SELECT \(VideoOverview.columns) FROM videos v WHERE v.id = $1", [id]).first.map(VideoOverview.init(row:))
    }

    /// A video's renditions, audio first, then the tallest rung down.
    public func renditionSummaries(_ id: String) async throws -> [RenditionSummary] {
        try await pool.query(
            """
            SELECT r.name, r.kind, r.codecs, r.width, r.height,
                   (SELECT count(*) FROM segments s WHERE s.video_id = r.video_id AND s.rendition = r.name) AS segments, r.complete
            FROM renditions r WHERE r.video_id = $1 ORDER BY r.kind DESC, r.height DESC NULLS LAST, r.name
            """, [id]
        ).map { row in
            RenditionSummary(
                name: try row.decode(String.self, "name"), kind: try row.decode(String.self, "kind"), codecs: try row.decode(String.self, "codecs"),
                width: try row.decode(Int?.self, "width"), height: try row.decode(Int?.self, "height"),
                segments: try row.decode(Int.self, "segments"), complete: try row.decode(Bool.self, "complete"))
        }
    }

    /// A video's objects per region (`video_replication`).
    public func replicaSummaries(_ id: String) async throws -> [ReplicaSummary] {
        try await pool.query("SELECT region, objects, verified, failed FROM video_replication WHERE video_id = $1 ORDER BY region", [id]).map { row in
            ReplicaSummary(
                region: try row.decode(String.self, "region"), objects: try row.decode(Int.self, "objects"),
                verified: try row.decode(Int.self, "verified"), failed: try row.decode(Int.self, "failed"))
        }
    }
}
