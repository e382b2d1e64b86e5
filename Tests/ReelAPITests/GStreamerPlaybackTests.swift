import Foundation
import ReelTesting
import Testing

extension ExclusiveSuites {
    /// GStreamer, a second player beside Chromium (scripts/test-helpers/gst-play-check.py),
    /// plays what the API serves to the end, decoding every frame and the same
    /// audio: the DASH MPD and the HLS master, each with the legacy demuxers
    /// (what playbin and gst-play-1.0 use on Debian 12) and the new ones.
    ///
    /// The legacy `hlsdemux` deadlocked when a variant switch met the last
    /// segment of a separate audio rendition (docs/conformance.md); Reel's HLS
    /// variants carry their audio. The last run forces that race as a slow link
    /// would: the first 360p segment slow (a switch up after it) and the audio's
    /// last segment slower still; an audio group stalls there every time.
    @Suite struct GStreamerPlaybackTests {
        @Test func dashAndHLSPlayToTheEndInGStreamer() async throws {
            try await TestDatabase.withFresh { db in
                let api = try await APIHarness.start(db)
                // 4 s with sound: two segments per rendition, so a variant can switch after the
                // first while the audio's last one downloads (the race the last run forces).
                let clip = TestObjectStores.freshFolder("gst").appendingPathExtension("mp4")
                defer { try? FileManager.default.removeItem(at: clip) }
                _ = try await ChildProcess.tool("ffmpeg", [
                    "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=720x1280:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip.path,
                ])
                let id = try await api.upload(clip.path)
                try await eventually(timeout: 120, "the video to be ready") { try await api.status(id) == "ready" }
                // Every frame of the top rung: its segments' duration times its frame rate.
                let frames = try #require(try await db.scalar(Int.self, """
                    SELECT round(sum(s.duration)::float8 / max(r.timescale) * max(r.frame_rate))::int
                    FROM segments s JOIN renditions r ON r.video_id = s.video_id AND r.name = s.rendition
                    WHERE s.video_id = $1 AND r.kind = 'video' GROUP BY r.name ORDER BY max(r.width) DESC LIMIT 1
                    """, [id]))
                let lastAudio = try #require(try await db.scalar(Int.self, "SELECT max(number) FROM segments WHERE video_id = $1 AND rendition = 'audio'", [id]))
                let race = ["--stall", "20", "--throttle", "/audio[^/]*/\(lastAudio)\\.m4s$:5000", "--throttle", "/360p[^/]*/0\\.m4s$:400000"]
                let script = PackagePaths.root.appendingPathComponent("scripts/test-helpers/gst-play-check.py").path
                var audioBuffers: Set<Int> = []
                for (manifest, family, extra) in [
                    ("manifest.mpd", "legacy", []), ("manifest.mpd", "new", []), ("master.m3u8", "new", []), ("master.m3u8", "legacy", []),
                    ("master.m3u8", "legacy", race),
                ] {
                    let url = "\(api.base)/v1/videos/\(id)/\(manifest)"
                    var run = try await ChildProcess.run([script, url, "--demuxer", family, "--timeout", "120"] + extra)
                    // Twice in full CI runs (loaded machine), hlsdemux2 gave up on its first fragments
                    // within 0.2 s ("Fragment downloading has failed consecutive times", no retry of its
                    // own) and never alone: play up to twice more, a few seconds apart, with GStreamer's
                    // HTTP and demuxer logs, and show every failed attempt.
                    for attempt in 2...3 where run.status != 0 {
                        print("GStreamer \(manifest) \(family), attempt \(attempt - 1) failed: \(run.output.suffix(attempt == 2 ? 1500 : 8000))")
                        try await Task.sleep(for: .seconds(3))
                        run = try await ChildProcess.run([
                            "env", "GST_DEBUG=souphttpsrc:4,hlsdemux2:5,adaptivedemux2:5,dashdemux:3", script, url, "--demuxer", family,
                            "--timeout", "120",
                        ] + extra)
                    }
                    if run.status != 0 { print("GStreamer \(manifest) \(family), attempt 3 failed: \(run.output.suffix(8000))") }
                    let line = run.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
                    let outcome = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
                    #expect(run.status == 0 && outcome["result"] as? String == "eos", "\(manifest) \(family): \(run.output.suffix(1500))")
                    #expect(outcome["frames"] as? Int == frames, "\(manifest) \(family): \(line)")
                    audioBuffers.insert(outcome["audio_buffers"] as? Int ?? -1)
                }
                // The same sound in every run: none lost, none played twice across a switch.
                #expect(audioBuffers.count == 1 && audioBuffers.first ?? 0 > 0, "audio buffers per run: \(audioBuffers)")
                try await api.stop()
            }
        }
    }
}

