#!/usr/bin/env python3
"""Play a video on the page Reel's API serves to people, in headless Chromium.

    python3 scripts/test-helpers/player-page-check.py http://127.0.0.1:PORT/v1/videos/ID/player [--timeout 120] [--no-install]

play-check.py proves that the streams play on a test page of its own; this
proves that the API's own player page does: the page and its Video.js files
load from the API, the poster and the HLS master are where the page says,
playback starts and reaches the end with no player error, and the page itself
says "played to the end".

How it works: a loopback server passes every request through to the API
(path, query and Range header as they are), except under /__reel/, where it
serves a harness page.  The harness loads the player page in an iframe (same
origin, so it can look inside), starts playback (the page's video is muted),
and every half second POSTs what the page shows: its status line, the
player's error, the video's size, time and duration.  Chromium is started
and killed by its process group, as in play-check.py, whose helpers this
script uses.

Output: `PASS player page ...` or `FAIL player page ...` with the reasons, the
requests that failed, then the exit status: 0 played, 1 did not, 2 setup
problem (no browser).
"""

import argparse
import importlib.util
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("play_check", HERE / "play-check.py")
play_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(play_check)

HARNESS = r"""<!doctype html>
<html><head><meta charset="utf-8"><title>reel player-page check</title>
<style>body{margin:0}iframe{width:480px;height:900px;border:0}</style></head>
<body><iframe id="page"></iframe>
<script>
const frame = document.getElementById('page');
const post = (path, body) => fetch(path, {method: 'POST', body: JSON.stringify(body)}).catch(() => {});
let started = false, finished = false;
function look() {
  const w = frame.contentWindow, d = frame.contentDocument;
  if (!w || !d) return {loaded: false};
  const video = d.querySelector('video');
  const player = w.videojs && w.videojs.getPlayer ? w.videojs.getPlayer('player') : null;
  const error = player && player.error();
  return {
    loaded: true,
    title: d.title,
    heading: (d.querySelector('h1') || {}).textContent || '',
    status: (d.getElementById('status') || {}).textContent || '',
    videojs: w.videojs ? (w.videojs.VERSION || 'yes') : null,
    error: error ? `code=${error.code} message=${error.message}` : null,
    time: video ? video.currentTime : null,
    duration: video ? video.duration : null,
    width: video ? video.videoWidth : 0,
    height: video ? video.videoHeight : 0,
    ended: video ? video.ended : false,
    poster: player ? player.poster() : null,
  };
}
frame.addEventListener('load', () => {
  const tick = setInterval(() => {
    const seen = look();
    const player = frame.contentWindow.videojs && frame.contentWindow.videojs.getPlayer('player');
    if (player && !started) {
      started = true;
      const p = player.play();
      if (p && p.catch) p.catch(e => post('/__reel/log', {msg: 'play() refused: ' + e}));
    }
    post('/__reel/progress', seen);
    if (!finished && (seen.status.includes('played to the end') || seen.error)) {
      finished = true;
      clearInterval(tick);
      post('/__reel/result', seen);
    }
  }, 500);
});
frame.src = __PAGE__;
</script></body></html>
"""


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, origin, page_path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.origin = origin
        self.harness = HARNESS.replace("__PAGE__", json.dumps(page_path)).encode()
        self.lock = threading.Lock()
        self.result = None
        self.progress = None
        self.page_log = []
        self.requests = []     # every path the page asked for
        self.http_errors = []  # "404 GET /path" lines
        self.done = threading.Event()

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # a browser killed mid-request
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        sent = set()
        for k, v in headers:
            if k.lower() in ("transfer-encoding", "connection", "content-length"):
                continue
            self.send_header(k, v)
            sent.add(k.lower())
        if "content-type" not in sent:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if status >= 400:
            with self.server.lock:
                self.server.http_errors.append(f"{status} {self.command} {self.path}")

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        srv = self.server
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/__reel/", "/__reel/harness.html"):
            return self._send(200, srv.harness, [("Content-Type", "text/html; charset=utf-8")])
        if path == "/favicon.ico":
            return self._send(204)
        with srv.lock:
            srv.requests.append(path)
        req = urllib.request.Request(srv.origin + self.path, method=self.command)
        for name in ("Range", "If-None-Match"):
            if self.headers.get(name):
                req.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return self._send(r.status, r.read(), r.headers.items())
        except urllib.error.HTTPError as e:
            return self._send(e.code, e.read(), e.headers.items())
        except OSError as e:
            return self._send(502, f"origin unreachable: {type(e).__name__}: {e}\n".encode())

    def do_POST(self):
        srv = self.server
        path = urllib.parse.urlsplit(self.path).path
        try:
            msg = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
        except (ValueError, OSError):
            return self._send(400, b"bad json\n")
        with srv.lock:
            if path == "/__reel/result":
                srv.result = msg
                srv.done.set()
            elif path == "/__reel/progress":
                srv.progress = msg
            elif path == "/__reel/log":
                srv.page_log.append(str(msg.get("msg")))
            else:
                return self._send(404, b"not found\n")
        return self._send(204)


def judge(seen, srv, timed_out):
    """(passed, reasons) for what the page showed last."""
    if not seen or not seen.get("loaded"):
        return False, ["the player page never loaded in the frame"]
    reasons = []
    if not seen.get("videojs"):
        reasons.append("Video.js did not load on the page (/player/video.min.js)")
    if seen.get("error"):
        reasons.append(f"player error: {seen['error']}")
    if "played to the end" not in (seen.get("status") or ""):
        reasons.append(f"the page never said 'played to the end' (status line: {seen.get('status')!r})")
    if not seen.get("width"):
        reasons.append("no video frame size seen")
    duration, at = seen.get("duration"), seen.get("time")
    if not duration or at is None or at < duration - 0.5:
        reasons.append(f"playback stopped at {at} of {duration} s")
    if srv.http_errors:
        reasons.append(f"{len(srv.http_errors)} failed request(s): " + "; ".join(play_check.counted(srv.http_errors)[:10]))
    for needed, what in (("/player/video.min.js", "the player script"), ("master.m3u8", "the HLS master"),
                         ("poster.jpg", "the poster")):
        if not any(p.endswith(needed) for p in srv.requests):
            reasons.append(f"the page never asked for {what} ({needed})")
    if timed_out:
        reasons.append("the --timeout was reached")
    return not reasons, reasons


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="the player page, e.g. http://127.0.0.1:8080/v1/videos/ID/player")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before giving up (default 120)")
    ap.add_argument("--no-install", action="store_true", help="never run install-player.sh")
    args = ap.parse_args()

    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        play_check.log(f"{args.url}: not an http URL of a player page")
        return 2
    origin = f"{parts.scheme}://{parts.netloc}"
    page_path = parts.path + (f"?{parts.query}" if parts.query else "")

    play_check.ensure_installed(args.no_install)
    chromium = play_check.find_chromium()
    if not chromium:
        play_check.log("chromium not found: run scripts/services/install-player.sh (or set REEL_CHROMIUM)")
        return 2

    srv = Server(origin, page_path)
    threading.Thread(target=srv.serve_forever, name="player-page-http", daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/__reel/harness.html"
    timed_out, exit_note, browser_tail = play_check.run_chromium(chromium, url, srv, args.timeout, tail=15)

    seen = srv.result or srv.progress
    ok, reasons = judge(seen, srv, timed_out)
    s = seen or {}
    line = (f"player page {page_path} video.js={s.get('videojs')} t={s.get('time')}/{s.get('duration')} "
            f"size={s.get('width')}x{s.get('height')} status={s.get('status')!r}")
    print(("PASS " if ok else "FAIL ") + line)
    for r in reasons:
        print(f"    reason: {r}")
    if not ok:
        if exit_note:
            print(f"# {exit_note}")
        for l in srv.page_log:
            print(f"# page: {l}")
        for l in browser_tail:
            print(f"# chromium: {l}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
