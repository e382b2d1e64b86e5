import Foundation
import ReelCatalog
import ReelEdge

/// What `GET /v1/videos/{id}` answers.
struct VideoMetadata: Encodable, Sendable {
    struct Rendition: Encodable, Sendable {
        let name: String
        let kind: String
        let codecs: String
        let width: Int?
        let height: Int?
        let segments: Int
        let complete: Bool
    }

    struct URLs: Encodable, Sendable {
        let hls: String
        let dash: String
        let poster: String?
        let player: String

        /// The URLs of video `id` on this API, carrying `query` (a playback signature) when there is one.
        init(video id: String, hasPoster: Bool, query: String? = nil) {
            let base = "/v1/videos/\(id)"
            let tail = query.map { "?" + $0 } ?? ""
            hls = "\(base)/master.m3u8\(tail)"
            dash = "\(base)/manifest.mpd\(tail)"
            poster = hasPoster ? "\(base)/poster.jpg\(tail)" : nil
            player = "\(base)/player\(tail)"
        }
    }

    let id: String
    let status: String
    let title: String
    let durationSeconds: Double?
    let width: Int?
    let height: Int?
    let createdAt: Date
    let playableAt: Date?
    let readyAt: Date?
    let error: String?
    let renditions: [Rendition]
    /// On the origin (relative to the API).
    let urls: URLs
    /// Through the viewer's nearest edge; nil when there is none (no edge in
    /// the region hinted, or it is down): then the origin's `urls` are the ones.
    let edge: EdgeURLs?

    struct EdgeURLs: Encodable, Sendable {
        let name: String
        let region: String
        let hls: String
        let dash: String
        let poster: String?

        init(_ edge: Edge, _ origin: URLs) {
            name = edge.name
            region = edge.region
            hls = edge.url + origin.hls
            dash = edge.url + origin.dash
            poster = origin.poster.map { edge.url + $0 }
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, title, width, height, error, renditions, urls, edge
        case durationSeconds = "duration_s", createdAt = "created_at", playableAt = "playable_at", readyAt = "ready_at"
    }

    init(_ playback: Playback, edge: Edge? = nil, query: String? = nil) {
        let video = playback.video
        id = video.id
        status = video.status.rawValue
        title = video.title
        durationSeconds = video.durationSeconds
        width = video.width
        height = video.height
        createdAt = video.createdAt
        playableAt = video.playableAt
        readyAt = video.readyAt
        error = video.error
        renditions = playback.renditions.map {
            Rendition(name: $0.name, kind: $0.kind, codecs: $0.codecs, width: $0.width, height: $0.height,
                      segments: $0.segments.count, complete: $0.complete)
        }
        let urls = URLs(video: video.id, hasPoster: video.posterDigest != nil, query: query)
        self.urls = urls
        self.edge = edge.map { EdgeURLs($0, urls) }
    }
}
