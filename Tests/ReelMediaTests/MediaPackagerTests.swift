import Foundation
import Testing
import ReelMedia
import ReelTesting

@Suite struct MediaPackagerTests {
    @Test func aClipBecomesAFolderThatFFmpegPlaysThroughHLSAndDASH() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-package-\(UUID().uuidString)")
        let rungs = Array(try LadderPlanner.plan(info.video.geometry).suffix(2))   // 480p and 360p keep the test quick
        var order: [String] = []
        let packaged = try MediaPackager.package(path, info: info, rungs: rungs, to: root, segmentSeconds: 1) { order.append("\($0)/\($1.number)") }
        // Audio first, then the rungs side by side.
        let audio = try #require(packaged.audio)
        #expect(Array(order.prefix(audio.segments.count)) == audio.segments.map { "audio/\($0.number)" })
        #expect(Set(order.dropFirst(audio.segments.count).prefix(2)) == ["480p/0", "360p/0"])
        #expect(audio.sampleRate == 48000 && audio.channels == 1)
        // 2 s of sound (plus the encoder's priming and padding, a few ms).
        #expect(abs(audio.duration - 2) < 0.1)
        // The priming and the padding belong to the first and last segments:
        // as many audio segments as video ones, timed as in the files.
        #expect(audio.segments.count == packaged.video[1].segments.count)
        #expect(audio.segments.first?.startTime == 0)
        // CODECS is what each init segment's avcC says (the level libx264 chose).
        for rung in packaged.video {
            let initSegment = try Data(contentsOf: root.appendingPathComponent(rung.rung.name).appendingPathComponent("init.mp4"))
            #expect(rung.codecs == CodecStrings.fromInitSegment(initSegment))
        }
        for file in ["master.m3u8", "manifest.mpd", "audio/index.m3u8", "audio/init.mp4", "360p/index.m3u8", "480p/1.m4s"] {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(file).path), "\(file)")
        }
        let master = try String(contentsOf: root.appendingPathComponent("master.m3u8"), encoding: .utf8)
        #expect(master.contains("CODECS=\"\(packaged.video[1].codecs),mp4a.40.2\""))
        #expect(master.contains("#EXT-X-VERSION:6") && master.contains("CLOSED-CAPTIONS=NONE"))
        #expect(try String(contentsOf: root.appendingPathComponent("360p/index.m3u8"), encoding: .utf8).contains("#EXT-X-ENDLIST"))
        // libavformat's own HLS and DASH demuxers read every segment back without an error.
        for manifest in ["master.m3u8", "manifest.mpd"] {
            let log = try await tool("ffmpeg", ["-v", "error", "-allowed_extensions", "ALL", "-i", root.appendingPathComponent(manifest).path,
                                          "-map", "0", "-f", "null", "-"])
            #expect(log.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(manifest): \(log)")
        }
        let streams = try await tool("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
                                           root.appendingPathComponent("master.m3u8").path])
        #expect(streams.contains("video") && streams.contains("audio"))
    }
}
