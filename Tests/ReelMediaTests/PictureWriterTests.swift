import Foundation
import Testing
import ReelMedia
import ReelManifests
import ReelTesting

/// Runs a command-line tool (off the cooperative pool) and returns what it printed (stdout and stderr).
func tool(_ name: String, _ arguments: [String]) async throws -> String {
    try await ChildProcess.tool(name, arguments).output
}

func write(_ data: Data, _ name: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-\(name)")
    try data.write(to: url)
    return url.path
}

func jpegSize(_ path: String) async throws -> String {
    try await tool("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", path])
        .trimmingCharacters(in: .whitespacesAndNewlines)
}

@Suite struct PictureWriterTests {
    @Test func posterAndSpriteOfAVerticalClip() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let pictures = try await PictureWriter.make(path: path, info: info)
        #expect(pictures.posterWidth == 720 && pictures.posterHeight == 1280)
        let posterSize = try await jpegSize(try write(pictures.poster, "poster.jpg"))
        #expect(posterSize == "mjpeg,720,1280")
        // A 2 s clip gives two tiles, 90x160 each, side by side.
        #expect(pictures.sheet.columns == 2 && pictures.sheet.rows == 1)
        #expect(pictures.sheet.tileWidth == 90 && pictures.sheet.tileHeight == 160)
        #expect(pictures.sheet.times == [0.5, 1.5])
        let spriteSize = try await jpegSize(try write(pictures.sprite, "sprite.jpg"))
        #expect(spriteSize == "mjpeg,180,160")
    }

    @Test func thePosterOfARotatedClipIsUprightLikeFFmpegShowsIt() async throws {
        let path = try await TestClips.path("rotated.mp4")
        let info = try MediaProbe.probe(path)
        let pictures = try await PictureWriter.make(path: path, info: info)
        #expect(pictures.posterWidth == 360 && pictures.posterHeight == 640)
        let ours = try write(pictures.poster, "rotated-poster.jpg")
        // The ffmpeg command line applies the display matrix itself (autorotate).
        let reference = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-reference.png").path
        _ = try await tool("ffmpeg", ["-v", "error", "-y", "-ss", "0.1", "-i", path, "-frames:v", "1", reference])
        let psnr = try await tool("ffmpeg", ["-v", "info", "-i", ours, "-i", reference, "-lavfi", "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]psnr", "-f", "null", "-"])
        let average = psnr.components(separatedBy: "average:").last.flatMap { Double($0.split(separator: " ").first ?? "") } ?? 0
        // Upright and matching: well above the ~10 dB of a picture turned the wrong way.
        #expect(average > 20, "PSNR against ffmpeg's upright frame: \(average) dB")
    }
}
