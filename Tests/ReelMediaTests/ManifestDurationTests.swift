import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import ReelMedia
import ReelManifests
import ReelTesting

/// Every duration a manifest states is what its segments hold, measured by
/// libavformat on the written files; a variable-frame-rate source keeps its
/// length (slow stretches repeat frames, fast ones drop them, as players do).
@Suite struct ManifestDurationTests {
    /// Seconds of media in a rendition's files (init + segments): from the
    /// first packet's time to the end of the last.
    func measured(_ folder: URL) async throws -> Double {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".m4s") }
            .sorted { Int($0.dropLast(4)) ?? 0 < Int($1.dropLast(4)) ?? 0 }
        var data = try Data(contentsOf: folder.appendingPathComponent("init.mp4"))
        for name in names { data += try Data(contentsOf: folder.appendingPathComponent(name)) }
        let joined = try write(data, "joined-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(atPath: joined) }
        let out = try await tool("ffprobe", ["-v", "error", "-show_entries", "packet=pts_time,duration_time", "-of", "csv=p=0", joined])
        var first = Double.infinity, end = 0.0
        for line in out.split(separator: "\n") {
            let fields = line.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard let pts = fields.first ?? nil else { continue }
            first = min(first, pts)
            end = max(end, pts + ((fields.count > 1 ? fields[1] : nil) ?? 0))
        }
        return end - first
    }

    func listed(_ playlist: URL) throws -> Double {
        try String(contentsOf: playlist, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("#EXTINF:") }
            .compactMap { Double($0.dropFirst(8).split(separator: ",")[0]) }.reduce(0, +)
    }

    func mpdDuration(_ url: URL) throws -> Double {
        let document = try XMLDocument(contentsOf: url)
        let text = document.rootElement()?.attributes?.first { $0.name == "mediaPresentationDuration" }?.stringValue ?? ""
        return Double(text.dropFirst(2).dropLast()) ?? -1
    }

    @Test(arguments: [("vfr-steps.mp4", 4.0), ("one-frame.mp4", 0.0), ("vertical.mp4", 0.0)])
    func durationsAreWhatTheSegmentsHold(file: String, sourceSeconds: Double) async throws {
        let path = try await TestClips.path(file)
        let info = try MediaProbe.probe(path)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-durations-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let packaged = try await MediaPackager.package(path: path, info: info, rungs: try LadderPlanner.plan(info.video.geometry), to: root)
        var longest = 0.0
        for track in packaged.video.map(\.track) + (packaged.audio.map { [$0] } ?? []) {
            let folder = root.appendingPathComponent(track.name)
            let held = try await measured(folder)
            let playlist = try listed(folder.appendingPathComponent("index.m3u8"))
            #expect(abs(playlist - held) < 0.001 * Double(track.segments.count) + 0.0005, "\(file) \(track.name): EXTINF sum \(playlist), segments hold \(held)")
            #expect(abs(track.duration - held) < 0.0005, "\(file) \(track.name): catalog \(track.duration), segments hold \(held)")
            if track.kind == .video, sourceSeconds > 0 {
                #expect(abs(held - sourceSeconds) <= 1 / track.frameRate + 0.001, "\(file) \(track.name): \(held) s of a \(sourceSeconds) s source")
            }
            longest = max(longest, held)
        }
        let mpd = try mpdDuration(root.appendingPathComponent("manifest.mpd"))
        #expect(abs(mpd - longest) < 0.0015, "\(file): MPD says \(mpd), the longest track holds \(longest)")
    }
}
