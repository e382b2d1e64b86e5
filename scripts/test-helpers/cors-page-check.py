#!/usr/bin/env python3
"""An app's web page on another origin, in headless Chromium: it uploads a file
to Reel's API with the browser's fetch and tus headers, and plays a video from
the API with Video.js. Tests/ReelAPITests/CORSBrowserTests.swift runs it once
from an origin the API allows and once from one it does not.

    python3 scripts/test-helpers/cors-page-check.py --api URL --video ID --file CLIP --port PORT [--token T] [--timeout 90] [--no-install]

The page is served from http://127.0.0.1:PORT (another origin than the API:
another port), with Video.js from the venv of install-player.sh. Everything it
asks the API goes straight to the API, so the browser applies CORS for real:
a page the API does not allow cannot read a single answer. It reports:

    RESULT {"upload": {...}, "play": {...}, "meta": {...}}

upload: the creation's status, Location and Reel-Video-Id, the PATCH's status
and Upload-Offset as the page could read them, or the error fetch threw.
play: whether playback started and how far it got, or the player's error.
Exit status 0 when a result came back, 2 when the browser or player is missing.
Chromium is started and stopped by play-check.py's helpers.
"""

import argparse
import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("play_check", HERE / "play-check.py")
play_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(play_check)

PAGE = r"""<!doctype html>
<html><head><meta charset="utf-8"><title>an app on another origin</title>
<script src="/player/__JS__"></script></head>
<body><video-js id="v" muted playsinline width="320" height="568"></video-js>
<script>
'use strict';
const CFG = __CONFIG__;
const tus = {'Tus-Resumable': '1.0.0'};
if (CFG.token) tus['Authorization'] = 'Bearer ' + CFG.token;

async function upload() {
  try {
    const bytes = await (await fetch('/clip')).arrayBuffer();
    const created = await fetch(CFG.api + '/v1/uploads/tus', {method: 'POST', headers: {...tus,
      'Upload-Length': String(bytes.byteLength), 'Upload-Metadata': 'filename ' + btoa('page.mp4') + ',filetype ' + btoa('video/mp4')}});
    const location = created.headers.get('Location');
    const result = {created: created.status, location, video: created.headers.get('Reel-Video-Id'),
                    expires: created.headers.get('Upload-Expires')};
    if (!location) return result;
    const patched = await fetch(new URL(location, CFG.api), {method: 'PATCH', body: bytes,
      headers: {...tus, 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream'}});
    result.patched = patched.status;
    result.offset = patched.headers.get('Upload-Offset');
    result.size = bytes.byteLength;
    return result;
  } catch (e) {
    return {error: String(e)};
  }
}

function play() {
  return new Promise(resolve => {
    // VHS (Media Source Extensions) fetches the playlists and segments itself, under CORS; Chromium's
    // native HLS would let a <video> element load them from any page, so it is overridden.
    const player = videojs('v', {muted: true, preload: 'auto',
      html5: {hls: {overrideNative: true}, vhs: {overrideNative: true}, nativeAudioTracks: false, nativeVideoTracks: false}});
    let settled = false;
    const finish = r => { if (!settled) { settled = true; resolve(r); } };
    player.on('error', () => { const e = player.error() || {}; finish({played: false, error: (e.code || '') + ' ' + (e.message || '')}); });
    player.on('timeupdate', () => { if (player.currentTime() > 0.5) finish({played: true, time: player.currentTime()}); });
    setTimeout(() => finish({played: false, error: 'no playback within 30 s', time: player.currentTime()}), 30000);
    player.src({src: CFG.api + '/v1/videos/' + CFG.video + '/master.m3u8', type: 'application/x-mpegURL'});
    const p = player.play();
    if (p && p.catch) p.catch(() => {});
  });
}

(async () => {
  const result = {upload: await upload(), play: await play(), meta: {origin: location.origin, browser: navigator.userAgent}};
  await fetch('/done', {method: 'POST', body: JSON.stringify(result)});
})();
</script></body></html>
"""


class PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port, page, clip, player_dir):
        super().__init__(("127.0.0.1", port), PageHandler)
        self.page, self.clip, self.player_dir = page.encode(), clip, player_dir
        self.result = None
        self.done = threading.Event()


class PageHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, kind="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server
        if self.path == "/":
            return self.send(200, srv.page, "text/html; charset=utf-8")
        if self.path == "/clip":
            return self.send(200, Path(srv.clip).read_bytes(), "video/mp4")
        if self.path.startswith("/player/"):
            name = self.path[len("/player/"):]
            file = srv.player_dir / name
            if "/" not in name and file.is_file():
                return self.send(200, file.read_bytes(), "text/javascript")
        return self.send(404, b"not found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/done":
            self.server.result = json.loads(body or b"{}")
            self.server.done.set()
            return self.send(204, b"")
        return self.send(404, b"not found\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--api", required=True, help="the API's base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--video", required=True, help="a ready video to play")
    ap.add_argument("--file", required=True, help="the clip the page uploads")
    ap.add_argument("--port", type=int, required=True, help="the page's port: its origin is http://127.0.0.1:PORT")
    ap.add_argument("--token", help="an upload token the page sends")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--no-install", action="store_true")
    args = ap.parse_args()
    play_check.ensure_installed(args.no_install)
    chromium, player_dir = play_check.find_chromium(), play_check.find_player_dir()
    if not chromium or not player_dir:
        print("SETUP chromium or Video.js is missing: run scripts/services/install-player.sh", flush=True)
        return 2
    js, _ = play_check.player_assets(player_dir)
    config = {"api": args.api.rstrip("/"), "video": args.video, "token": args.token}
    page = PAGE.replace("__JS__", js).replace("__CONFIG__", json.dumps(config))
    server = PageServer(args.port, page, args.file, player_dir)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    timed_out, exit_note, tail = play_check.run_chromium(chromium, f"http://127.0.0.1:{args.port}/", server, args.timeout)
    if server.result is None:
        why = "timed out" if timed_out else (exit_note or "no result")
        print(f"NO RESULT ({why}); chromium said:\n" + "\n".join(tail), flush=True)
        return 1
    print("RESULT " + json.dumps(server.result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
