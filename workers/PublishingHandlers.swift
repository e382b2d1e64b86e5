public import Foundation
import Logging
import Synchronization
public import ReelCatalog
public import ReelMedia
public import ReelManifests
import ReelPostgres
public import ReelQueue
public import ReelPipeline
public import ReelStore

/// The media pipeline for uploaded videos, from the object store to the
/// object store: `video.ingest` (fetch the source, probe, plan) →
/// `video.transcode` (every rung and the audio; each segment is stored and
/// cataloged the moment it is written, so the video turns `playable` as soon
/// as the lowest rung's first segment and the audio's are in) →
/// `video.package` (poster and sprite; `ready`; replication to every other
/// region). Manifests are not stored: the API writes them from the catalog,
/// so they grow as segments arrive. Each job may run on another machine: the
/// plan lives in the catalog, and a job fetches the source itself when its
/// scratch folder does not have it.
public struct PublishingHandlers: Sendable {
    public typealias Args = VideoJob

    public let catalog: Catalog
    public let regions: Regions
    public let scratch: URL
    /// What an upload may be and cost (containers, sizes, the time budget of each job).
    public let limits: MediaLimits
    /// Per-title bit rates (nil: the fixed ladder, unmeasured).
    public let perTitle: PerTitleConfiguration?

    public init(catalog: Catalog, regions: Regions, scratch: URL, limits: MediaLimits = .standard,
                perTitle: PerTitleConfiguration? = nil) {
        self.catalog = catalog
        self.regions = regions
        self.scratch = scratch
        self.limits = limits
        self.perTitle = perTitle
    }

    public func register(into handlers: inout JobHandlers) {
        let publishing = self
        handlers.register(ReelJobs.ingest) { args, context in
            try await publishing.ingest(args, logger: context.logger)
            return .completed
        }
        handlers.register(ReelJobs.transcode) { args, context in
            try await publishing.transcode(args, logger: context.logger)
            return .completed
        }
        handlers.register(ReelJobs.package) { args, context in
            try await publishing.package(args, logger: context.logger)
            return .completed
        }
    }

    func ingest(_ args: Args, logger: Logger) async throws {
        let video = try await existing(args.video)
        let limits = self.limits
        if video.sourceSize > limits.maxSourceBytes {
            _ = try await failing(video) { () throws -> Void in
                throw MediaError(.tooLarge, "the upload is \(video.sourceSize) bytes, more than the \(limits.maxSourceBytes) a source may have; upload a shorter or smaller video")
            }
        }
        let source = try await localSource(video)
        let (info, rungs) = try await failing(video) {
            let info = try await MediaProbe.probe(path: source.path, limits: limits)
            return (info, try LadderPlanner.plan(info.video.geometry))
        }
        let encoder = JSONEncoder()
        let (probe, ladder) = (try encoder.encode(info), try encoder.encode(rungs))
        try await catalog.pool.withTransaction { conn in
            try Catalog.planned(
                video.id, durationSeconds: info.duration, width: info.video.geometry.width, height: info.video.geometry.height,
                probe: probe, ladder: ladder, on: conn)
            try VideoTransitions.apply(.planned, video: video.id, on: conn)
        }
        await catalog.invalidate(video.id)
        logger.info("planned", metadata: ["video": "\(video.id)", "rungs": "\(rungs.map(\.name))"])
    }

    func transcode(_ args: Args, logger: Logger) async throws {
        let video = try await existing(args.video)
        let (info, rungs) = try await plan(video)
        let source = try await localSource(video)
        let limits = self.limits
        let output = folder(video.id).appendingPathComponent("renditions")
        try? FileManager.default.removeItem(at: output)
        let publisher = SegmentPublisher(
            catalog: catalog, store: home(of: video), video: video, rungs: rungs, frameRate: info.video.frameRate,
            hasAudio: info.audio != nil, folder: output, logger: logger)
        let (segments, written) = AsyncStream<SegmentPublisher.Event>.makeStream()
        let publishing = Task { try await publisher.publish(segments) }
        let transcoded: Result<PackagedVideo, any Error>
        let started = ContinuousClock.now
        let chosen = Mutex<PerTitleRecord?>(nil)
        let id = video.id
        do {
            transcoded = .success(try await MediaPackager.renditions(
                path: source.path, info: info, rungs: rungs, to: output, segmentSeconds: args.segmentSeconds ?? 2,
                limits: limits, budget: .job(info, limits: limits), perTitle: perTitle,
                onSegment: { name, record in written.yield(.segment(name, record)) },
                onPerTitle: { record in
                    chosen.withLock { $0 = record }
                    // Before the planned rungs' first segments, which follow this call.
                    if let plan = record.plan { written.yield(.rungs(plan.rungs)) }
                    if let fallback = record.fallback {
                        logger.warning("per-title: the fixed ladder instead", metadata: ["video": "\(id)", "reason": "\(fallback)"])
                    } else if let plan = record.plan {
                        logger.info("per-title", metadata: ["video": "\(id)", "ladder": "\(plan.rungs.map(\.description))",
                                                            "ratio": "\(plan.ladderRatio)"])
                    }
                }))
        } catch {
            transcoded = .failure(error)
        }
        written.finish()
        try await publishing.value
        _ = try await failing(video) { try transcoded.get() }
        if let record = chosen.withLock({ $0 }) { try await catalog.perTitle(video.id, record: try JSONEncoder().encode(record)) }
        PipelineMetrics.transcoded(videoSeconds: info.duration, took: ContinuousClock.now - started)
        try await catalog.renditionsComplete(video.id)
    }

    func package(_ args: Args, logger: Logger) async throws {
        let video = try await existing(args.video)
        let (info, _) = try await plan(video)
        let source = try await localSource(video)
        let limits = self.limits
        let pictures = try await failing(video) {
            try await PictureWriter.make(path: source.path, info: info, limits: limits, budget: .job(info, limits: limits))
        }
        let store = home(of: video)
        let poster = try await store.put(pictures.poster)
        let sprite = try await store.put(pictures.sprite)
        let sheet = try JSONEncoder().encode(pictures.sheet)
        let regions = self.regions
        let region = video.homeRegion
        try await catalog.pool.withTransaction { conn in
            try Catalog.pictures(video.id, poster: ObjectInfo(digest: poster.digest, size: poster.size),
                                 sprite: ObjectInfo(digest: sprite.digest, size: sprite.size), sheet: sheet, region: region, on: conn)
            try VideoTransitions.apply(.packaged, video: video.id, .init(replicaRegions: regions.replicas.map(\.name)), on: conn)
        }
        await catalog.invalidate(video.id)
        try? FileManager.default.removeItem(at: folder(video.id))
        logger.info("ready", metadata: ["video": "\(video.id)"])
    }

    // MARK: Helpers

    func folder(_ id: String) -> URL { scratch.appendingPathComponent("videos").appendingPathComponent(id) }

    func home(of video: Video) -> any ObjectStore { (regions[video.homeRegion] ?? regions.home).store }

    /// The video's row; a video deleted meanwhile stops the chain for good.
    func existing(_ id: String) async throws -> Video {
        guard let video = try await catalog.video(id), video.status != .deleted else {
            throw JobFailure.permanent("video \(id) is not in the catalog (deleted?): nothing to publish")
        }
        return video
    }

    func plan(_ video: Video) async throws -> (MediaInfo, [Rung]) {
        guard let plan = try await catalog.plan(video.id) else {
            throw JobFailure.permanent("video \(video.id) has no plan: its ingest job did not finish")
        }
        let decoder = JSONDecoder()
        return (try decoder.decode(MediaInfo.self, from: plan.probe), try decoder.decode([Rung].self, from: plan.ladder))
    }

    /// The source in this machine's scratch folder, fetched (and checked
    /// against its digest) from the nearest region that has it.
    func localSource(_ video: Video) async throws -> URL {
        let file = folder(video.id).appendingPathComponent("source")
        if FileManager.default.fileExists(atPath: file.path) { return file }
        try FileManager.default.createDirectory(at: folder(video.id), withIntermediateDirectories: true)
        guard let digest = ObjectDigest(hex: video.sourceDigest) else {
            throw JobFailure.permanent("video \(video.id) names no valid source digest")
        }
        var last: StoreError?
        for region in regions.readOrder(nearest: video.homeRegion) {
            do throws(StoreError) {
                try await region.store.download(digest, to: file)
                return file
            } catch {
                last = error
            }
        }
        throw last ?? StoreError(.notFound, "no region has the source of video \(video.id)")
    }

    /// Runs media work; a media error marks the video failed with its
    /// message and fails the job for good (a bad upload is not retried).
    func failing<T>(_ video: Video, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MediaError {
            try await catalog.pool.withTransaction { conn in
                try VideoTransitions.apply(.failed, video: video.id, .init(error: error.message), on: conn)
            }
            await catalog.invalidate(video.id)
            throw JobFailure.permanent(error.message)
        }
    }
}
