import Foundation
public import ReelPostgres
public import ReelStore

/// Videos, renditions, segments and replicas in Postgres: the single source
/// of truth for what exists and where its bytes are.
public struct Catalog: Sendable {
    public let pool: PostgresPool
    /// Redis in front of playback reads, when configured.
    public let cache: CatalogCache?
    /// A hot standby near this process that serves viewers' reads (a
    /// region's API far from the primary); nil reads the primary.
    public let readPool: PostgresPool?

    public init(pool: PostgresPool, cache: CatalogCache? = nil, readPool: PostgresPool? = nil) {
        self.pool = pool
        self.cache = cache
        self.readPool = readPool
    }

    /// Runs a read on the standby, when there is one, and again on the
    /// primary when the standby has nothing: a video created a moment ago
    /// may not have been replayed there yet, and its uploader reads it next.
    func readNearby<T: Sendable>(_ read: (PostgresPool) async throws -> T?) async throws -> T? {
        guard let readPool else { return try await read(pool) }
        if let found = try await read(readPool) { return found }
        return try await read(pool)
    }

    /// Drops the video's cached entry after a change committed elsewhere
    /// (in a caller's transaction).
    public func invalidate(_ id: String) async {
        await cache?.invalidate(id)
    }

    /// Creates a video's row inside the caller's transaction (the upload's,
    /// with its ingest job), and records the source's copy in the home region.
    @discardableResult
    public static func insert(_ new: NewVideo, on conn: isolated PostgresConnection) throws -> Video {
        let result = try conn.query(
            """
            INSERT INTO videos (id, owner, title, home_region, source_digest, source_size, content_type)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING \(Video.columns)
            """,
            [new.id, new.owner, new.title, new.homeRegion, new.sourceDigest, new.sourceSize, new.contentType])
        if let digest = ObjectDigest(hex: new.sourceDigest) {
            try recordCopy(digest, in: new.homeRegion, bytes: new.sourceSize, on: conn)
        }
        guard let row = result.first else { throw CatalogError("the videos row for \(new.id) was not returned") }
        return try Video(row: row)
    }

    public func video(_ id: String) async throws -> Video? {
        guard VideoID.isValid(id) else { return nil }
        return try await readNearby { pool in
            try await pool.query("SELECT \(Video.columns) FROM videos WHERE id = $1", [id]).first.map(Video.init(row:))
        }
    }

    /// The newest videos, optionally of one status.
    public func videos(status: VideoStatus? = nil, limit: Int = 50) async throws -> [Video] {
        try await pool.query(
            "SELECT \(Video.columns) FROM videos WHERE ($1::video_status IS NULL OR status = $1::video_status) ORDER BY created_at DESC, id LIMIT $2",
            [status?.rawValue, limit]
        ).map(Video.init(row:))
    }

    /// Every object the video references (source, poster, sprite, init and
    /// media segments), once each.
    public func objects(ofVideo id: String) async throws -> [ObjectDigest] {
        try await pool.query("SELECT DISTINCT digest FROM video_objects WHERE video_id = $1 ORDER BY digest", [id])
            .map { try $0.decode(ObjectDigest.self, 0) }
    }
}
