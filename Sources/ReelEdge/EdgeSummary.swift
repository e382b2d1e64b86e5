public import Foundation
import ReelPostgres

/// One edge at a glance, from its latest counters (`edge_report`): health,
/// hit ratio, bytes served, origin offload and warmings done. The one query
/// behind the dashboard's edge page, the API's `/metrics` edge lines and
/// `reel edges` (each shows the columns it needs). Counters are nil until an
/// `edge.stats` job has read the edge once.
public struct EdgeSummary: Sendable, Hashable, Codable {
    public var name: String
    public var region: String
    public var url: String
    public var healthy: Bool
    public var hitRatio: Double?
    public var hits: Int64?
    public var misses: Int64?
    public var bytesServed: Int64?
    public var originBytes: Int64?
    public var originOffload: Double?
    public var objects: Int64?
    public var measuredAt: Date?
    /// Warmings done through this edge.
    public var warmings: Int

    enum CodingKeys: String, CodingKey {
        case name = "edge", region, url, healthy, hits, misses, objects, warmings
        case hitRatio = "hit_ratio", bytesServed = "bytes_served", originBytes = "origin_bytes"
        case originOffload = "origin_offload", measuredAt = "measured_at"
    }

    static let sql = """
        SELECT r.edge, r.region, r.url, e.healthy, r.hit_ratio, r.hits, r.misses, r.client_bytes AS bytes_served,
               r.origin_bytes, r.origin_offload, r.objects, r.measured_at,
               (SELECT count(*) FROM edge_warmings w WHERE w.edge = r.edge AND w.state = 'done') AS warmings
        FROM edge_report r JOIN edges e ON e.name = r.edge ORDER BY r.edge
        """

    init(row: PostgresRow) throws {
        name = try row.decode(String.self, "edge")
        region = try row.decode(String.self, "region")
        url = try row.decode(String.self, "url")
        healthy = try row.decode(Bool.self, "healthy")
        hitRatio = try row.decode(Double?.self, "hit_ratio")
        hits = try row.decode(Int64?.self, "hits")
        misses = try row.decode(Int64?.self, "misses")
        bytesServed = try row.decode(Int64?.self, "bytes_served")
        originBytes = try row.decode(Int64?.self, "origin_bytes")
        originOffload = try row.decode(Double?.self, "origin_offload")
        objects = try row.decode(Int64?.self, "objects")
        measuredAt = try row.decode(Date?.self, "measured_at")
        warmings = try row.decode(Int.self, "warmings")
    }
}

extension EdgeRecords {
    /// Every edge's summary (``EdgeSummary``).
    public func summaries() async throws -> [EdgeSummary] {
        try await pool.query(EdgeSummary.sql).map(EdgeSummary.init(row:))
    }
}
