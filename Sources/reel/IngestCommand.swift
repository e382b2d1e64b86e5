import ArgumentParser
import Foundation
import ReelPipeline
import ReelPostgres
import ReelWorkers

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enqueue ingest → transcode → package for a video file (run `reel worker --queues media=1` to work them).")
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions
    @Argument(help: "The video file.")
    var file: String
    @Option(help: "Folder for the renditions (default: $REEL_MEDIA_DIR/VIDEO, REEL_MEDIA_DIR defaults to .reel-data/media).")
    var outputDir: String?
    @Option(help: "Video id (default: a new UUID).")
    var video: String?
    @Option var tenant = ""
    @Option(help: "Segment length in seconds.")
    var segmentSeconds = 2.0

    struct Result: Encodable { let video: String; let output: String; let jobs: [Int64] }

    func run() async throws {
        let source = URL(fileURLWithPath: file).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: source) else { throw CLIError("no such file: \(file)") }
        let id = video ?? UUID().uuidString.lowercased()
        let root = ProcessInfo.processInfo.environment["REEL_MEDIA_DIR"] ?? ".reel-data/media"
        let folder = URL(fileURLWithPath: outputDir ?? "\(root)/\(id)").standardizedFileURL.path
        let args = MediaHandlers.Args(source: source, output: folder, video: id, segmentSeconds: segmentSeconds)
        let ids = try await database.withPool(size: 1) { [tenant] pool in
            try await pool.withTransaction { conn in try MediaHandlers.enqueue(args, tenant: tenant, on: conn) }
        }
        if output.json { return try CLI.printJSON(Result(video: id, output: folder, jobs: ids)) }
        print("video \(id): jobs \(ids.map(String.init).joined(separator: " → ")) (ingest → transcode → package)")
        print("output \(folder)")
    }
}
