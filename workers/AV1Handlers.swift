public import Foundation
import Logging
public import ReelCatalog
import ReelEdge
public import ReelMedia
public import ReelManifests
import ReelPostgres
public import ReelQueue
import ReelPipeline
public import ReelStore
import ReelThreads

/// AV1 for what people watch, on the `reencode` queue (docs/media.md):
///
/// - `av1.select` {plays, minutes, limit} (periodic, every minute):
///   ready videos whose plays over the last `minutes` reached `plays`, and
///   that never had an AV1 attempt, are marked `queued` in `videos.av1` and
///   get an `av1.encode` job, in one transaction.
/// - `av1.encode` {video}: unless the video has AV1 renditions already (their
///   segments are cached as immutable under their URLs), encodes one AV1 rung per H.264 video rendition
///   (same size, same segment grid, ``AV1Ladder``) with SVT-AV1 at the lowest
///   CPU priority (``BackgroundLadder``), stores every object, then lists the
///   renditions whole, complete, in one transaction that also enqueues their
///   replication to every other region and their warming on every edge. The
///   API's HLS master and MPD list them from then on, beside H.264.
///
/// The H.264 ladder plays throughout: an encode that fails or runs past its
/// budget (``AV1Configuration``) records why in `videos.av1` and lists nothing.
public struct AV1Handlers: Sendable {
    public let catalog: Catalog
    public let regions: Regions
    public let scratch: URL
    public let limits: MediaLimits
    public let configuration: AV1Configuration

    public init(catalog: Catalog, regions: Regions, scratch: URL, limits: MediaLimits = .standard,
                configuration: AV1Configuration = .standard) {
        self.catalog = catalog
        self.regions = regions
        self.scratch = scratch
        self.limits = limits
        self.configuration = configuration
    }

    /// The publishing chain's helpers: the plan, the source in scratch, the home store.
    var publishing: PublishingHandlers { PublishingHandlers(catalog: catalog, regions: regions, scratch: scratch, limits: limits) }

    public func register(into handlers: inout JobHandlers) {
        let av1 = self
        handlers.register(ReelJobs.av1Select) { args, context in
            try await av1.select(args, logger: context.logger)
            return .completed
        }
        handlers.register(ReelJobs.av1) { args, context in
            do {
                try await av1.encode(args, logger: context.logger)
            } catch let error as JobFailure {
                throw error
            } catch let error where context.job.attempt >= context.job.maxAttempts {
                // The last attempt: say why where operators look, the H.264 ladder plays on.
                try? await av1.record(args.video, AV1Record(state: .failed, error: "\(error)"))
                throw error
            }
            return .completed
        }
    }

    func select(_ args: AV1SelectJob, logger: Logger) async throws {
        let plays = max(1, args.plays ?? 1000), minutes = max(1, args.minutes ?? 1440), limit = min(100, max(1, args.limit ?? 5))
        let encoder = JSONEncoder()
        let chosen = try await catalog.pool.withTransaction { conn in
            let candidates = try Catalog.av1Candidates(plays: plays, minutes: minutes, limit: limit, on: conn)
            for candidate in candidates {
                try Catalog.av1Record(candidate.video, record: try encoder.encode(AV1Record(state: .queued, plays: candidate.plays)), on: conn)
                try ReelJobs.av1.enqueue(VideoJob(video: candidate.video), tenant: candidate.owner, on: conn)
            }
            return candidates
        }
        if !chosen.isEmpty {
            logger.info("popular videos to encode in AV1", metadata: ["videos": "\(chosen.map(\.video))", "threshold": "\(plays)"])
        }
    }

    func encode(_ args: VideoJob, logger: Logger) async throws {
        guard let playback = try await catalog.playback(args.video, cached: false), playback.video.status == .ready else {
            logger.info("not ready (deleted, failed or still publishing): no AV1", metadata: ["video": "\(args.video)"])
            return
        }
        let video = playback.video
        // Segments are immutable at their URLs (edges and browsers keep them a year): a second
        // AV1 ladder under the same names would mix with the first in their caches.
        if playback.renditions.contains(where: { AV1Ladder.isAV1($0.name) }) {
            logger.info("already has AV1 renditions: nothing to encode", metadata: ["video": "\(video.id)"])
            return
        }
        let h264 = playback.renditions.filter { $0.kind == "video" && !AV1Ladder.isAV1($0.name) }
        let published = h264.map { rendition in
            AV1Ladder.Published(
                name: rendition.name, width: rendition.width ?? 0, height: rendition.height ?? 0,
                bytes: rendition.segments.reduce(0) { $0 + $1.bytes },
                seconds: Double(rendition.segments.reduce(0) { $0 + $1.duration }) / Double(max(1, rendition.timescale)))
        }
        let (info, _) = try await publishing.plan(video)
        let plays = try await selectedPlays(video.id)
        let started = ContinuousClock.now
        let folder = publishing.folder(video.id).appendingPathComponent("av1")
        defer { try? FileManager.default.removeItem(at: publishing.folder(video.id)) }
        let outputs: [RungOutput]
        let rungs: [Rung]
        do {
            rungs = try AV1Ladder.rungs(for: published, configuration: configuration)
            let source = try await publishing.localSource(video)
            try? FileManager.default.removeItem(at: folder)
            let budget = MediaBudget(seconds: configuration.budgetSeconds(forDuration: info.duration),
                                     mediaSeconds: limits.mediaSeconds(forDuration: info.duration))
            outputs = try await BackgroundLadder.encode(path: source.path, info: info, rungs: rungs, codec: .av1, to: folder,
                                                        segmentSeconds: segmentSeconds(h264), limits: limits, budget: budget)
        } catch let error as MediaError {
            let reason = error.code == .overBudget
                ? String(format: "the AV1 encode ran past its budget of %.0f s (REEL_AV1_BUDGET); the H.264 ladder plays on",
                         configuration.budgetSeconds(forDuration: info.duration))
                : "the AV1 encode failed: \(error.message); the H.264 ladder plays on"
            try await catalog.av1Record(video.id, record: try JSONEncoder().encode(AV1Record(state: .failed, plays: plays, error: reason)))
            logger.warning("no AV1", metadata: ["video": "\(video.id)", "reason": "\(reason)"])
            throw JobFailure.permanent(reason)
        }
        let finished = try await store(outputs, in: folder, video: video)
        let seconds = (ContinuousClock.now - started).seconds
        let bytes = outputs.map { output in
            AV1Record.RungBytes(
                rung: output.rung.name, bitrate: output.rung.bitrate, bytes: output.segments.reduce(Int64(0)) { $0 + Int64($1.bytes) },
                h264Bytes: published.first { AV1Ladder.name(of: $0.name) == output.rung.name }?.bytes ?? 0)
        }
        let done = AV1Record(state: .published, plays: plays, rungs: bytes, seconds: seconds)
        let record = try JSONEncoder().encode(done)
        let replicas = regions.replicas.map(\.name)
        let listed = try await catalog.pool.withTransaction { conn in
            guard try Catalog.publish(finished, video: video.id, region: video.homeRegion, on: conn) else { return false }
            try Catalog.av1Record(video.id, record: record, on: conn)
            try ReelJobs.replicate(video: video.id, to: replicas, on: conn)
            for edge in try EdgeDirectory.enabledNames(on: conn) {
                try ReelJobs.warm.enqueue(EdgeVideoJob(video: video.id, edge: edge, reason: ReelJobs.av1WarmReason), tenant: video.owner, on: conn)
            }
            return true
        }
        await catalog.invalidate(video.id)
        guard listed else {
            logger.info("deleted while its AV1 renditions were made: nothing listed", metadata: ["video": "\(video.id)"])
            return
        }
        logger.info("AV1 published", metadata: [
            "video": "\(video.id)", "rungs": "\(rungs.map(\.description))", "seconds": "\(seconds)",
            "bytes_ratio": "\(done.bytesRatio.map { String(format: "%.2f", $0) } ?? "n/a")",
        ])
    }

    /// The H.264 ladder's segment length, so the AV1 rungs switch at the same times.
    func segmentSeconds(_ h264: [PlaybackRendition]) -> Double {
        guard let rendition = h264.first, let first = rendition.segments.first, rendition.segments.count > 1 else { return 2 }
        return max(0.5, Double(first.duration) / Double(max(1, rendition.timescale)))
    }

    /// Stores each rung's init segment and media segments in the video's home region.
    func store(_ outputs: [RungOutput], in folder: URL, video: Video) async throws -> [FinishedRendition] {
        let store = publishing.home(of: video)
        var finished: [FinishedRendition] = []
        for output in outputs {
            let rungFolder = folder.appendingPathComponent(output.rung.name)
            let initSegment = try await store.put(contentsOf: rungFolder.appendingPathComponent("init.mp4"))
            var segments: [FinishedRendition.Segment] = []
            for segment in output.segments {
                let stored = try await store.put(contentsOf: rungFolder.appendingPathComponent("\(segment.number).m4s"))
                segments.append(.init(number: segment.number, startTime: segment.startTime, duration: segment.duration, digest: stored.digest,
                                      bytes: stored.size))
            }
            finished.append(FinishedRendition(
                name: output.rung.name, codecs: output.codecs, width: output.rung.width, height: output.rung.height,
                frameRate: output.frameRate, timescale: output.timescale, initDigest: initSegment.digest, initBytes: initSegment.size,
                segments: segments))
        }
        return finished
    }

    /// The plays the selection recorded (nil when an operator enqueued the job).
    func selectedPlays(_ id: String) async throws -> Int? {
        guard let data = try await catalog.av1Record(ofVideo: id) else { return nil }
        return (try? JSONDecoder().decode(AV1Record.self, from: data))?.plays
    }

    /// Records a failure the encode itself could not record, keeping the plays the selection saw.
    func record(_ id: String, _ record: AV1Record) async throws {
        var record = record
        if record.plays == nil { record.plays = try? await selectedPlays(id) }
        try await catalog.av1Record(id, record: try JSONEncoder().encode(record))
    }
}
