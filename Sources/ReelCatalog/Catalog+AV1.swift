public import Foundation
public import ReelPostgres
public import ReelStore

/// A rendition made after its video was published (AV1 for a popular
/// video), stored whole before the catalog lists it.
public struct FinishedRendition: Sendable, Hashable {
    public struct Segment: Sendable, Hashable {
        public let number: Int
        public let startTime: Int64
        public let duration: Int64
        public let digest: ObjectDigest
        public let bytes: Int64

        public init(number: Int, startTime: Int64, duration: Int64, digest: ObjectDigest, bytes: Int64) {
            self.number = number
            self.startTime = startTime
            self.duration = duration
            self.digest = digest
            self.bytes = bytes
        }
    }

    public let name: String
    public let codecs: String
    public let width: Int
    public let height: Int
    public let frameRate: Double
    public let timescale: Int
    public let initDigest: ObjectDigest
    public let initBytes: Int64
    public let segments: [Segment]

    public init(name: String, codecs: String, width: Int, height: Int, frameRate: Double, timescale: Int, initDigest: ObjectDigest,
                initBytes: Int64, segments: [Segment]) {
        self.name = name
        self.codecs = codecs
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.timescale = timescale
        self.initDigest = initDigest
        self.initBytes = initBytes
        self.segments = segments
    }
}

/// AV1 renditions for popular videos (`videos.av1`, docs/media.md): which
/// videos crossed the play threshold, and the publishing of finished
/// renditions beside the ones a video already plays.
extension Catalog {
    /// Ready videos with at least `plays` plays over the last `minutes` and no
    /// AV1 attempt yet, most played first, locked for the caller's transaction
    /// (two selections at once never pick the same video).
    public static func av1Candidates(
        plays: Int, minutes: Int, limit: Int, on conn: isolated PostgresConnection
    ) throws -> [(video: String, owner: String, plays: Int)] {
        try conn.query(
            """
            SELECT v.id, v.owner, p.plays FROM videos v
            JOIN (SELECT video_id, sum(plays)::bigint AS plays FROM video_plays
                  WHERE minute >= date_trunc('minute', now()) - make_interval(mins => $2)
                  GROUP BY video_id HAVING sum(plays) >= $1) p ON p.video_id = v.id
            WHERE v.status = 'ready' AND v.av1 IS NULL
            ORDER BY p.plays DESC, v.id LIMIT $3
            FOR UPDATE OF v SKIP LOCKED
            """,
            [plays, minutes, limit]
        ).map { (try $0.decode(String.self, 0), try $0.decode(String.self, 1), Int(try $0.decode(Int64.self, 2))) }
    }

    /// Stores the video's AV1 record (JSON of `AV1Record`), in the caller's transaction.
    public static func av1Record(_ id: String, record: Data, on conn: isolated PostgresConnection) throws {
        try conn.query("UPDATE videos SET av1 = $2::jsonb, updated_at = now() WHERE id = $1", [id, String(decoding: record, as: UTF8.self)])
    }

    /// Stores the video's AV1 record (JSON of `AV1Record`).
    public func av1Record(_ id: String, record: Data) async throws {
        try await pool.withTransaction { conn in try Catalog.av1Record(id, record: record, on: conn) }
    }

    /// The AV1 record, or nil (never chosen).
    public func av1Record(ofVideo id: String) async throws -> Data? {
        guard let row = try await pool.query("SELECT av1::text AS av1 FROM videos WHERE id = $1", [id]).first,
            let text = try row.decode(String?.self, "av1")
        else { return nil }
        return Data(text.utf8)
    }

    /// Lists finished renditions, complete with every segment, in the
    /// caller's transaction: players see all of them at once or none. False
    /// (nothing written) when the video was deleted meanwhile.
    public static func publish(_ renditions: [FinishedRendition], video id: String, region: String, on conn: isolated PostgresConnection) throws -> Bool {
        guard try conn.query("SELECT 1 FROM videos WHERE id = $1 AND status <> 'deleted' FOR SHARE", [id]).count == 1 else { return false }
        for rendition in renditions {
            try conn.query("DELETE FROM renditions WHERE video_id = $1 AND name = $2", [id, rendition.name])
            try conn.query(
                """
                INSERT INTO renditions (video_id, name, kind, codecs, width, height, frame_rate, timescale, init_digest, complete)
                VALUES ($1, $2, 'video', $3, $4, $5, $6, $7, $8, true)
                """,
                [id, rendition.name, rendition.codecs, rendition.width, rendition.height, rendition.frameRate, rendition.timescale,
                 rendition.initDigest.hex])
            let segments = rendition.segments
            try conn.query(
                """
                INSERT INTO segments (video_id, rendition, number, start_time, duration, bytes, digest)
                SELECT $1, $2, n, s, d, b, g FROM unnest($3::int[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[]) AS t(n, s, d, b, g)
                """,
                [id, rendition.name, segments.map(\.number), segments.map(\.startTime), segments.map(\.duration), segments.map(\.bytes),
                 segments.map(\.digest.hex)])
            try recordCopies([(rendition.initDigest, rendition.initBytes)] + segments.map { ($0.digest, $0.bytes) }, in: region, on: conn)
        }
        return true
    }
}
