import Foundation
import Testing
import ReelMedia
import ReelManifests
import ReelTesting

@Suite struct LadderTranscoderTests {
    func freshFolder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-\(name)-\(UUID().uuidString)")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    /// Frames of a CMAF rendition (init + segments joined) as ffprobe reads them: "pts_time,key".
    func frames(_ folder: URL, segments: Int) async throws -> [(time: Double, key: Bool)] {
        var joined = try Data(contentsOf: folder.appendingPathComponent("init.mp4"))
        for n in 0..<segments { joined.append(try Data(contentsOf: folder.appendingPathComponent("\(n).m4s"))) }
        let path = try write(joined, "joined-\(UUID().uuidString).mp4")
        return try await tool("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time,key_frame",
                                    "-of", "csv=p=0", path])
            .split(separator: "\n").compactMap { line in
                let parts = line.split(separator: ",")
                guard parts.count == 2, let key = Int(parts[0]), let time = Double(parts[1]) else { return nil }
                return (time, key == 1)
            }
    }

    @Test func aRungBecomesCMAFSegmentsWithKeyframesAtEveryBoundary() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let rungs = try LadderPlanner.plan(info.video.geometry)
        let root = freshFolder("ladder")
        var announced: [String] = []
        let outputs = try LadderTranscoder.transcode(path, info: info, rungs: rungs, to: root, segmentSeconds: 1) {
            announced.append("\($0.name)/\($1.number)")
        }
        #expect(outputs.map(\.rung.name) == ["1080p", "720p", "480p", "360p"])
        // The lowest rung runs ahead (its first segment makes a video
        // playable): it is the first segment written, before any other rung's.
        #expect(announced.first == "360p/0")
        // Every rung's first segment was written before any rung's second one.
        #expect(Set(announced.prefix(4)) == ["1080p/0", "720p/0", "480p/0", "360p/0"])
        // The same boundaries in every rung.
        #expect(Set(outputs.map { $0.segments.map(\.startTime) }).count == 1)
        let output = try #require(outputs.last)
        let folder = root.appendingPathComponent(output.rung.name)
        // 2 s at 1 s segments: two segments.
        #expect(output.segments.map(\.number) == [0, 1])
        #expect(output.segments.allSatisfy { abs(Double($0.duration) / Double(output.timescale) - 1) < 0.05 })
        #expect(output.codecs.hasPrefix("avc1.64"))
        for record in output.segments {
            let size = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("\(record.number).m4s").path)[.size] as? Int
            #expect(size == record.bytes)
        }
        let decoded = try await frames(folder, segments: output.segments.count)
        #expect(decoded.count == 60)
        // Keyframes exactly at 0 s and 1 s, nowhere else.
        #expect(decoded.filter(\.key).map { ($0.time * 1000).rounded() / 1000 } == [0, 1])
        let size = try await tool("ffprobe", ["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0",
                                        folder.appendingPathComponent("init.mp4").path])
        #expect(size.trimmingCharacters(in: .whitespacesAndNewlines) == "360,640")
    }

    /// AV1 (SVT-AV1) on the same grid: CMAF segments that libavformat decodes
    /// whole, a key frame at every segment start and nowhere else, and the
    /// CODECS string read from the init segment's av1C.
    @Test func anAV1RungIsCMAFWithKeyFramesAtEveryBoundary() async throws {
        let path = try await TestClips.path("vertical.mp4")
        let info = try MediaProbe.probe(path)
        let lowest = try #require(try LadderPlanner.plan(info.video.geometry).last)
        let root = freshFolder("av1")
        let output = try #require(try LadderTranscoder.transcode(path, info: info, rungs: [lowest], to: root, segmentSeconds: 1,
                                                                 codec: .av1).first)
        let folder = root.appendingPathComponent(output.rung.name)
        #expect(output.codecs.hasPrefix("av01.0."), "\(output.codecs)")
        #expect(output.segments.map(\.number) == [0, 1])
        let decoded = try await frames(folder, segments: output.segments.count)
        #expect(decoded.count == 60)
        #expect(decoded.filter(\.key).map { ($0.time * 1000).rounded() / 1000 } == [0, 1])
        let stream = try await tool("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0",
                                          folder.appendingPathComponent("init.mp4").path])
        #expect(stream.trimmingCharacters(in: .whitespacesAndNewlines) == "av1,360,640")
    }

    @Test func aRotatedSourceIsEncodedUpright() async throws {
        let path = try await TestClips.path("rotated.mp4")
        let info = try MediaProbe.probe(path)
        let rung = try #require(try LadderPlanner.plan(info.video.geometry).first)
        let root = freshFolder("rotated")
        let output = try #require(try LadderTranscoder.transcode(path, info: info, rungs: [rung], to: root).first)
        let folder = root.appendingPathComponent(rung.name)
        #expect(output.rung.width == 360 && output.rung.height == 640)
        let decodedFrames = try await frames(folder, segments: output.segments.count)
        #expect(decodedFrames.count == 30)
        // Turned the right way: the first frame matches ffmpeg's own autorotated one.
        let first = try write(try Data(contentsOf: folder.appendingPathComponent("init.mp4"))
                              + Data(contentsOf: folder.appendingPathComponent("0.m4s")), "rotated-first.mp4")
        let psnr = try await tool("ffmpeg", ["-v", "info", "-i", first, "-i", path, "-lavfi",
                                       "[1:v]scale=360:640[b];[0:v][b]psnr", "-frames:v", "1", "-f", "null", "-"])
        let average = psnr.components(separatedBy: "average:").last.flatMap { Double($0.split(separator: " ").first ?? "") } ?? 0
        #expect(average > 20, "PSNR of the upright rung against ffmpeg's autorotated frame: \(average) dB")
    }
}
