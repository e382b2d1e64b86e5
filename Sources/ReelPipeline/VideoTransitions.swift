import Foundation
import ReelCatalog
import ReelEdge
public import ReelPostgres
import ReelQueue

/// Applies a ``VideoLifecycle`` move in the caller's transaction: the status
/// changes, the move's jobs are enqueued or cancelled and its webhook event is
/// written together, so a video
/// is never `ready` without its replication, nor `deleted` with its
/// transcodes still running. Call it in the transaction that records what
/// caused the move (the upload's row, the segment, the poster), then drop the
/// video's cached entry once it commits (`Catalog.invalidate`).
public enum VideoTransitions {
    /// What a move needs to know beyond the video.
    public struct Context: Sendable {
        /// The video's owner: the tenant of its jobs (read from the row when nil).
        public var tenant: String?
        /// Regions that receive replicas (every region but the video's home).
        public var replicaRegions: [String]
        /// Why it failed (`failed`), said so the uploader understands.
        public var error: String?

        public init(tenant: String? = nil, replicaRegions: [String] = [], error: String? = nil) {
            self.tenant = tenant
            self.replicaRegions = replicaRegions
            self.error = error
        }
    }

    /// Moves `video` on `event`; false when the event does not apply to its
    /// status (nothing changed, nothing enqueued).
    @discardableResult
    public static func apply(
        _ event: VideoLifecycle.Event, video: String, _ context: Context = Context(), on conn: isolated PostgresConnection
    ) throws -> Bool {
        let move = VideoLifecycle.transition(event)
        let tenant: String
        if move.from.isEmpty {
            // Creation: the row was inserted with its first status by the same transaction.
            tenant = context.tenant ?? ""
        } else {
            guard let owner = try Catalog.move(video, to: move.to, from: move.from, error: context.error, on: conn) else { return false }
            tenant = context.tenant ?? owner
        }
        for job in move.cancels {
            try cancel(job, video: video, on: conn)
        }
        for job in move.starts {
            try start(job, video: video, tenant: tenant, context, on: conn)
        }
        try WebhookEvents.video(move.to, video: video, tenant: tenant, error: context.error, on: conn)
        return true
    }

    static func start(_ job: VideoLifecycle.Job, video: String, tenant: String, _ context: Context, on conn: isolated PostgresConnection) throws {
        switch job {
        case .publish:
            try ReelJobs.publish(video: video, tenant: tenant, on: conn)
        case .warmEdges(let reason):
            for edge in try EdgeDirectory.enabledNames(on: conn) {
                try ReelJobs.warm.enqueue(EdgeVideoJob(video: video, edge: edge, reason: reason), tenant: tenant, on: conn)
            }
        case .purgeEdges:
            for edge in try EdgeDirectory.enabledNames(on: conn) {
                try ReelJobs.purge.enqueue(EdgeVideoJob(video: video, edge: edge, reason: "deleted"), tenant: tenant, on: conn)
                // Once more a minute later: an API far from the primary reads a standby and keeps
                // its own cache, so for a while it may still answer for the video, and an edge
                // that asked it then has cached the video again.
                try ReelJobs.purge.enqueue(EdgeVideoJob(video: video, edge: edge, reason: "deleted-again"), tenant: tenant,
                                           runAt: Date().addingTimeInterval(ReelJobs.purgeAgainAfter), on: conn)
            }
        case .replicate:
            try ReelJobs.replicate(video: video, to: context.replicaRegions, on: conn)
        }
    }

    static func cancel(_ job: VideoLifecycle.Job, video: String, on conn: isolated PostgresConnection) throws {
        switch job {
        case .publish:
            let keys = ReelJobs.publishing.compactMap { $0.uniqueKey(VideoJob(video: video)) }
            try JobQueue.cancel(uniqueKeys: keys, reason: "the video was deleted", on: conn)
        case .warmEdges, .purgeEdges, .replicate:
            // Edge and replication jobs of a deleted video end by themselves: they find it gone.
            break
        }
    }
}
