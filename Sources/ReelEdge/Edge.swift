import Foundation
public import ReelPostgres

/// One edge cache (a Varnish instance, or a CDN point of presence) in front
/// of the read API: a row of `edges`.
public struct Edge: Sendable, Codable, Hashable {
    public var name: String
    /// Viewers whose region hint is this are sent to this edge.
    public var region: String
    /// What viewers and warm jobs fetch through, e.g. `http://127.0.0.1:6081`.
    public var url: String
    public var capacityBytes: Int64
    /// The varnishd working folder (`-n`), when the edge runs where Reel's
    /// workers do: its counters are then read with varnishstat.
    public var statsWorkdir: String?
    public var enabled: Bool
    /// False after the last check or warm could not reach the edge: playback
    /// URLs then fall back to the origin until a check reaches it again.
    public var healthy: Bool

    public init(name: String, region: String, url: String, capacityBytes: Int64 = 256 << 20, statsWorkdir: String? = nil,
                enabled: Bool = true, healthy: Bool = true) {
        self.name = name
        self.region = region
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.capacityBytes = capacityBytes
        self.statsWorkdir = statsWorkdir
        self.enabled = enabled
        self.healthy = healthy
    }

    enum CodingKeys: String, CodingKey {
        case name, region, url, enabled, healthy
        case capacityBytes = "capacity_bytes", statsWorkdir = "stats_workdir"
    }

    /// The edge a viewer should fetch through: an enabled, healthy edge of
    /// the viewer's region; nil means the origin (no edge there, or it is down).
    public static func nearest(_ edges: [Edge], region: String?) -> Edge? {
        guard let region, !region.isEmpty else { return nil }
        return edges.filter { $0.enabled && $0.healthy && $0.region == region }.min { $0.name < $1.name }
    }
}

/// The `edges` table.
public struct EdgeDirectory: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static let columns = "name, region, url, capacity_bytes, stats_workdir, enabled, healthy"

    /// Adds an edge, or changes the one of that name. (The periodic jobs
    /// every edge needs are `ReelJobs.edgePeriodics`, installed by `reel edges add`.)
    public func save(_ edge: Edge) async throws {
        try await pool.query(
            """
            INSERT INTO edges (\(Self.columns)) VALUES ($1, $2, $3, $4, $5, $6, true)
            ON CONFLICT (name) DO UPDATE SET region = $2, url = $3, capacity_bytes = $4, stats_workdir = $5, enabled = $6
            """,
            [edge.name, edge.region, edge.url, edge.capacityBytes, edge.statsWorkdir, edge.enabled])
    }

    /// Removes an edge and its warmings and counters; false when there was none.
    @discardableResult
    public func remove(_ name: String) async throws -> Bool {
        try await pool.query("DELETE FROM edges WHERE name = $1 RETURNING name", [name]).count > 0
    }

    public func all() async throws -> [Edge] {
        try await pool.query("SELECT \(Self.columns) FROM edges ORDER BY name").map(Self.edge)
    }

    /// The enabled edges' names, in the caller's transaction: the edges a
    /// video is warmed on or purged from when its status moves.
    public static func enabledNames(on conn: isolated PostgresConnection) throws -> [String] {
        try conn.query("SELECT name FROM edges WHERE enabled ORDER BY name").map { try $0.decode(String.self, 0) }
    }

    public func named(_ name: String) async throws -> Edge? {
        try await pool.query("SELECT \(Self.columns) FROM edges WHERE name = $1", [name]).map(Self.edge).first
    }

    /// Records whether the edge answered its last check or warm.
    public func setHealthy(_ name: String, _ healthy: Bool) async throws {
        try await pool.query("UPDATE edges SET healthy = $2, checked_at = now() WHERE name = $1", [name, healthy])
    }

    static func edge(_ row: PostgresRow) throws -> Edge {
        Edge(name: try row.decode(String.self, "name"), region: try row.decode(String.self, "region"), url: try row.decode(String.self, "url"),
             capacityBytes: try row.decode(Int64.self, "capacity_bytes"), statsWorkdir: try row.decode(String?.self, "stats_workdir"),
             enabled: try row.decode(Bool.self, "enabled"), healthy: try row.decode(Bool.self, "healthy"))
    }
}
