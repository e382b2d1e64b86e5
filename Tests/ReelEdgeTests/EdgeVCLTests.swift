import Foundation
import ReelEdge
import Testing

/// The VCL `reel edge-config` writes: what goes into it verbatim is checked
/// first, so a bad name or token fails here, not as injected VCL on an edge.
@Suite struct EdgeVCLTests {
    static let origin = URL(string: "http://127.0.0.1:8080")!
    static let token = "edge-token-0123456789"

    @Test func itNamesTheEdgeTheOriginAndTheTokenPurgesNeed() throws {
        let vcl = try EdgeVCL(edge: "eu-1", origin: Self.origin, token: Self.token).render()
        #expect(vcl.hasPrefix("vcl 4."))
        #expect(vcl.contains(#".host = "127.0.0.1";"#) && vcl.contains(#".port = "8080";"#))
        #expect(vcl.contains(#"set bereq.http.X-Reel-Edge = "eu-1";"#))
        #expect(vcl.contains(Self.token))
        #expect(!vcl.contains("needs a signed URL"), "public playback checks no signature")
    }

    @Test func mastersAreCachedUnlessAskedToPassThem() throws {
        var edge = EdgeVCL(edge: "eu-1", origin: Self.origin, token: Self.token)
        #expect(try edge.render().contains(#"req.url ~ "^/v1/videos/[^/?]+/player""#))
        edge.cacheMasters = false
        #expect(try edge.render().contains(#"req.url ~ "^/v1/videos/[^/?]+/(player|master\.m3u8|manifest\.mpd)""#))
    }

    @Test func signedPlaybackIsCheckedAtTheEdge() throws {
        let vcl = try EdgeVCL(edge: "eu-1", origin: Self.origin, token: Self.token, signed: true).render()
        #expect(vcl.contains("playback of this video needs a signed URL"))
    }

    @Test(arguments: [
        EdgeVCL(edge: "eu 1\"; }", origin: origin, token: token),
        EdgeVCL(edge: "eu-1", origin: URL(string: "https://origin")!, token: token),
        EdgeVCL(edge: "eu-1", origin: origin, token: "short"),
        EdgeVCL(edge: "eu-1", origin: origin, token: token, purgers: ["0.0.0.0\"; }"]),
        EdgeVCL(edge: "eu-1", origin: origin, token: token, memory: "lots"),
        EdgeVCL(edge: "eu-1", origin: origin, token: token, cors: CORSPolicy(origins: [#"https://a.test")) { } #"#])),
    ])
    func whatGoesInVerbatimIsRefused(config: EdgeVCL) {
        #expect(throws: EdgeVCL.Invalid.self) { try config.render() }
    }

    @Test func corsHeadersAreAddedPerPageOnlyWithOrigins() throws {
        #expect(!(try EdgeVCL(edge: "eu-1", origin: Self.origin, token: Self.token).render()).contains("Access-Control-Allow-Origin"))
        let listed = try EdgeVCL(edge: "eu-1", origin: Self.origin, token: Self.token,
                                 cors: CORSPolicy(origins: ["https://app.example.com", "http://127.0.0.1:5173"])).render()
        #expect(listed.contains(#"req.http.X-Reel-Origin ~ "^(https://app\.example\.com|http://127\.0\.0\.1:5173)$""#))
        #expect(listed.contains(#"set resp.http.Vary = "Origin";"#))
        let any = try EdgeVCL(edge: "eu-1", origin: Self.origin, token: Self.token, cors: CORSPolicy(list: "*")).render()
        #expect(any.contains(#"set resp.http.Access-Control-Allow-Origin = "*";"#) && !any.contains("Vary"))
    }

    @Test func varnishstatCountersAreRead() throws {
        let json = #"""
            {"version": 1, "counters": {
              "MAIN.cache_hit": {"value": 90}, "MAIN.cache_miss": {"value": 10}, "MAIN.s_pass": {"value": 2},
              "MAIN.s_resp_bodybytes": {"value": 5000}, "MAIN.n_object": {"value": 7},
              "VBE.boot.origin.beresp_bodybytes": {"value": 400}, "VBE.reload_1.origin.beresp_bodybytes": {"value": 100}}}
            """#
        let counters = try VarnishStat.parse(Data(json.utf8))
        #expect(counters == EdgeCounters(hits: 90, misses: 10, passes: 2, clientBytes: 5000, originBytes: 500, objects: 7))
        #expect(counters.hitRatio == 0.9)
        #expect(throws: VarnishStat.Failed.self) { try VarnishStat.parse(Data("{}".utf8)) }
    }
}
