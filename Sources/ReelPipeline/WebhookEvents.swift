import Foundation
public import ReelCatalog
public import ReelPostgres
import ReelQueue

/// Writes webhook events in the transaction of the change they report, with
/// one `webhook.deliver` job per endpoint that wants them: an event is
/// delivered at least once if and only if its change committed.
public enum WebhookEvents {
    /// What a video event says about the video (`data` in its body).
    public struct VideoData: Codable, Sendable, Hashable {
        public let id: String
        public let tenant: String
        public let status: String
        /// Why it failed, as the uploader is told (`video.failed`).
        public let error: String?
        /// Where it plays, relative to the API (`video.playable`, `video.ready`).
        public let playback: Playback?

        public struct Playback: Codable, Sendable, Hashable {
            public let hls: String
            public let dash: String
        }
    }

    /// What `upload.expired` says: the upload (whose id the video would have had) and how far it got.
    public struct UploadData: Codable, Sendable, Hashable {
        public let id: String
        public let tenant: String
        public let received: Int64
        public let length: Int64?
    }

    /// The body every delivery of an event sends, as the Standard Webhooks
    /// specification recommends: `{"type", "timestamp", "data"}`.
    struct Body<Data: Encodable>: Encodable {
        let type: String
        let timestamp: String
        let data: Data
    }

    /// Writes `type` with `data` for the endpoints of `tenant` that want it
    /// (nothing when none does) and enqueues their deliveries, on `conn`.
    @discardableResult
    public static func emit<Data: Encodable>(
        _ type: Webhooks.EventType, tenant: String, data: Data, only endpoint: Int64? = nil, on conn: isolated PostgresConnection
    ) throws -> String? {
        let endpoints = try endpoint.map { [$0] } ?? Webhooks.subscribers(tenant: tenant, type: type, on: conn)
        guard !endpoints.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let timestamp = ISO8601DateFormatter().string(from: Date())
        let payload = String(decoding: try encoder.encode(Body(type: type.rawValue, timestamp: timestamp, data: data)), as: UTF8.self)
        let id = "msg_" + VideoID.make() + VideoID.make()
        try Webhooks.record(Webhooks.Event(id: id, tenant: tenant, type: type, payload: payload), on: conn)
        for endpoint in endpoints {
            try ReelJobs.deliverWebhook.enqueue(WebhookJob(event: id, endpoint: endpoint), tenant: tenant, on: conn)
        }
        return id
    }

    /// The event of a video's move to `status`, when it reports one.
    static func video(_ status: VideoStatus, video: String, tenant: String, error: String?, on conn: isolated PostgresConnection) throws {
        let type: Webhooks.EventType
        switch status {
        case .uploaded: type = .videoCreated
        case .playable: type = .videoPlayable
        case .ready: type = .videoReady
        case .failed: type = .videoFailed
        case .deleted: type = .videoDeleted
        case .processing: return
        }
        let plays = status == .playable || status == .ready
        let playback = plays ? VideoData.Playback(hls: "/v1/videos/\(video)/master.m3u8", dash: "/v1/videos/\(video)/manifest.mpd") : nil
        try emit(type, tenant: tenant, data: VideoData(id: video, tenant: tenant, status: status.rawValue,
                                                       error: status == .failed ? error : nil, playback: playback), on: conn)
    }

    /// Sends a `webhook.test` event to one endpoint now.
    public static func test(endpoint: Webhooks.Endpoint, pool: PostgresPool) async throws -> String {
        try await pool.withTransaction { conn in
            try emit(.test, tenant: endpoint.tenant, data: ["endpoint": "\(endpoint.id)", "message": "a test event from Reel"],
                     only: endpoint.id, on: conn) ?? ""
        }
    }
}

/// Removes expired uploads and, in the same transaction, reports the
/// unfinished ones (`upload.expired`) and enqueues the removal of what they
/// left staged in the home region's store (`upload.unstage`).
public enum UploadExpiry {
    @discardableResult
    public static func run(pool: PostgresPool) async throws -> Int {
        try await pool.withTransaction { conn in
            let expired = try Uploads.expire(on: conn)
            for upload in expired {
                if let staging = upload.staging {
                    try ReelJobs.unstage.enqueue(UnstageJob(upload: upload.id, staging: staging), tenant: upload.owner, on: conn)
                }
                try WebhookEvents.emit(.uploadExpired, tenant: upload.owner, data: WebhookEvents.UploadData(
                    id: upload.id, tenant: upload.owner, received: upload.received, length: upload.length), on: conn)
            }
            return expired.count
        }
    }
}
