import Foundation
import ReelCatalog
import ReelStore
import ReelTesting
import Testing

/// Upload over HTTP, then everything a player fetches, over loopback.
@Suite struct PlaybackAPITests {
    @Test func anUploadIsServedAsHLSAndDASHWithCachingRangesAndRegionFallback() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db)
            let id = try await api.upload(try await TestClips.path("vertical.mp4"))
            try await eventually(timeout: 180, "the video to be ready") { try await api.status(id) == "ready" }
            try await eventually(timeout: 60, "replication") {
                try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'replicate' AND state = 'completed'") == 1
            }

            let metadata = try await api.request("GET", "/v1/videos/\(id)").json()
            #expect(metadata["width"] as? Int == 1080 && metadata["height"] as? Int == 1920)
            #expect((metadata["renditions"] as? [Any])?.count == 5)
            #expect((metadata["urls"] as? [String: Any])?["hls"] as? String == "/v1/videos/\(id)/master.m3u8")

            let master = try await api.request("GET", "/v1/videos/\(id)/master.m3u8")
            #expect(master.status == 200 && master.headers["content-type"] == "application/vnd.apple.mpegurl")
            #expect(master.text.components(separatedBy: "#EXT-X-STREAM-INF").count - 1 == 4)
            // Each variant carries the audio (no EXT-X-MEDIA group: GStreamer's legacy hlsdemux deadlocks on one).
            #expect(!master.text.contains("#EXT-X-MEDIA") && master.text.contains("#EXT-X-INDEPENDENT-SEGMENTS"))
            #expect(master.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.first == "360p.av/index.m3u8")
            // A finished video's master lives 10 s at the edges (its plays are counted there),
            // its media playlists five minutes.
            #expect(master.headers["cache-control"] == "public, max-age=10")
            let media = try await api.request("GET", "/v1/videos/\(id)/360p/index.m3u8")
            #expect(media.headers["cache-control"] == "public, max-age=300")
            #expect(media.text.contains("#EXT-X-MAP:URI=\"init.mp4\"") && media.text.contains("#EXT-X-ENDLIST"))
            let mpd = try await api.request("GET", "/v1/videos/\(id)/manifest.mpd")
            #expect(mpd.headers["content-type"] == "application/dash+xml" && mpd.text.contains("type=\"static\""))

            // Segments: the stored bytes, named by their digest, cached for a year.
            let catalog = Catalog(pool: db.pool)
            let playback = try #require(try await catalog.playback(id))
            let rung = try #require(playback.renditions.first { $0.name == "360p" })
            let first = try #require(ObjectDigest(hex: rung.segments[0].digest))
            let stored = try await api.regions.home.store.get(first)
            let segment = try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s")
            #expect(segment.status == 200 && segment.body == stored && segment.headers["content-type"] == "video/mp4")
            #expect(segment.headers["etag"] == "\"\(first.hex)\"")
            #expect(segment.headers["cache-control"] == "public, max-age=31536000, immutable")
            let partial = try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s", headers: [("Range", "bytes=10-19")])
            #expect(partial.status == 206 && partial.body == stored[10...19])
            #expect(partial.headers["content-range"] == "bytes 10-19/\(stored.count)")
            // RFC 9530: the whole object's SHA-256, the same on a range, checked against the bytes.
            let expected = "sha-256=:\(Data(ObjectDigest.of(segment.body).bytes).base64EncodedString()):"
            #expect(segment.headers["repr-digest"] == expected && partial.headers["repr-digest"] == expected, "\(segment.headers)")
            let tail = try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s", headers: [("Range", "bytes=-5")])
            #expect(tail.status == 206 && tail.body == stored.suffix(5))
            let beyond = try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s", headers: [("Range", "bytes=999999999-")])
            #expect(beyond.status == 416 && beyond.headers["content-range"] == "bytes */\(stored.count)")
            let again = try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s", headers: [("If-None-Match", "\"\(first.hex)\"")])
            #expect(again.status == 304 && again.body.isEmpty)
            let audio = try await api.request("GET", "/v1/videos/\(id)/audio/init.mp4")
            #expect(audio.status == 200 && audio.headers["content-type"] == "audio/mp4")
            try await variantWithAudioIsBothParts(api, id, playback)
            let poster = try await api.request("GET", "/v1/videos/\(id)/poster.jpg")
            #expect(poster.status == 200 && poster.headers["content-type"] == "image/jpeg" && poster.body.prefix(2) == Data([0xFF, 0xD8]))

            // The player page plays the master playlist with Video.js, served by the API too.
            let page = try await api.request("GET", "/v1/videos/\(id)/player")
            #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(page.text.contains("/v1/videos/\(id)/master.m3u8") && page.text.contains("/player/video.min.js"))
            let script = try await api.request("GET", "/player/video.min.js")
            #expect(script.status == 200 && script.body.count > 100_000, "run scripts/services/install-player.sh: \(script.text.prefix(200))")

            // The nearest region loses the segment: the other region serves it.
            try await api.regions.home.store.delete(first)
            let fallback = try await api.request("GET", "/v1/videos/\(id)/360p/0.m4s")
            #expect(fallback.status == 200 && fallback.body == stored)

            // A real demuxer reads the whole ladder over HTTP without an error.
            let log = try await tool("ffmpeg", ["-v", "error", "-i", "\(api.base)/v1/videos/\(id)/master.m3u8", "-map", "0", "-f", "null", "-"])
            #expect(log.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(log)")
            try await api.stop()
        }
    }
    /// `360p.av/`: the rung's and the audio's stored bytes spliced into one
    /// fMP4 that FFmpeg reads as an H.264 and an AAC stream, served like an
    /// object (ETag, 304, ranges, Repr-Digest of what was sent).
    func variantWithAudioIsBothParts(_ api: APIHarness, _ id: String, _ playback: Playback) async throws {
        let rung = try #require(playback.renditions.first { $0.name == "360p" })
        let sound = try #require(playback.renditions.first { $0.kind == "audio" })
        let media = try await api.request("GET", "/v1/videos/\(id)/360p.av/index.m3u8")
        #expect(media.status == 200 && media.text.contains("#EXT-X-ENDLIST"))
        #expect(media.text.split(separator: "\n").filter { $0.hasSuffix(".m4s") }.count == rung.segments.count)
        let initial = try await api.request("GET", "/v1/videos/\(id)/360p.av/init.mp4")
        let first = try await api.request("GET", "/v1/videos/\(id)/360p.av/0.m4s")
        #expect(initial.status == 200 && first.status == 200 && first.headers["content-type"] == "video/mp4")
        #expect(first.body.count == Int(rung.segments[0].bytes + sound.segments[0].bytes))
        #expect(first.headers["cache-control"] == "public, max-age=31536000, immutable")
        #expect(first.headers["repr-digest"] == "sha-256=:\(Data(ObjectDigest.of(first.body).bytes).base64EncodedString()):")
        let etag = try #require(first.headers["etag"])
        #expect(try await api.request("GET", "/v1/videos/\(id)/360p.av/0.m4s", headers: [("If-None-Match", etag)]).status == 304)
        let part = try await api.request("GET", "/v1/videos/\(id)/360p.av/0.m4s", headers: [("Range", "bytes=100-199")])
        #expect(part.status == 206 && part.body == first.body[100...199] && part.headers["content-range"] == "bytes 100-199/\(first.body.count)")
        #expect(try await api.request("GET", "/v1/videos/\(id)/360p.av/0.m4s", headers: [("Range", "bytes=99999999-")]).status == 416)
        #expect(try await api.request("GET", "/v1/videos/\(id)/360p.av/99.m4s").status == 404)
        #expect(try await api.request("GET", "/v1/videos/\(id)/audio.av/init.mp4").status == 404)
        var whole = initial.body + first.body
        for n in rung.segments.dropFirst().map(\.number) {
            whole += try await api.request("GET", "/v1/videos/\(id)/360p.av/\(n).m4s").body
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-\(getpid())-av-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: file) }
        try whole.write(to: file)
        let streams = try await ChildProcess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", file.path])
        #expect(streams.output.split(separator: "\n").map(String.init) == ["h264", "aac"], "\(streams.output)")
        let decode = try await ChildProcess.run(["ffmpeg", "-v", "error", "-i", file.path, "-f", "null", "-"])
        #expect(decode.status == 0 && decode.output.isEmpty, "\(decode.output)")
    }
}

/// Runs a command-line tool (off the cooperative pool) and returns what it printed (stdout and stderr).
func tool(_ name: String, _ arguments: [String]) async throws -> String {
    try await ChildProcess.tool(name, arguments).output
}
