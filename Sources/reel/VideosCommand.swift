import ArgumentParser
import Foundation
import ReelCatalog
import ReelManifests
import ReelPostgres

struct Videos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Videos in the catalog: status, size, and where their objects are replicated.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest videos.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only videos with this status (\(VideoStatus.allCases.map(\.rawValue).joined(separator: ", "))).")
        var status: String?
        @Option(help: "How many.")
        var limit = 50

        func run() async throws {
            let wanted: VideoStatus?
            if let status {
                guard let known = VideoStatus(rawValue: status) else {
                    throw CLIError("unknown status '\(status)': use one of \(VideoStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                wanted = known
            } else {
                wanted = nil
            }
            let videos = try await database.withPool(size: 1) { pool in try await Catalog(pool: pool).videos(status: wanted, limit: limit) }
            if output.json { return try CLI.printJSON(videos) }
            CLI.printTable(
                ["id", "status", "duration_s", "size", "home", "created_at", "title"],
                videos.map { video in
                    [video.id, video.status.rawValue, video.durationSeconds.map { String(format: "%.1f", $0) } ?? "-",
                     ByteCountFormatter.string(fromByteCount: video.sourceSize, countStyle: .file), video.homeRegion,
                     CLI.format(video.createdAt), video.title]
                })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One video: its row, its per-title and AV1 renditions, and its replication per region.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The video id.")
        var id: String

        struct Detail: Encodable {
            let video: Video
            let replication: [RegionReplication]
            let perTitle: PerTitleRecord?
            let av1: AV1Record?
        }

        func run() async throws {
            let detail = try await database.withPool(size: 1) { pool -> Detail? in
                let catalog = Catalog(pool: pool)
                guard let video = try await catalog.video(id) else { return nil }
                let perTitle = try await catalog.perTitle(ofVideo: id).map { try JSONDecoder().decode(PerTitleRecord.self, from: $0) }
                let av1 = try await catalog.av1Record(ofVideo: id).map { try JSONDecoder().decode(AV1Record.self, from: $0) }
                return Detail(video: video, replication: try await catalog.replication(ofVideo: id), perTitle: perTitle, av1: av1)
            }
            guard let detail else { throw CLIError("no video \(id) in the catalog (reel videos lists them)") }
            if output.json { return try CLI.printJSON(detail) }
            let video = detail.video
            print("video \(video.id): \(video.status.rawValue)\(video.error.map { " (\($0))" } ?? "")")
            print("  title \(video.title.isEmpty ? "-" : video.title), owner \(video.owner.isEmpty ? "-" : video.owner)")
            print("  source \(video.sourceDigest) (\(video.sourceSize) bytes, \(video.contentType)), home region \(video.homeRegion)")
            print("  created \(CLI.format(video.createdAt)), playable \(CLI.format(video.playableAt)), ready \(CLI.format(video.readyAt))")
            if let record = detail.perTitle { PerTitleReport.print(record) }
            if let record = detail.av1 { PerTitleReport.print(record) }
            print("replication:")
            CLI.printTable(
                ["region", "objects", "verified", "failed", "last_verified_at"],
                detail.replication.map { [$0.region, "\($0.objects)", "\($0.verified)", "\($0.failed)", CLI.format($0.lastVerifiedAt)] })
        }
    }
}
