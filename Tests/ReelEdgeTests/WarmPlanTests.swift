import Foundation
import ReelCatalog
import ReelEdge
import Testing

/// What a first viewer asks for, and so what an edge is warmed with.
@Suite struct WarmPlanTests {
    /// A ready video with a poster, two video rungs and the audio, each of five segments.
    static func playback(poster: Bool = true) throws -> Playback {
        func rendition(_ name: String, _ kind: String) -> String {
            let segments = (0..<5).map { #"{"number": \#($0), "start_time": \#($0 * 2000), "duration": 2000, "bytes": 100, "digest": "d\#($0)"}"# }
            return #"""
                {"name": "\#(name)", "kind": "\#(kind)", "codecs": "c", "timescale": 1000, "init_digest": "i", "complete": true,
                 "segments": [\#(segments.joined(separator: ","))]}
                """#
        }
        let json = #"""
            {"video": {"id": "AbCdEfGhIjKl", "owner": "", "title": "", "status": "ready", "home_region": "eu", "source_digest": "s",
                       "source_size": 1, "content_type": "video/mp4", "poster_digest": \#(poster ? #""p""# : "null"),
                       "created_at": 0},
             "renditions": [\#(rendition("720p", "video")), \#(rendition("360p", "video")), \#(rendition("audio", "audio"))]}
            """#
        return try JSONDecoder().decode(Playback.self, from: Data(json.utf8))
    }

    @Test func theFirstSegmentsOfEveryRenditionAndItsHLSMuxedTwinAndThePoster() throws {
        let paths = WarmPlan.paths(try Self.playback(), firstSegments: 3)
        // Poster; per video rung, its own and its `.av` folder (playlist, init, 3 segments); the audio's folder.
        #expect(paths.count == 1 + 2 * 2 * 5 + 5)
        #expect(paths.first == "/v1/videos/AbCdEfGhIjKl/poster.jpg")
        #expect(paths.contains("/v1/videos/AbCdEfGhIjKl/720p.av/2.m4s"))
        #expect(!paths.contains("/v1/videos/AbCdEfGhIjKl/720p/3.m4s"))
        #expect(!paths.contains { $0.hasSuffix("master.m3u8") || $0.hasSuffix("manifest.mpd") }, "a warm fetch of a master would be counted as a play")
    }

    @Test func popularityWarmsEverySegmentAndSignedPlaybackNoPlaylists() throws {
        let every = WarmPlan.paths(try Self.playback(poster: false), firstSegments: nil, playlists: false)
        #expect(every.count == 2 * 2 * 6 + 6)
        #expect(!every.contains { $0.hasSuffix(".m3u8") || $0.hasSuffix("poster.jpg") })
    }
}
