import Foundation
import Testing
import ReelMedia
import ReelManifests
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

        // Each rung's HLS variant carries the audio: its segments are as large as
        // both parts, and FFmpeg reads every frame and every audio packet from it.
        for rung in packaged.video {
            let variant = MuxedVariant.track(video: rung.track, audio: audio, audioComplete: true)
            #expect(variant.segments.count == rung.track.segments.count)
            for segment in variant.segments {
                let file = root.appendingPathComponent("\(variant.name)/\(segment.number).m4s").path
                #expect((try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) == segment.bytes, "\(file)")
            }
        }
        func packets(_ playlist: String) async throws -> [String] {
            try await tool("ffprobe", ["-v", "error", "-allowed_extensions", "ALL", "-count_packets", "-show_entries",
                                       "stream=codec_type,nb_read_packets", "-of", "csv=p=0", root.appendingPathComponent(playlist).path])
                .split(separator: "\n").map(String.init)
        }
        // (ffprobe lists an HLS stream once per program it is in: sets, not lists.)
        let separate = Set(try await packets("360p/index.m3u8") + packets("audio/index.m3u8"))
        #expect(Set(try await packets("360p.av/index.m3u8")) == separate && separate.count == 2, "\(separate)")

        // A damaged stored file is an error, never a crash: every cut of the real files.
        let video = Array(try Data(contentsOf: root.appendingPathComponent("360p/init.mp4")))
        let sound = Array(try Data(contentsOf: root.appendingPathComponent("audio/init.mp4")))
        let segment = Array(try Data(contentsOf: root.appendingPathComponent("360p/0.m4s")))
        let audioSegment = Array(try Data(contentsOf: root.appendingPathComponent("audio/0.m4s")))
        for cut in stride(from: 1, to: video.count, by: 7) {
            _ = try? MuxedVariant.initSegment(video: Array(video.prefix(cut)), audio: sound)
            _ = try? MuxedVariant.initSegment(video: video, audio: Array(sound.prefix(cut)))
        }
        for cut in stride(from: 1, to: audioSegment.count, by: max(1, audioSegment.count / 24)) {
            _ = try? MuxedVariant.segment(number: 0, video: Array(segment.prefix(cut)), audio: audioSegment)
            _ = try? MuxedVariant.segment(number: 0, video: segment, audio: Array(audioSegment.prefix(cut)))
        }
        #expect(throws: MediaError.self) { try MuxedVariant.segment(number: 0, video: [0, 0, 0, 99, 0x6D, 0x6F, 0x6F, 0x66], audio: nil) }
        #expect(throws: MediaError.self) { try MuxedVariant.initSegment(video: sound + video, audio: sound) }
    }
}
