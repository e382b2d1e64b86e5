import Foundation
import ReelPostgres

/// One rendition as playback needs it: enough to write its playlists and to
/// find its segments' bytes.
public struct PlaybackRendition: Sendable, Codable, Hashable {
    public let name: String
    public let kind: String
    public let codecs: String
    public let width: Int?
    public let height: Int?
    public let frameRate: Double?
    public let timescale: Int
    public let initDigest: String
    public let complete: Bool
    public let segments: [PlaybackSegment]

    enum CodingKeys: String, CodingKey {
        case name, kind, codecs, width, height, timescale, complete, segments
        case frameRate = "frame_rate", initDigest = "init_digest"
    }
}

public struct PlaybackSegment: Sendable, Codable, Hashable {
    public let number: Int
    public let startTime: Int64
    public let duration: Int64
    public let bytes: Int64
    public let digest: String

    enum CodingKeys: String, CodingKey {
        case number, duration, bytes, digest
        case startTime = "start_time"
    }
}

/// A video and everything needed to serve it: one catalog read, cached as a whole.
public struct Playback: Sendable, Codable, Hashable {
    public let video: Video
    public let renditions: [PlaybackRendition]
    /// The probe ingest stored (JSON), for the audio's layout.
    public let probe: String?
}

extension Catalog {
    /// The video with its renditions and their segments, in one query; nil
    /// when there is no such video (or it is deleted). A job that acts on
    /// what a transition just committed reads with `cached: false`: the job
    /// can start (on the commit's notification) before the committer has
    /// dropped the cached entry, and a warming that read the entry from just
    /// before `ready` left the poster off the edge. Such a read also goes to
    /// the primary, never to a standby that may not have replayed the commit.
    public func playback(_ id: String, cached: Bool = true) async throws -> Playback? {
        guard VideoID.isValid(id) else { return nil }
        guard cached else { return try await playbackFromDatabase(id, pool: pool) }
        guard let cache else { return try await readNearby { try await playbackFromDatabase(id, pool: $0) } }
        switch await cache.lookup(id) {
        case .hit(let playback): return playback
        case .unavailable: return try await readNearby { try await playbackFromDatabase(id, pool: $0) }
        case .miss(let generation):
            let playback = try await readNearby { try await playbackFromDatabase(id, pool: $0) }
            await cache.store(id, playback, generation: generation)
            return playback
        }
    }

    func playbackFromDatabase(_ id: String, pool: PostgresPool) async throws -> Playback? {
        let result = try await pool.query(
            """
            SELECT \(Video.columns), probe::text AS probe,
                   (SELECT coalesce(json_agg(json_build_object(
                        'name', r.name, 'kind', r.kind, 'codecs', r.codecs, 'width', r.width, 'height', r.height,
                        'frame_rate', r.frame_rate, 'timescale', r.timescale, 'init_digest', r.init_digest, 'complete', r.complete,
                        'segments', (SELECT coalesce(json_agg(json_build_object(
                                         'number', s.number, 'start_time', s.start_time, 'duration', s.duration,
                                         'bytes', s.bytes, 'digest', s.digest) ORDER BY s.number), '[]')
                                     FROM segments s WHERE s.video_id = r.video_id AND s.rendition = r.name))
                        ORDER BY r.name), '[]')
                    FROM renditions r WHERE r.video_id = videos.id)::text AS renditions
            FROM videos WHERE id = $1 AND status <> 'deleted'
            """, [id])
        guard let row = result.first else { return nil }
        let video = try Video(row: row)
        let renditions = try JSONDecoder().decode([PlaybackRendition].self, from: Data(try row.decode(String.self, "renditions").utf8))
        return Playback(video: video, renditions: renditions, probe: try row.decode(String?.self, "probe"))
    }
}
