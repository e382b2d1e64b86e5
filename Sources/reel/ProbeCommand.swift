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

    struct Report: Encodable {
        let media: MediaInfo
        let ladder: [Rung]
    }

    func run() async throws {
        let info: MediaInfo
        do {
            info = try await MediaProbe.probe(path: file, limits: try MediaLimitsEnvironment.load())
        } catch let error as MediaError {
            throw CLIError("\(file): \(error.message)")
        }
        let ladder = try LadderPlanner.plan(info.video.geometry)
        if output.json { return try CLI.printJSON(Report(media: info, ladder: ladder)) }
        let v = info.video
        print("container  \(info.container), \(String(format: "%.2f", info.duration)) s, \(info.streamCount) streams")
        print("video      \(v.codec) \(v.pixelFormat) \(v.geometry.codedWidth)x\(v.geometry.codedHeight)"
            + (v.geometry.rotation != 0 ? " rotated \(v.geometry.rotation)° → \(v.geometry.width)x\(v.geometry.height)" : "")
            + String(format: " %.3f fps", v.frameRate) + (v.variableFrameRate ? " (variable)" : ""))
        print("audio      " + (info.audio.map { "\($0.codec) \($0.sampleRate) Hz, \($0.channels) ch" } ?? "none"))
        print("ladder     " + ladder.map(\.description).joined(separator: ", "))
    }
}
