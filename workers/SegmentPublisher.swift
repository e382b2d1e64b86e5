import Foundation
import Logging
import ReelCatalog
import ReelMedia
import ReelPipeline
import ReelPostgres
import ReelManifests
import ReelStore

/// Stores each segment the transcode writes, in the order written, and
/// catalogs it: a rendition's init segment with its first media segment,
/// then every media segment. The catalog turns the video `playable` when
/// the lowest rung and the audio each have a segment.
struct SegmentPublisher: Sendable {
    /// What the transcode reports, in order: a segment written, or the rungs
    /// per-title planning added (sizes and names the fixed ladder does not
    /// have, such as "1080p-2050k"), before any of their segments.
    enum Event: Sendable {
        case segment(String, SegmentRecord)
        case rungs([Rung])
    }

    let catalog: Catalog
    let store: any ObjectStore
    let video: Video
    let rungs: [Rung]
    let frameRate: Double
    let hasAudio: Bool
    let folder: URL
    let logger: Logger

    func publish(_ events: AsyncStream<Event>) async throws {
        var described = Set<String>()
        let lowest = rungs.last?.name ?? ""
        var rungs = self.rungs
        for await event in events {
            guard case .segment(let name, let record) = event else {
                if case .rungs(let planned) = event { rungs += planned.filter { rung in !rungs.contains { $0.name == rung.name } } }
                continue
            }
            let renditionFolder = folder.appendingPathComponent(name)
            if !described.contains(name) {
                try await describe(name, rung: rungs.first { $0.name == name }, folder: renditionFolder, timescale: record.timescale)
                described.insert(name)
            }
            let stored = try await store.put(contentsOf: renditionFolder.appendingPathComponent("\(record.number).m4s"))
            let (id, region, hasAudio) = (video.id, video.homeRegion, hasAudio)
            let playable = try await catalog.pool.withTransaction { conn in
                let playsNow = try Catalog.segment(
                    id, rendition: name, number: record.number, startTime: record.startTime, duration: record.duration,
                    digest: stored.digest, bytes: stored.size, region: region, lowestRung: lowest, hasAudio: hasAudio, on: conn)
                return try playsNow && VideoTransitions.apply(.firstSegments, video: id, on: conn)
            }
            await catalog.invalidate(video.id)
            if playable { logger.info("playable", metadata: ["video": "\(video.id)", "segment": "\(name)/\(record.number)"]) }
        }
    }

    /// Stores the rendition's init segment and records the rendition (audio when `rung` is nil).
    private func describe(_ name: String, rung: Rung?, folder: URL, timescale: Int) async throws {
        let initFile = folder.appendingPathComponent("init.mp4")
        let bytes = try Data(contentsOf: initFile)
        guard let codecs = CodecStrings.fromInitSegment(bytes) else {
            throw CatalogError("the init segment of \(name) names no codec Reel knows")
        }
        let stored = try await store.put(bytes)
        try await catalog.rendition(
            video.id, name: name, kind: rung == nil ? "audio" : "video", codecs: codecs, width: rung?.width, height: rung?.height,
            frameRate: rung == nil ? nil : frameRate, timescale: timescale, initDigest: stored.digest, region: video.homeRegion,
            initBytes: stored.size)
    }
}
