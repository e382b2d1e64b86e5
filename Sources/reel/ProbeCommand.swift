import ArgumentParser
import Foundation
import ReelMedia
import ReelManifests

struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a video file holds and the ladder Reel would make of it.")
    @OptionGroup var output: OutputOptions
    @Argument(help: "A video file.")
    var file: String
    @Flag(help: "Also measure how hard the video is to encode (constant-quality samples at every rung) and print the per-title ladder that gives.")
    var perTitle = false
    @Option(help: "With --per-title: the quality every rung should reach, as x264's CRF.")
    var crf = PerTitleConfiguration.standard.crf

    struct Report: Encodable {
        let media: MediaInfo
        let ladder: [Rung]
        let complexity: ComplexityMeasurement?
        let perTitle: PerTitlePlan?
    }

    func run() async throws {
        let info: MediaInfo
        do {
            info = try await MediaProbe.probe(path: file, limits: try MediaLimitsEnvironment.load())
        } catch let error as MediaError {
            throw CLIError("\(file): \(error.message)")
        }
        let ladder = try LadderPlanner.plan(info.video.geometry)
        var complexity: ComplexityMeasurement?
        var plan: PerTitlePlan?
        if perTitle {
            var configuration = PerTitleConfiguration.standard
            configuration.crf = crf
            do {
                let measured = try await ComplexityProbe.measure(path: file, info: info, rungs: ladder, crf: crf,
                                                                  limits: try MediaLimitsEnvironment.load())
                complexity = measured
                plan = try PerTitlePlanner.plan(fixed: ladder, measured: measured.bitrates, curves: measured.curves,
                                                configuration: configuration)
            } catch let error as MediaError {
                throw CLIError("\(file): \(error.message)")
            } catch let error as PerTitleError {
                throw CLIError("\(file): \(error.description)")
            }
        }
        if output.json { return try CLI.printJSON(Report(media: info, ladder: ladder, complexity: complexity, perTitle: plan)) }
        let v = info.video
        print("container  \(info.container), \(String(format: "%.2f", info.duration)) s, \(info.streamCount) streams")
        print("video      \(v.codec) \(v.pixelFormat) \(v.geometry.codedWidth)x\(v.geometry.codedHeight)"
            + (v.geometry.rotation != 0 ? " rotated \(v.geometry.rotation)° → \(v.geometry.width)x\(v.geometry.height)" : "")
            + String(format: " %.3f fps", v.frameRate) + (v.variableFrameRate ? " (variable)" : ""))
        print("audio      " + (info.audio.map { "\($0.codec) \($0.sampleRate) Hz, \($0.channels) ch" } ?? "none"))
        print("ladder     " + ladder.map(\.description).joined(separator: ", "))
        if let complexity { PerTitleReport.print(PerTitleRecord(measurement: complexity, plan: plan, fallback: nil)) }
    }
}
