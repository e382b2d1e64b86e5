public import Foundation
public import ReelPostgres
public import ReelStore

/// What the media jobs write as a video is published: its plan, its
/// renditions and segments as they are stored, and its status.
extension Catalog {
    /// Ingest's findings, in the caller's transaction (which also moves the
    /// video on: `VideoLifecycle.Event.planned`).
    public static func planned(
        _ id: String, durationSeconds: Double, width: Int, height: Int, probe: Data, ladder: Data, on conn: isolated PostgresConnection
    ) throws {
        try conn.query(
            """
            UPDATE videos SET duration_s = $2, width = $3, height = $4, probe = $5::jsonb, ladder = $6::jsonb, updated_at = now()
            WHERE id = $1
            """,
            [id, durationSeconds, width, height, String(decoding: probe, as: UTF8.self), String(decoding: ladder, as: UTF8.self)])
    }

    /// The probe and ladder JSON ingest stored, for the jobs after it (which may run on other machines).
    public func plan(_ id: String) async throws -> (probe: Data, ladder: Data)? {
        guard let row = try await pool.query("SELECT probe::text AS probe, ladder::text AS ladder FROM videos WHERE id = $1", [id]).first,
            let probe = try row.decode(String?.self, "probe"), let ladder = try row.decode(String?.self, "ladder")
        else { return nil }
        return (Data(probe.utf8), Data(ladder.utf8))
    }

    /// What per-title planning decided for the video (JSON of `PerTitleRecord`), as the transcode found it.
    public func perTitle(_ id: String, record: Data) async throws {
        try await pool.query("UPDATE videos SET per_title = $2::jsonb, updated_at = now() WHERE id = $1",
                             [id, String(decoding: record, as: UTF8.self)])
    }

    /// The per-title record the transcode stored, or nil (a fixed ladder, or not transcoded yet).
    public func perTitle(ofVideo id: String) async throws -> Data? {
        guard let row = try await pool.query("SELECT per_title::text AS per_title FROM videos WHERE id = $1", [id]).first,
            let text = try row.decode(String?.self, "per_title")
        else { return nil }
        return Data(text.utf8)
    }

    /// A rendition whose init segment is stored (its segments follow).
    public func rendition(
        _ id: String, name: String, kind: String, codecs: String, width: Int?, height: Int?, frameRate: Double?, timescale: Int,
        initDigest: ObjectDigest, region: String, initBytes: Int64
    ) async throws {
        try await pool.withTransaction { conn in
            guard try conn.query("SELECT 1 FROM videos WHERE id = $1 AND status <> 'deleted' FOR SHARE", [id]).count == 1 else {
                throw CatalogError("video \(id) was deleted while it was being published")
            }
            try conn.query(
                """
                INSERT INTO renditions (video_id, name, kind, codecs, width, height, frame_rate, timescale, init_digest)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT (video_id, name) DO UPDATE SET codecs = $4, width = $5, height = $6, frame_rate = $7,
                    timescale = $8, init_digest = $9, complete = false
                """,
                [id, name, kind, codecs, width, height, frameRate, timescale, initDigest.hex])
            try Catalog.recordCopy(initDigest, in: region, bytes: initBytes, on: conn)
        }
    }

    /// A stored media segment, in the caller's transaction. Returns true when
    /// the video now has what it needs to play (a segment of the lowest rung
    /// and, if it has audio, of the audio): `VideoLifecycle.Event.firstSegments`.
    @discardableResult
    public static func segment(
        _ id: String, rendition: String, number: Int, startTime: Int64, duration: Int64, digest: ObjectDigest, bytes: Int64,
        region: String, lowestRung: String, hasAudio: Bool, on conn: isolated PostgresConnection
    ) throws -> Bool {
        try conn.query(
            """
            INSERT INTO segments (video_id, rendition, number, start_time, duration, bytes, digest) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (video_id, rendition, number) DO UPDATE SET start_time = $4, duration = $5, bytes = $6, digest = $7
            """,
            [id, rendition, number, startTime, duration, bytes, digest.hex])
        try Catalog.recordCopy(digest, in: region, bytes: bytes, on: conn)
        return try conn.query(
            """
            SELECT EXISTS (SELECT 1 FROM segments WHERE video_id = $1 AND rendition = $2)
               AND (NOT $3 OR EXISTS (SELECT 1 FROM segments WHERE video_id = $1 AND rendition = 'audio'))
            """,
            [id, lowestRung, hasAudio]
        ).single(Bool.self)
    }

    /// Every rendition has all its segments.
    public func renditionsComplete(_ id: String) async throws {
        try await pool.query("UPDATE renditions SET complete = true WHERE video_id = $1", [id])
        await invalidate(id)
    }

    /// Poster and sprite are stored, in the caller's transaction (which also
    /// moves the video on: `VideoLifecycle.Event.packaged`).
    public static func pictures(
        _ id: String, poster: ObjectInfo, sprite: ObjectInfo, sheet: Data, region: String, on conn: isolated PostgresConnection
    ) throws {
        try conn.query(
            """
            UPDATE videos SET poster_digest = $2, sprite_digest = $3, sprite = $4::jsonb, updated_at = now()
            WHERE id = $1 AND status <> 'deleted'
            """,
            [id, poster.digest.hex, sprite.digest.hex, String(decoding: sheet, as: UTF8.self)])
        try recordCopy(poster.digest, in: region, bytes: poster.size, on: conn)
        try recordCopy(sprite.digest, in: region, bytes: sprite.size, on: conn)
    }

    /// Moves the video to `status` if it is in one of `from`, stamping the
    /// status's time (and, for `failed`, the reason), in the caller's
    /// transaction. Returns the owner when it moved, nil when the video was
    /// elsewhere. The moves themselves are `VideoLifecycle`'s.
    public static func move(
        _ id: String, to status: VideoStatus, from: Set<VideoStatus>, error: String? = nil, on conn: isolated PostgresConnection
    ) throws -> String? {
        try conn.query(
            """
            UPDATE videos SET status = $2::video_status, updated_at = now(),
                playable_at = CASE WHEN $2 IN ('playable', 'ready') THEN coalesce(playable_at, now()) ELSE playable_at END,
                ready_at = CASE WHEN $2 = 'ready' THEN now() ELSE ready_at END,
                failed_at = CASE WHEN $2 = 'failed' THEN now() ELSE failed_at END,
                error = CASE WHEN $2 = 'failed' THEN $4 ELSE error END,
                deleted_at = CASE WHEN $2 = 'deleted' THEN now() ELSE deleted_at END
            WHERE id = $1 AND status = ANY($3::video_status[])
            RETURNING owner
            """,
            [id, status.rawValue, from.map(\.rawValue).sorted(), error]
        ).first?.decode(String.self, 0)
    }

    /// A copy just written (and hashed on the way) in `region`.
    static func recordCopy(_ digest: ObjectDigest, in region: String, bytes: Int64, on conn: isolated PostgresConnection) throws {
        try recordCopies([(digest, bytes)], in: region, on: conn)
    }

    /// Copies just written in `region`, in one statement: the only place
    /// object_replicas learns of a verified copy.
    static func recordCopies(_ copies: [(digest: ObjectDigest, bytes: Int64)], in region: String, on conn: isolated PostgresConnection) throws {
        // One row per object: ON CONFLICT cannot update a row twice in one statement.
        var seen = Set<ObjectDigest>()
        let copies = copies.filter { seen.insert($0.digest).inserted }
        guard !copies.isEmpty else { return }
        try conn.query(
            """
            INSERT INTO object_replicas (digest, region, state, bytes, attempts, verified_at)
            SELECT g, $2, 'verified', b, 1, now() FROM unnest($1::text[], $3::bigint[]) AS t(g, b)
            ON CONFLICT (digest, region) DO UPDATE SET state = 'verified', bytes = EXCLUDED.bytes, error = NULL, verified_at = now()
            """,
            [copies.map(\.digest.hex), region, copies.map(\.bytes)])
    }
}
