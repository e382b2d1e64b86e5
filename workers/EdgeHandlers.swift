import Foundation
import Logging
public import ReelCatalog
public import ReelEdge
import ReelManifests
import ReelPostgres
public import ReelQueue
public import ReelPipeline

/// The jobs that drive the edges, on the `edges` queue:
///
/// - `edge.warm` {video, edge, reason}: fetch the video's warm set through
///   the edge (``WarmPlan``), so a first viewer there gets cache hits.
///   Enqueued by the video's status moves (`VideoTransitions`) when a video
///   turns `playable` (the first segments of the lowest rung) and again when
///   it is `ready` (every rung), by `edge.popular`, and by `av1.encode` once
///   a video's AV1 renditions are listed (reason `av1`: every segment of
///   those renditions and nothing else). Each run is an
///   `edge_warmings` row. An edge that cannot be reached fails the job (it
///   retries with backoff) and is marked unhealthy, so playback URLs use the
///   origin until it answers again.
/// - `edge.purge` {video, edge}: BAN every URL of a deleted video from the
///   edge; retried until the edge takes it.
/// - `edge.popular` {top, minutes}: rank videos by plays (counted by the
///   API), and for every edge keep the most played that fit in three
///   quarters of its capacity (`edge_popular`: the origin tells the edge
///   not to keep older videos outside it) and warm every segment of them.
///   Periodic.
/// - `edge.stats`: check every edge and read its cache counters into
///   `edge_stats` (the `edge_report` view, `reel edges`). Periodic.
public struct EdgeHandlers: Sendable {
    public typealias Args = EdgeVideoJob
    public typealias PopularArgs = PopularJob

    public let catalog: Catalog
    public let client: EdgeClient
    /// Segments of every rendition warmed on publish (default 3).
    public let firstSegments: Int
    /// With signed playback, the `exp=…&sig=…` a warm fetch of a video
    /// carries (the edge checks it like a viewer's); nil when playback is public.
    public let signature: (@Sendable (_ video: String) -> String)?
    var directory: EdgeDirectory { EdgeDirectory(pool: catalog.pool) }
    var records: EdgeRecords { EdgeRecords(pool: catalog.pool) }

    public init(catalog: Catalog, client: EdgeClient, firstSegments: Int = 3, signature: (@Sendable (_ video: String) -> String)? = nil) {
        self.catalog = catalog
        self.client = client
        self.firstSegments = firstSegments
        self.signature = signature
    }

    public func register(into handlers: inout JobHandlers) {
        let edges = self
        handlers.register(ReelJobs.warm) { args, context in
            try await edges.warm(args, logger: context.logger)
            return .completed
        }
        handlers.register(ReelJobs.purge) { args, context in
            try await edges.purge(args, logger: context.logger)
            return .completed
        }
        handlers.register(ReelJobs.popular) { args, context in
            try await edges.popular(args, logger: context.logger)
            return .completed
        }
        handlers.register(ReelJobs.edgeStats) { _, context in
            try await edges.stats(logger: context.logger)
            return .completed
        }
    }

    func warm(_ args: Args, logger: Logger) async throws {
        guard let edge = try await directory.named(args.edge), edge.enabled else {
            logger.info("edge gone or disabled: nothing to warm", metadata: ["edge": "\(args.edge)"])
            return
        }
        guard let playback = try await catalog.playback(args.video, cached: false), playback.video.status != .deleted else {
            logger.info("video gone: nothing to warm", metadata: ["video": "\(args.video)"])
            return
        }
        let reason = args.reason ?? "ready"
        // A popular video is warmed whole; so are the AV1 renditions it gets for being popular, and only they.
        let added = reason == ReelJobs.av1WarmReason
        var paths = WarmPlan.paths(playback, firstSegments: reason == "popular" || added ? nil : firstSegments, playlists: signature == nil,
                                   renditions: added ? { AV1Ladder.isAV1($0.name) } : nil)
        if let query = signature?(args.video) { paths = paths.map { $0 + "?" + query } }
        let row = try await records.warmingStarted(edge: edge.name, video: args.video, reason: reason)
        do {
            let warmed = try await client.warm(edge, paths: paths)
            if !warmed.failures.isEmpty {
                // The catalog lists every path of the plan, so a path the edge could not get
                // (a busy origin or edge, a replica not there yet) is worth another try; a video
                // deleted meanwhile ends the next attempt at the catalog read above.
                let message = "\(warmed.failures.count) of \(paths.count) objects could not be warmed: "
                    + warmed.failures.prefix(5).joined(separator: "; ") + "; the job retries"
                try await records.warmingFailed(row, error: message)
                throw WarmIncomplete(message: message)
            }
            try await records.warmingFinished(row, warmed)
            if !edge.healthy { try await directory.setHealthy(edge.name, true) }
            logger.info("warmed", metadata: [
                "edge": "\(edge.name)", "video": "\(args.video)", "reason": "\(reason)", "objects": "\(warmed.objects)",
                "bytes": "\(warmed.bytes)", "failures": "\(warmed.failures.count)",
            ])
        } catch let error as EdgeClient.Unreachable {
            try await records.warmingFailed(row, error: error.description)
            try await directory.setHealthy(edge.name, false)
            throw error
        }
    }

    func purge(_ args: Args, logger: Logger) async throws {
        guard let edge = try await directory.named(args.edge) else { return }
        do {
            try await client.ban(edge, video: args.video)
        } catch let error as EdgeClient.Unreachable {
            try await directory.setHealthy(edge.name, false)
            throw error
        } catch let error as EdgeRefused {
            throw JobFailure.permanent(error.description)
        }
        logger.info("purged", metadata: ["edge": "\(edge.name)", "video": "\(args.video)"])
    }

    func popular(_ args: PopularArgs, logger: Logger) async throws {
        let videos = try await catalog.mostPlayed(limit: args.top ?? 20, minutes: args.minutes ?? 60)
        let edges = try await directory.all().filter(\.enabled)
        guard !videos.isEmpty, !edges.isEmpty else { return }
        let sizes = try await catalog.videoBytes(videos)
        try await catalog.pool.withTransaction { conn in
            for edge in edges {
                // Keep and warm no more than three quarters of the edge's cache: the rest is for
                // new uploads, and a warming that evicts its own start would only churn the cache.
                var budget = edge.capacityBytes / 4 * 3
                var kept: [(video: String, bytes: Int64)] = []
                for video in videos {
                    let size = sizes[video] ?? 0
                    guard size <= budget else { break }
                    budget -= size
                    kept.append((video, size))
                }
                try conn.query("DELETE FROM edge_popular WHERE edge = $1", [edge.name])
                try conn.query(
                    """
                    INSERT INTO edge_popular (edge, video_id, rank, bytes)
                    SELECT $1, v, r, b FROM unnest($2::text[], $3::int[], $4::bigint[]) AS t(v, r, b)
                    """,
                    [edge.name, kept.map(\.video), kept.indices.map { $0 + 1 }, kept.map(\.bytes)])
                for (video, _) in kept {
                    try ReelJobs.warm.enqueue(EdgeVideoJob(video: video, edge: edge.name, reason: "popular"), on: conn)
                }
            }
        }
        logger.info("popular videos to warm", metadata: ["videos": "\(videos.count)", "edges": "\(edges.count)"])
    }

    func stats(logger: Logger) async throws {
        for edge in try await directory.all() where edge.enabled {
            let up = await client.check(edge)
            if up != edge.healthy { try await directory.setHealthy(edge.name, up) }
            guard up, let workdir = edge.statsWorkdir else { continue }
            do {
                try await records.recordCounters(edge: edge.name, try await VarnishStat.read(workdir: workdir))
            } catch {
                logger.warning("cannot read the edge's counters", metadata: ["edge": "\(edge.name)", "error": "\(error)"])
            }
        }
    }
}

/// A warming that left objects off the edge: the job retries.
struct WarmIncomplete: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

