import Foundation
import Logging
public import ReelMedia
import ReelManifests
public import ReelPostgres
public import ReelQueue
public import ReelPipeline

/// The media pipeline as three jobs, chained by dependencies:
/// `ingest` (probe, plan the ladder) → `transcode` (audio and every rung from
/// one decode, into CMAF segments) → `package` (HLS master, DASH MPD, poster
/// and sprite). Each reads what the one before wrote into the video's folder.
///
/// One transcode job per video rather than one per rung: a short clip is
/// decoded once instead of once per rung, and the rungs' segments complete in
/// step (see docs/media.md). A media error fails the job permanently: a
/// corrupt upload is not retried, and its later jobs are cancelled with the reason.
public enum MediaHandlers {
    /// What every media job names: the source file and the video's folder.
    public typealias Args = FileMediaJob

    /// Enqueues the chain inside the caller's transaction (with the upload's
    /// own row, say); returns the ingest, transcode and package job ids.
    public static func enqueue(_ args: Args, tenant: String = "", on conn: isolated PostgresConnection) throws -> [Int64] {
        try JobKind.chain(ReelJobs.fileChain, args, tenant: tenant, on: conn)
    }

    static let info = "probe.json", ladder = "ladder.json", renditions = "renditions.json", sheet = "sprite.json"

    public static func register(into handlers: inout JobHandlers, limits: MediaLimits = .standard) {
        handlers.register(ReelJobs.fileIngest) { args, context in
            let folder = URL(fileURLWithPath: args.output)
            let info = try await media { try await MediaProbe.probe(path: args.source, limits: limits) }
            let rungs = try media { try LadderPlanner.plan(info.video.geometry) }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try save(info, folder.appendingPathComponent(Self.info))
            try save(rungs, folder.appendingPathComponent(ladder))
            context.logger.info("planned \(rungs.count) rungs", metadata: ["ladder": "\(rungs.map(\.name))"])
            return .completed
        }

        handlers.register(ReelJobs.fileTranscode) { args, context in
            let folder = URL(fileURLWithPath: args.output)
            let info = try load(MediaInfo.self, folder.appendingPathComponent(Self.info))
            let rungs = try load([Rung].self, folder.appendingPathComponent(ladder))
            let packaged = try await media {
                try await MediaPackager.renditions(path: args.source, info: info, rungs: rungs, to: folder,
                                                   segmentSeconds: args.segmentSeconds ?? 2, limits: limits,
                                                   budget: .job(info, limits: limits))
            }
            try save(packaged, folder.appendingPathComponent(renditions))
            return .completed
        }

        handlers.register(ReelJobs.filePackage) { args, context in
            let folder = URL(fileURLWithPath: args.output)
            let packaged = try load(PackagedVideo.self, folder.appendingPathComponent(renditions))
            try media { try MediaPackager.writeManifests(packaged) }
            let info = try load(MediaInfo.self, folder.appendingPathComponent(Self.info))
            let pictures = try await media { try await PictureWriter.make(path: args.source, info: info, limits: limits, budget: .job(info, limits: limits)) }
            try pictures.poster.write(to: folder.appendingPathComponent("poster.jpg"), options: .atomic)
            try pictures.sprite.write(to: folder.appendingPathComponent("sprite.jpg"), options: .atomic)
            try save(pictures.sheet, folder.appendingPathComponent(sheet))
            return .completed
        }
    }

    /// Media errors are the input's fault: fail permanently with the message.
    static func media<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as MediaError { throw JobFailure.permanent(error.message) }
    }

    static func media<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as MediaError { throw JobFailure.permanent(error.message) }
    }

    static func save(_ value: some Encodable, _ url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: url, options: .atomic)
    }

    static func load<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw JobFailure.permanent("\(url.lastPathComponent) is missing in \(url.deletingLastPathComponent().path); the job before did not finish")
        }
        return try JSONDecoder().decode(T.self, from: data)
    }
}
