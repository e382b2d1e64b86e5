import ArgumentParser
import Foundation
import ReelMedia
import ReelManifests
import Synchronization
import ReelThreads

struct Transcode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcode and package a file into FOLDER in this process (no queue): for trying the media pipeline and for benchmarks.")
    @OptionGroup var output: OutputOptions
    @Argument(help: "The video file.")
    var file: String
    @Option(help: "Where the renditions and manifests go.")
    var outputDir: String
    @Option(help: "Segment length in seconds.")
    var segmentSeconds = 2.0
    @Option(help: "Threads for the decoder and for the largest rung's encoder (the other rungs get one each).")
    var threads: Int32 = 2
    @Option(help: "Only these rungs, comma-separated (e.g. 720p,360p): for measuring one job per rung.")
    var rungs: String?
    @Flag(help: "Leave out the audio rendition.")
    var noAudio = false
    @Flag(help: "Per-title bit rates (REEL_PER_TITLE_* set the quality and bounds): measure the video, then encode the ladder that gives.")
    var perTitle = false
    @Option(help: "Video codec: h264 (the ladder every upload gets) or av1 (SVT-AV1 at the same sizes, bit rates times REEL_AV1_RATE: what a popular video gets beside H.264; video only, at normal CPU priority).")
    var codec = "h264"

    struct Summary: Encodable {
        let seconds: Double
        let per_title: PerTitleRecord?
        let first_segment_s: Double
        let first_lowest_rung_segment_s: Double
        let rungs: [String]
        let segments: Int
    }

    func run() async throws {
        let start = ContinuousClock.now
        let info: MediaInfo
        do { info = try await MediaProbe.probe(path: file, limits: try MediaLimitsEnvironment.load()) } catch let error as MediaError { throw CLIError("\(file): \(error.message)") }
        let planned = try LadderPlanner.plan(info.video.geometry)
        let wanted = rungs.map { Set($0.split(separator: ",").map(String.init)) }
        let rungs = planned.filter { wanted?.contains($0.name) ?? true }
        guard !rungs.isEmpty else {
            throw CLIError("--rungs \(self.rungs ?? ""): none of these is in the ladder (\(planned.map(\.name).joined(separator: ", ")))")
        }
        let lowest = rungs.last?.name ?? ""
        let events = Mutex<[(String, Double)]>([])
        let chosen = Mutex<PerTitleRecord?>(nil)
        let configuration = perTitle ? try PerTitleEnvironment.load() ?? .standard : nil
        switch VideoCodec(rawValue: codec) {
        case .av1?: return try await av1(info: info, rungs: rungs, start: start)
        case .h264?: break
        case nil: throw CLIError("--codec \(codec): expected h264 or av1")
        }
        let packaged = try await MediaPackager.package(
            path: file, info: info, rungs: rungs, to: URL(fileURLWithPath: outputDir), segmentSeconds: segmentSeconds, threads: threads,
            audio: !noAudio, perTitle: configuration,
            onSegment: { name, record in
                let at = (ContinuousClock.now - start).seconds
                events.withLock { $0.append(("\(name)/\(record.number)", at)) }
            },
            onPerTitle: { record in chosen.withLock { $0 = record } })
        let total = ContinuousClock.now - start
        let seen = events.withLock { $0 }
        let summary = Summary(
            seconds: total.seconds, per_title: chosen.withLock { $0 },
            first_segment_s: seen.first?.1 ?? 0,
            first_lowest_rung_segment_s: seen.first { $0.0 == "\(lowest)/0" }?.1 ?? 0,
            rungs: packaged.video.map(\.rung.name), segments: seen.count)
        if output.json { return try CLI.printCompactJSON(summary) }
        print("packaged \(summary.rungs.joined(separator: ", ")) + \(packaged.audio == nil ? "no audio" : "audio") into \(outputDir)")
        print(String(format: "%.2f s in all; first segment after %.2f s, first %@ segment after %.2f s",
                     summary.seconds, summary.first_segment_s, lowest, summary.first_lowest_rung_segment_s))
        if let record = summary.per_title { PerTitleReport.print(record) }
    }

    /// The AV1 ladder of the rungs (their fixed bit rates times REEL_AV1_RATE), with its own master and MPD.
    func av1(info: MediaInfo, rungs: [Rung], start: ContinuousClock.Instant) async throws {
        guard !perTitle else { throw CLIError("--per-title measures with x264: use it with --codec h264") }
        let av1 = AV1Ladder.rungs(forPlanned: rungs, configuration: try AV1Environment.load())
        let root = URL(fileURLWithPath: outputDir)
        let outputs = try await BackgroundLadder.encode(path: file, info: info, rungs: av1, codec: .av1, to: root,
                                                        segmentSeconds: segmentSeconds, threads: threads, priority: .normal)
        try MediaPackager.writeManifests(PackagedVideo(root: root, video: outputs, audio: nil))
        let total = ContinuousClock.now - start
        let seconds = total.seconds
        if output.json {
            return try CLI.printCompactJSON(Summary(seconds: seconds, per_title: nil, first_segment_s: 0, first_lowest_rung_segment_s: 0,
                                                    rungs: outputs.map { $0.rung.name }, segments: outputs.reduce(0) { $0 + $1.segments.count }))
        }
        print("packaged \(outputs.map { $0.rung.name }.joined(separator: ", ")) (AV1, no audio) into \(outputDir)")
        print(String(format: "%.2f s in all", seconds))
    }
}

