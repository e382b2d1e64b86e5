import Foundation
import ReelAPI
import ReelStore
import ReelTesting
import Testing

/// The operator's commands against a running API, as a person types them:
/// tokens, upload (one-shot and resumable) with --wait, videos, jobs
/// --watch, completions, signed URLs and verify.
@Suite struct OperatorCommandsTests {
    @Test func tokensUploadVideosWatchAndCompletions() async throws {
        try await TestDatabase.withFresh { db in
            let api = try await APIHarness.start(db, openUploads: false)
            let clip = try await TestClips.path("rotated.mp4")

            let made = try await ReelProcess.run(["tokens", "create", "--name", "cli uploader", "--scope", "upload", "--json"], databaseURL: db.url)
            #expect(made.status == 0, "\(made.output)")
            let token = try #require(try parse(made.output) as? [String: Any])["token"] as? String
            let listed = try await ReelProcess.run(["tokens", "list"], databaseURL: db.url)
            #expect(listed.output.contains("cli uploader") && !listed.output.contains(token ?? "-"), "the list shows a prefix, never the token")
            let badScope = try await ReelProcess.run(["tokens", "create", "--name", "x", "--scope", "root"], databaseURL: db.url)
            #expect(badScope.status != 0 && badScope.output.contains("unknown scope 'root'"))

            // Without a token the API refuses, and the command says so.
            let refused = try await ReelProcess.run(["upload", clip, "--api", api.base, "--json"], databaseURL: db.url)
            #expect(refused.status != 0 && refused.output.contains("reel tokens create"), "\(refused.output)")

            let uploaded = try await ReelProcess.run(["upload", clip, "--api", api.base, "--token", token ?? "", "--wait", "--json"], databaseURL: db.url)
            #expect(uploaded.status == 0, "\(uploaded.output)")
            let id = try #require(try parse(uploaded.output) as? [String: Any])["id"] as? String
            let resumable = try await ReelProcess.run(
                ["upload", clip, "--api", api.base, "--resumable", "--chunk-mib", "1"], databaseURL: db.url, environment: ["REEL_TOKEN": token ?? ""])
            #expect(resumable.status == 0, "\(resumable.output)")

            let videos = try await ReelProcess.run(["videos", "--json"], databaseURL: db.url)
            let rows = try #require(try parse(videos.output) as? [[String: Any]])
            #expect(rows.count == 2 && rows.contains { $0["id"] as? String == id })
            let shown = try await ReelProcess.run(["videos", "show", id ?? ""], databaseURL: db.url)
            #expect(shown.status == 0 && shown.output.contains(id ?? "-"))

            // The live view: starts, draws the jobs, and keeps going until stopped.
            let watch = try ReelProcess(["jobs", "--watch"], databaseURL: db.url)
            try await eventually(timeout: 20, "reel jobs --watch to draw the jobs") { watch.log.contains("video.ingest") }
            #expect(watch.isRunning)
            await watch.stop()

            let completion = try await ReelProcess.run(["--generate-completion-script", "bash"], databaseURL: db.url)
            #expect(completion.status == 0 && completion.output.contains("-F _reel reel") && completion.output.contains("_reel_tokens"))
            try await api.stop()
        }
    }

    @Test func signedURLsFromTheCommandPlayAndVerifyFindsACorruptCopy() async throws {
        try await TestDatabase.withFresh { db in
            let key = "a-test-key-that-is-at-least-32-bytes-long"
            let api = try await APIHarness.start(db, playbackSigner: try PlaybackSigner(key: key))
            let id = try await api.upload(try await TestClips.path("rotated.mp4"))
            try await eventually(timeout: 180, "the video to be ready and replicated") {
                let ready = try await db.scalar(String.self, "SELECT status::text FROM videos WHERE id = $1", [id]) == "ready"
                let copying = try await db.scalar(Int.self, "SELECT count(*)::int FROM reel_jobs WHERE kind = 'replicate' AND state <> 'completed'")
                return ready && copying == 0
            }
            let signed = try await ReelProcess.run(["sign", id, "--ttl", "600", "--api", api.base, "--json"], databaseURL: db.url,
                                                   environment: ["REEL_PLAYBACK_KEY": key])
            let urls = try #require(try parse(signed.output) as? [String: String])
            let hls = try #require(urls["hls"])
            #expect(try await APIHarness.request(hls, "GET", "").status == 200)
            #expect(try await api.request("GET", "/v1/videos/\(id)/master.m3u8").status == 403)

            // verify: every copy in both regions hashes to its digest; then one byte changes on disk.
            let roots = api.regions.all.compactMap { ($0.store as? FileStore)?.root.path }
            let regions = zip(api.regions.all.map(\.name), roots).map { "\($0)=file:\($1)" }.joined(separator: ",")
            let environment = ["REEL_REGIONS": regions, "REEL_HOME_REGION": api.regions.home.name]
            let clean = try await ReelProcess.run(["verify"], databaseURL: db.url, environment: environment)
            #expect(clean.status == 0 && clean.output.contains("missing=0 corrupt=0"), "\(clean.output)")
            let segment = try #require(try await db.scalar(String.self, "SELECT digest FROM segments WHERE video_id = $1 LIMIT 1", [id]))
            let file = try #require(FileManager.default.enumerator(atPath: roots[0])?.compactMap { $0 as? String }.first { $0.hasSuffix(segment) })
            let path = roots[0] + "/" + file
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 2] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            let dirty = try await ReelProcess.run(["verify"], databaseURL: db.url, environment: environment)
            #expect(dirty.status == 1 && dirty.output.contains(segment) && dirty.output.contains("corrupt=1"), "\(dirty.output)")
            // --repair quarantines it and copies the sound bytes back from the other region.
            let repaired = try await ReelProcess.run(["verify", "--repair"], databaseURL: db.url, environment: environment)
            #expect(repaired.status == 0 && repaired.output.contains("corrupt=1") && repaired.output.contains("repaired=1"), "\(repaired.output)")
            let again = try await ReelProcess.run(["verify"], databaseURL: db.url, environment: environment)
            #expect(again.status == 0 && again.output.contains("missing=0 corrupt=0"), "\(again.output)")
            try await api.stop()
        }
    }

    /// The JSON a command printed; an error that shows the whole output when there is none.
    func parse(_ output: String) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(jsonPart(output).utf8))
        } catch {
            throw CatalogErrorText("no JSON in the command's output:\n\(output)")
        }
    }

    struct CatalogErrorText: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The JSON a command printed, without the log lines around it.
    func jsonPart(_ output: String) -> String {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("{") || $0.hasPrefix("[") }) else { return "" }
        if lines[start].hasSuffix("}") || lines[start].hasSuffix("]") { return String(lines[start]) }
        guard let end = lines.lastIndex(where: { $0.hasPrefix("}") || $0.hasPrefix("]") }), end > start else { return "" }
        return lines[start...end].joined(separator: "\n")
    }
}
