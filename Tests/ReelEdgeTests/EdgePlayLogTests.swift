import Testing
import ReelEdge

/// Which lines of an edge's log (varnishncsa, `%s %U`) are plays.
@Suite struct EdgePlayLogTests {
    @Test func answeredMastersAndMPDsArePlaysAndNothingElseIs() {
        #expect(EdgePlayLog.play(inLine: "200 /v1/videos/AbCdEfGh12/master.m3u8") == "AbCdEfGh12")
        #expect(EdgePlayLog.play(inLine: "304 /v1/videos/AbCdEfGh12/manifest.mpd") == "AbCdEfGh12")
        #expect(EdgePlayLog.play(inLine: "206 /v1/videos/AbCdEfGh12/master.m3u8") == "AbCdEfGh12")
        // Refused, missing or failed: no play.
        for status in ["403", "404", "500", "x"] {
            #expect(EdgePlayLog.play(inLine: "\(status) /v1/videos/AbCdEfGh12/master.m3u8"[...]) == nil)
        }
        // Not a master or MPD, not a video id, or more path than a master has.
        for path in ["/v1/videos/AbCdEfGh12/360p/0.m4s", "/v1/videos/AbCdEfGh12/360p/index.m3u8", "/v1/videos/short/master.m3u8",
                     "/v1/videos/Ab_dEfGh12/master.m3u8", "/v1/videos/AbCdEfGh12/master.m3u8/x", "/v2/videos/AbCdEfGh12/master.m3u8",
                     "/v1/videos/\(String(repeating: "a", count: 33))/master.m3u8", ""] {
            #expect(EdgePlayLog.play(inLine: "200 \(path)"[...]) == nil, "\(path)")
        }
        #expect(EdgePlayLog.play(inLine: "") == nil)
    }

    @Test func varnishncsaIsAskedForClientRequestsOfPlaylistsOnly() {
        let arguments = EdgePlayLog.arguments(workdir: "edge/varnish")
        #expect(arguments.starts(with: ["-n", "edge/varnish", "-c"]))
        #expect(arguments.contains("%s %U"))
    }
}
