import Foundation
import Hummingbird

/// A small page that plays a video with Video.js (HLS through VHS), and the
/// player's files: what a person opens to watch an upload. The player comes
/// from the PyPI package js.videojs (`scripts/services/install-player.sh`), found in
/// `APIConfiguration.playerDirectory`.
extension ReelAPI {
    static let playerFiles: [String: String] = [
        "video.min.js": "text/javascript", "video.js": "text/javascript",
        "video-js.min.css": "text/css", "video-js.css": "text/css",
    ]

    func addPlayerRoutes(to router: Router<BasicRequestContext>) {
        router.get("player/:file") { _, context -> Response in
            let file = context.parameters.get("file") ?? ""
            guard let type = ReelAPI.playerFiles[file] else { throw APIError.notFound("no player file \(file)") }
            guard let folder = configuration.playerDirectory,
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(file).path)
            else {
                throw APIError.notFound("the player is not installed here: run scripts/services/install-player.sh, or set REEL_PLAYER_DIR")
            }
            return Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=86400"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// The page for one video: HLS with adaptive bitrate, poster, controls.
    static func playerPage(id: String, title: String, query: String? = nil) -> Response {
        let tail = query.map { "?" + $0.replacingOccurrences(of: "&", with: "&amp;") } ?? ""
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escaped.isEmpty ? id : escaped) · Reel</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="stylesheet" href="/player/video-js.min.css">
            <style>body{margin:0;background:#111;color:#eee;font:14px system-ui}main{max-width:480px;margin:0 auto;padding:12px}
            .video-js{width:100%;aspect-ratio:9/16;height:auto}</style></head>
            <body><main><h1>\(escaped.isEmpty ? "Video \(id)" : escaped)</h1>
            <video-js id="player" class="vjs-default-skin" controls preload="auto" muted playsinline
              poster="/v1/videos/\(id)/poster.jpg\(tail)" data-video="\(id)">
              <source src="/v1/videos/\(id)/master.m3u8\(tail)" type="application/x-mpegURL">
            </video-js>
            <p id="status"></p></main>
            <script src="/player/video.min.js"></script>
            <script>
            // VHS plays HLS through MSE (Chromium's own HLS player would take the master otherwise). It cannot
            // read AV1 in fMP4: it keeps to the H.264 variants, listed first, which every player decodes.
            const player = videojs('player', {html5: {vhs: {overrideNative: true}, hls: {overrideNative: true},
                                                      nativeAudioTracks: false, nativeVideoTracks: false}});
            player.on('loadedmetadata', () => {
              const tech = player.tech({IWillNotUseThisInPlugins: true}), vhs = tech && (tech.vhs || tech.hls);
              if (vhs && vhs.representations) vhs.representations().forEach(r => { if (/-av1/.test(r.id)) r.enabled(false); });
            });
            player.on('error', () => { document.getElementById('status').textContent = 'playback error: ' + (player.error() || {}).message; });
            player.on('ended', () => { document.getElementById('status').textContent = 'played to the end'; });
            </script></body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
