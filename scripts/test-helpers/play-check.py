#!/usr/bin/env python3
"""Prove that a packaged Reel video plays in a real browser with a standard player.

    python3 scripts/test-helpers/play-check.py FOLDER [--timeout 60] [--stall 15] [--rate 1] [-v]
    python3 scripts/test-helpers/play-check.py http://127.0.0.1:PORT/v1/videos/ID/ [...]

FOLDER is a packaged video: `master.m3u8` (HLS master playlist) and/or
`manifest.mpd` (DASH) plus the rendition folders they reference. Given a URL
instead, the video is played from that origin (Reel's API): the page's media
requests are passed through to it (Range headers too) and every byte the
player gets comes from the origin.

How it works
------------
* A `http.server` thread on 127.0.0.1 (free port) serves FOLDER under /media/,
  the player's JS/CSS under /__reel/player/, and a generated test page at
  /__reel/check.html.  Media files get proper content types, single byte
  ranges are honoured, and nothing is cached (Cache-Control: no-store).
* The player is Video.js 7 with its bundled VHS (videojs-http-streaming), which
  plays HLS and DASH through Media Source Extensions.  It comes from the PyPI
  package `js.videojs`, installed by scripts/services/install-player.sh into
  .venv-player/; or set REEL_PLAYER_JS_DIR to a folder containing video.js
  (or video.min.js) and video-js.css.  `--player hlsjs` (hls.js 1.5, HLS
  only) and `--player dashjs` (dash.js 5.1, DASH only) play the same cases
  with players that read AV1 in fMP4; install-player.sh takes each out of a
  pinned PyPI wheel (REEL_HLSJS / REEL_DASHJS name another file).
* Debian's `chromium` runs headless on the page (muted video, autoplay policy
  relaxed).  The page plays, one after another, each case to the end:
      hls abr      the HLS master with default adaptive bitrate selection
      hls <name>   the HLS master reduced to that one variant (a per-rendition
                   master generated on the fly, served beside master.m3u8 so the
                   relative URIs and the audio group stay as they are)
      dash abr     the DASH manifest
      dash <id>    the MPD reduced to that video Representation, its
                   AdaptationSet the only video one (single-Period manifests)
  and POSTs a JSON result per case back to the server (plus a progress
  snapshot every second, so a run cut short by --timeout still says how far
  each case got).  Chromium is killed by its process group (our child's PID)
  at the end, the server is shut down and the temp profile removed.
  If chromium or the player is missing, scripts/services/install-player.sh is run
  first (unless --no-install).

A case passes when
  * playback reached the end (`ended`, or currentTime >= duration - 0.25);
  * the player raised no error (MediaError code/message and Chromium's own
    detail are printed when it did) and no HTTP request failed;
  * a video size was seen, equal to RESOLUTION / width x height for a forced
    rendition;
  * audio was decoded when the manifest declares audio;
  * every track's SourceBuffer held media over [0, duration] with no hole
    larger than 0.1 s.  This matters: with a truncated segment Chromium raises
    no error and still fires `ended`, playing on over a frozen frame.

Output: one `PASS ...`/`FAIL ...` line per case (with `startup=MSms`, the time
from handing the player its source to the first `playing` event) (FAIL lines are followed by
indented reasons and the player's exact error codes/messages), then
`N passed, M failed`.  Exit status: 0 all passed, 1 some case failed,
2 setup problem (no browser/player, no manifest).
"""

import argparse
import copy
import json
import os
import posixpath
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
INSTALL_SCRIPT = REPO / "scripts" / "services" / "install-player.sh"
END_TOLERANCE = 0.25  # seconds: currentTime >= duration - this counts as the end
MAX_GAP = 0.1         # seconds: a hole in a track's buffered media larger than this fails

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/mp4",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".m4v": "video/mp4",
    ".ts": "video/mp2t",
    ".aac": "audio/aac",
    ".vtt": "text/vtt",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
}


def log(msg):
    print(f"[play-check] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Locating the browser and the player
# ---------------------------------------------------------------------------

def find_chromium():
    """Path of the Chromium binary ($REEL_CHROMIUM, else `chromium` on PATH)."""
    explicit = os.environ.get("REEL_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def find_player_dir():
    """Folder holding video(.min).js and video-js(.min).css, or None.

    Order: $REEL_PLAYER_JS_DIR, the venv of install-player.sh ($REEL_PLAYER_VENV,
    default <repo>/.venv-player), this interpreter's sys.path (js.videojs
    installed some other way)."""
    def usable(d):
        d = Path(d)
        return d.is_dir() and any((d / n).is_file() for n in ("video.min.js", "video.js"))

    explicit = os.environ.get("REEL_PLAYER_JS_DIR")
    if explicit:
        return Path(explicit) if usable(explicit) else None
    venv = Path(os.environ.get("REEL_PLAYER_VENV") or REPO / ".venv-player")
    candidates = sorted(venv.glob("lib/python3*/site-packages/js/videojs/resources"))
    candidates += [Path(p) / "js" / "videojs" / "resources" for p in sys.path if p]
    for c in candidates:
        if usable(c):
            return c
    return None


# The players that are one ES module: (environment variable naming the file, its place in the venv).
MODULE_PLAYERS = {"hlsjs": ("REEL_HLSJS", "hlsjs/hls.mjs"), "dashjs": ("REEL_DASHJS", "dashjs/dash.mjs")}


def find_module(player):
    """hls.js or dash.js as an ES module: the file its environment variable names, else what
    install-player.sh put in the venv (taken from a pinned PyPI wheel). None if missing."""
    variable, place = MODULE_PLAYERS[player]
    explicit = os.environ.get(variable)
    venv = Path(os.environ.get("REEL_PLAYER_VENV") or REPO / ".venv-player")
    path = Path(explicit) if explicit else venv / place
    return path if path.is_file() else None


def player_assets(player_dir):
    """(js file name, css file name or None) inside player_dir; minified preferred."""
    js = next(n for n in ("video.min.js", "video.js") if (player_dir / n).is_file())
    css = next((n for n in ("video-js.min.css", "video-js.css") if (player_dir / n).is_file()), None)
    return js, css


# ---------------------------------------------------------------------------
# Manifests -> test cases
# ---------------------------------------------------------------------------

_ATTR_RE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_AUDIO_CODECS = ("mp4a", "ac-3", "ec-3", "opus", "flac", "alac")


def hls_attrs(tag_line):
    """Attributes of an HLS tag line as a dict (quotes stripped)."""
    _, _, rest = tag_line.partition(":")
    return {k: v.strip('"') for k, v in _ATTR_RE.findall(rest)}


def hls_cases(folder, name):
    """Cases for an HLS master: ABR over all variants, then one per variant.

    Each single-variant case gets a generated master (the original with every
    other EXT-X-STREAM-INF removed); returns (cases, {virtual file name: text})."""
    lines = (folder / name).read_text(encoding="utf-8", errors="replace").splitlines()
    common, variants = [], []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("#EXT-X-STREAM-INF"):
            j = i + 1  # the variant URI is the next line that is not a tag/blank
            while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith("#")):
                j += 1
            if j < len(lines):
                variants.append((line, lines[j].strip()))
            i = j + 1
            continue
        if not line.startswith("#EXT-X-I-FRAME-STREAM-INF"):  # trick-play lists are not variants
            common.append(lines[i])
        i += 1

    has_audio = any(l.startswith("#EXT-X-MEDIA") and hls_attrs(l).get("TYPE") == "AUDIO" for l in common)
    has_video = False
    parsed = []
    for inf, uri in variants:
        a = hls_attrs(inf)
        codecs = a.get("CODECS", "")
        res = re.fullmatch(r"(\d+)x(\d+)", a.get("RESOLUTION", ""))
        v_video = bool(res) or any(c.strip() and not c.strip().startswith(_AUDIO_CODECS)
                                   for c in codecs.split(","))
        has_video |= v_video
        has_audio |= any(c.strip().startswith(_AUDIO_CODECS) for c in codecs.split(","))
        parsed.append((inf, uri, res, v_video))

    src = f"/media/{urllib.parse.quote(name)}"
    cases = [dict(kind="hls", label="abr", src=src, type="application/x-mpegURL",
                  expect_size=None, has_video=has_video, has_audio=has_audio)]
    virtual = {}
    seen = set()
    for n, (inf, uri, res, v_video) in enumerate(parsed):
        # Label: the rendition folder (360p/index.m3u8 -> 360p), else <height>p.
        path = urllib.parse.urlparse(uri).path
        label = posixpath.basename(posixpath.dirname(path)) or (f"{res.group(2)}p" if res else f"v{n}")
        if label in seen or label == "abr":
            label = f"{label}#{n}"
        seen.add(label)
        vname = posixpath.join(posixpath.dirname(name), f".reel-variant-{n}.m3u8")
        virtual[vname] = "\n".join(common + [inf, uri]) + "\n"
        cases.append(dict(kind="hls", label=label, src=f"/media/{urllib.parse.quote(vname)}",
                          type="application/x-mpegURL",
                          expect_size=f"{res.group(1)}x{res.group(2)}" if res else None,
                          has_video=v_video, has_audio=has_audio))
    if not variants:
        # A media playlist given as "master": still worth playing as-is.
        cases[0]["label"] = "media"
    return cases, virtual


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _dash_kind(aset, rep=None):
    """'video', 'audio', 'text'... for an AdaptationSet (or one of its Representations)."""
    for el in (rep, aset):
        if el is None:
            continue
        kind = el.get("contentType") or (el.get("mimeType") or "").split("/")[0]
        if kind:
            return kind
    return ""


def dash_cases(folder, name):
    """Cases for a DASH manifest: default ABR, then one per video Representation.

    A per-representation case plays a generated copy of the MPD whose video
    AdaptationSet keeps only that Representation (single-Period manifests);
    returns (cases, {virtual file name: text})."""
    src = f"/media/{urllib.parse.quote(name)}"
    path = folder / name
    try:
        # Keep the document's namespace prefixes when writing filtered copies.
        for _, (prefix, uri) in ET.iterparse(path, events=("start-ns",)):
            ET.register_namespace(prefix, uri)
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        log(f"{name}: XML parse error ({e}); only the player's opinion will be reported")
        return [dict(kind="dash", label="abr", src=src, type="application/dash+xml",
                     expect_size=None, has_video=True, has_audio=False)], {}

    periods = [el for el in root if _local(el.tag) == "Period"]
    sets = [a for p in periods for a in p if _local(a.tag) == "AdaptationSet"]
    has_video = any(_dash_kind(a) == "video" for a in sets)
    has_audio = any(_dash_kind(a) == "audio" for a in sets)
    cases = [dict(kind="dash", label="abr", src=src, type="application/dash+xml",
                  expect_size=None, has_video=has_video, has_audio=has_audio)]
    virtual = {}
    video_sets = [a for a in sets if _dash_kind(a) == "video"]
    if len(periods) != 1 or not video_sets:
        return cases, virtual  # forcing one rendition is only attempted in the simple layout

    # One case per Representation of every video AdaptationSet (one per codec:
    # H.264, then AV1 when a video has it).
    seen = set()
    k = 0
    for s, vset_here in enumerate(video_sets):
        reps = [r for r in vset_here if _local(r.tag) == "Representation"]
        for n, rep in enumerate(reps):
            w = rep.get("width") or vset_here.get("width")
            h = rep.get("height") or vset_here.get("height")
            label = rep.get("id") or (f"{h}p" if h else f"r{k}")
            if label in seen or label == "abr":
                label = f"{label}#{k}"
            seen.add(label)
            # A copy of the MPD with only this video AdaptationSet, keeping just this one.
            doc = copy.deepcopy(root)
            period = next(p for p in doc if _local(p.tag) == "Period")
            copies = [a for a in period if _local(a.tag) == "AdaptationSet" and _dash_kind(a) == "video"]
            for i, other_set in enumerate(copies):
                if i != s:
                    period.remove(other_set)
            vset = copies[s]
            for i, other in enumerate([r for r in vset if _local(r.tag) == "Representation"]):
                if i != n:
                    vset.remove(other)
            vname = posixpath.join(posixpath.dirname(name), f".reel-rep-{k}.mpd")
            k += 1
            virtual[vname] = ET.tostring(doc, encoding="unicode", xml_declaration=True) + "\n"
            cases.append(dict(kind="dash", label=label, src=f"/media/{urllib.parse.quote(vname)}",
                              type="application/dash+xml",
                              expect_size=f"{w}x{h}" if w and h else None,
                              has_video=True, has_audio=has_audio))
    return cases, virtual


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

class CheckServer(ThreadingHTTPServer):
    """Serves media, player and page; collects what the page POSTs back."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser killed mid-request resets its keep-alive connections: not news.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def __init__(self, media_dir, player_dir, page, virtual, origin=None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.media_dir = media_dir
        self.origin = origin
        self.player_dir = player_dir
        self.page = page.encode()
        self.virtual = {k: v.encode() for k, v in virtual.items()}
        self.lock = threading.Lock()
        self.results = {}    # case id -> final result
        self.progress = {}   # case id -> latest snapshot
        self.meta = {}       # player/browser versions reported by the page
        self.page_log = []   # console-ish lines from the page
        self.http_errors = []  # "404 GET /media/..." lines
        self.origin_retries = []  # proxied requests tried again, and why
        self.done = threading.Event()


class Handler(BaseHTTPRequestHandler):
    server_version = "reel-play-check"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet; errors are kept in server.http_errors
        pass

    # -- responses -----------------------------------------------------------

    def _send(self, status, body=b"", ctype="text/plain; charset=utf-8", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if status >= 400:
            # A 5xx from the proxy says why (origin timeout, refused, reset): keep its first line.
            why = body.decode("utf-8", "replace").strip().splitlines()[:1] if status >= 500 else []
            with self.server.lock:
                self.server.http_errors.append(" ".join([f"{status} {self.command} {self.path}"] + why))

    def _send_bytes(self, data, ctype):
        """Send data, honouring a single `Range: bytes=a-b` request."""
        rng = self.headers.get("Range", "")
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
        if not m or (not m.group(1) and not m.group(2)):
            return self._send(200, data, ctype, {"Accept-Ranges": "bytes"})
        size = len(data)
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:  # suffix range: last N bytes
            start, end = max(0, size - int(m.group(2))), size - 1
        if start >= size or start > end:
            return self._send(416, b"", ctype, {"Content-Range": f"bytes */{size}"})
        return self._send(206, data[start:end + 1], ctype,
                          {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{size}"})

    def _send_file(self, root, rel):
        """Serve root/rel, refusing anything that escapes root."""
        rel = posixpath.normpath(urllib.parse.unquote(rel)).lstrip("/")
        if rel.startswith("..") or rel in ("", "."):
            return self._send(404, b"not found\n")
        path = root / rel
        if not path.is_file():
            return self._send(404, b"not found\n")
        ctype = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return self._send_bytes(path.read_bytes(), ctype)

    def _proxy(self, url):
        """Pass a media request through to the origin, Range header and all.

        A connection the origin refused or dropped before answering is tried
        again (twice), as a CDN in front of an origin would; every such retry
        is reported at the end, so a flaky origin is seen, not hidden."""
        began = time.monotonic()
        for attempt in range(3):
            req = urllib.request.Request(url, method=self.command)
            if self.headers.get("Range"):
                req.add_header("Range", self.headers["Range"])
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    extra = {k: r.headers[k] for k in ("Content-Range", "Accept-Ranges") if r.headers.get(k)}
                    return self._send(r.status, r.read(), r.headers.get("Content-Type", "application/octet-stream"), extra)
            except urllib.error.HTTPError as e:
                return self._send(e.code, e.read(), e.headers.get("Content-Type", "text/plain"))
            except OSError as e:
                took = time.monotonic() - began
                why = f"{type(e).__name__}: {e}"
                if attempt < 2 and isinstance(e, ConnectionError):
                    with self.server.lock:
                        self.server.origin_retries.append(f"{self.path} after {took:.1f} s ({why})")
                    time.sleep(0.2)
                    continue
                return self._send(502, f"origin unreachable after {took:.1f} s: {why}\n".encode())

    # -- routes --------------------------------------------------------------

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        srv = self.server
        if path in ("/", "/__reel/check.html"):
            return self._send(200, srv.page, CONTENT_TYPES[".html"])
        if path == "/favicon.ico":
            return self._send(204)
        if path.startswith("/__reel/player/"):
            return self._send_file(srv.player_dir, path[len("/__reel/player/"):])
        if path.startswith("/media/"):
            rel = urllib.parse.unquote(path[len("/media/"):])
            if rel in srv.virtual:  # generated single-variant master
                return self._send_bytes(srv.virtual[rel], CONTENT_TYPES[".m3u8"])
            if srv.origin:
                return self._proxy(srv.origin + rel)
            return self._send_file(srv.media_dir, rel)
        return self._send(404, b"not found\n")

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        srv = self.server
        try:
            length = int(self.headers.get("Content-Length") or 0)
            msg = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, OSError):
            return self._send(400, b"bad json\n")
        with srv.lock:
            if path == "/__reel/result":
                srv.results[msg["id"]] = msg
            elif path == "/__reel/progress":
                srv.progress[msg["id"]] = msg
            elif path == "/__reel/meta":
                srv.meta.update(msg)
            elif path == "/__reel/log":
                srv.page_log.append(str(msg.get("msg")))
            elif path == "/__reel/done":
                srv.done.set()
            else:
                return self._send(404, b"not found\n")
        return self._send(204)


# ---------------------------------------------------------------------------
# The test page (runs inside Chromium)
# ---------------------------------------------------------------------------

PAGE = r"""<!doctype html>
<html><head><meta charset="utf-8"><title>reel play-check</title>
__CSS__
<script>
// Before the player loads: remember every SourceBuffer created, so each case
// can report what each track (audio/video) actually buffered.  A segment that
// is truncated or fails to decode leaves a hole here even when the element
// still fires 'ended' (Chromium plays on with a frozen frame).
window.__reelSourceBuffers = [];
for (const MS of [window.MediaSource, window.ManagedMediaSource]) {
  if (!MS) continue;
  const orig = MS.prototype.addSourceBuffer;
  MS.prototype.addSourceBuffer = function (type) {
    const sb = orig.call(this, type);
    window.__reelSourceBuffers.push({type, sb});
    return sb;
  };
}
// A browser that cannot decode some codecs (--refuse-codecs): MSE, the
// media element and the Media Capabilities API (what dash.js asks) say no to
// them, as they would on such a device.
const REFUSED = __REFUSED__;
if (REFUSED.length) {
  const refused = t => REFUSED.some(c => String(t).includes(c));
  for (const MS of [window.MediaSource, window.ManagedMediaSource]) {
    if (!MS) continue;
    const orig = MS.isTypeSupported.bind(MS);
    MS.isTypeSupported = t => !refused(t) && orig(t);
  }
  const canPlay = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (t) { return refused(t) ? '' : canPlay.call(this, t); };
  const caps = navigator.mediaCapabilities;
  if (caps && caps.decodingInfo) {
    const decodingInfo = caps.decodingInfo.bind(caps);
    caps.decodingInfo = config => [config.video, config.audio].some(m => m && refused(m.contentType))
      ? Promise.resolve({supported: false, smooth: false, powerEfficient: false, configuration: config})
      : decodingInfo(config);
  }
}
</script>
__PLAYER_TAG__
</head><body><div id="stage"></div>
<script>
'use strict';
const CFG = __CONFIG__;

function post(path, obj) {
  return fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                      body: JSON.stringify(obj), keepalive: true}).catch(() => {});
}
function log(...a) { return post('/__reel/log', {msg: a.map(String).join(' ')}); }
window.addEventListener('error', e => log('page error:', e.message, `${e.filename}:${e.lineno}`));
window.addEventListener('unhandledrejection', e => log('unhandled rejection:', e.reason));

// Per-case sinks for VHS requests and Video.js warnings/errors, so each result
// says which URLs were fetched and what the player logged.
let sink = null;
function hookPlayer() {
  if (CFG.player !== 'videojs') return;
  const H = videojs.Hls || videojs.Vhs;
  if (H && H.xhr) {
    H.xhr.beforeRequest = o => { if (sink) sink.requests.push(o.uri); return o; };
  }
  for (const level of ['warn', 'error']) {
    const orig = videojs.log[level];
    videojs.log[level] = (...a) => {
      if (sink) sink.log.push(level + ': ' + a.map(x => (x && x.message) || String(x)).join(' '));
      return orig.apply(videojs.log, a);
    };
  }
}

// Add [s, e] to a sorted list of disjoint ranges (union).
function addRange(list, s, e) {
  list.push([s, e]);
  list.sort((a, b) => a[0] - b[0]);
  const out = [];
  for (const [a, b] of list) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1e-3) last[1] = Math.max(last[1], b); else out.push([a, b]);
  }
  list.splice(0, list.length, ...out);
}

// The players behind one small interface: Video.js with VHS (HLS and DASH),
// hls.js (HLS only; it reads CODECS and plays what MSE says it can) or dash.js
// (DASH only; it asks MSE and the Media Capabilities API).
function videojsPlayer(c, el, r) {
  const player = videojs(el, {
    muted: true, autoplay: false, preload: 'auto', controls: false, width: 480, height: 270,
    // overrideNative: Chromium now claims native HLS; force VHS (MSE) playback.
    html5: {hls: {overrideNative: true}, vhs: {overrideNative: true},
            nativeAudioTracks: false, nativeVideoTracks: false},
  });
  const tech = () => player.tech({IWillNotUseThisInPlugins: true});
  return {
    video: () => tech() && tech().el(),
    playlist: () => {
      const vhs = tech() && (tech().vhs || tech().hls);
      const media = vhs && vhs.playlists && vhs.playlists.media && vhs.playlists.media();
      return media ? media.resolvedUri || media.uri || null : null;
    },
    onError: cb => player.on('error', () => cb(player.error() || {})),
    on: (event, cb) => player.on(event, cb),
    one: (event, cb) => player.one(event, cb),
    rate: x => player.playbackRate(x),
    start: () => { player.src({src: c.src, type: c.type}); return player.play(); },
    dispose: () => player.dispose(),
  };
}

function hlsjsPlayer(c, el, r) {
  const video = document.createElement('video');
  video.muted = true; video.playsInline = true; video.preload = 'auto'; video.width = 480; video.height = 270;
  el.appendChild(video);
  const hls = new window.Hls({
    enableWorker: false,
    xhrSetup: (xhr, url) => { if (sink) sink.requests.push(url); },
    fetchSetup: (context, init) => { if (sink) sink.requests.push(context.url); return new Request(context.url, init); },
  });
  let level = null;
  hls.on(window.Hls.Events.LEVEL_SWITCHED, (_, d) => { const l = hls.levels[d.level]; level = l && l.url && l.url[0] || l && l.uri || null; });
  const errorCbs = [];
  hls.on(window.Hls.Events.ERROR, (_, d) => {
    const text = `${d.type}: ${d.details}` + (d.reason ? ` (${d.reason})` : '') + (d.error ? ` ${d.error.message || d.error}` : '');
    if (sink) sink.log.push((d.fatal ? 'error: ' : 'warn: ') + text);
    if (d.fatal) errorCbs.forEach(cb => cb({code: null, message: text}));
  });
  video.addEventListener('error', () => errorCbs.forEach(cb => cb(video.error || {})));
  return {
    video: () => video,
    playlist: () => level,
    onError: cb => errorCbs.push(cb),
    on: (event, cb) => video.addEventListener(event, cb),
    one: (event, cb) => video.addEventListener(event, cb, {once: true}),
    rate: x => { video.playbackRate = x; },
    start: () => { hls.loadSource(new URL(c.src, location.href).href); hls.attachMedia(video); return video.play(); },
    dispose: () => { hls.destroy(); video.remove(); },
  };
}

function dashjsPlayer(c, el, r) {
  const video = document.createElement('video');
  video.muted = true; video.playsInline = true; video.preload = 'auto'; video.width = 480; video.height = 270;
  el.appendChild(video);
  const player = window.dashjs.MediaPlayer().create();
  // No clock source from the internet: Reel's MPDs are static (a live one would carry UTCTiming).
  // No "seek fix": dash.js 5.1 seeks a static stream to its last 0.1 s when every video segment
  // is buffered before playback has started (its gap check runs before its last-segment check),
  // which a video shorter than its 18 s buffer goal on a fast link can hit (docs/media.md).
  player.updateSettings({streaming: {utcSynchronization: {enabled: false}, gaps: {enableSeekFix: false}},
                         debug: {logLevel: 3}});
  // dash.js logs its warnings to the console: keep them with the case.
  for (const level of ['warn', 'error']) {
    const orig = console[level];
    console[level] = (...a) => { if (sink) sink.log.push(level + ': ' + a.map(String).join(' ').slice(0, 400)); return orig.apply(console, a); };
  }
  player.addRequestInterceptor(async req => { if (sink) sink.requests.push(req.url); return req; });
  const errorCbs = [];
  player.on('error', e => {
    const err = e && e.error || {};
    const text = `dash.js error ${err.code === undefined ? '' : err.code}: ${err.message || JSON.stringify(err).slice(0, 300)}`;
    if (sink) sink.log.push('error: ' + text);
    errorCbs.forEach(cb => cb({code: err.code === undefined ? null : err.code, message: text}));
  });
  video.addEventListener('error', () => errorCbs.forEach(cb => cb(video.error || {})));
  return {
    video: () => video,
    playlist: () => { try { const rep = player.getCurrentRepresentationForType('video'); return rep ? rep.id : null; } catch (e) { return null; } },
    onError: cb => errorCbs.push(cb),
    on: (event, cb) => video.addEventListener(event, cb),
    one: (event, cb) => video.addEventListener(event, cb, {once: true}),
    rate: x => { video.playbackRate = x; },
    // autoplay: dash.js calls play() itself once the stream is set up (a play() before that races it).
    start: () => { player.initialize(video, new URL(c.src, location.href).href, true); return null; },
    dispose: () => { player.destroy(); video.remove(); },
  };
}

const PLAYERS = {videojs: videojsPlayer, hlsjs: hlsjsPlayer, dashjs: dashjsPlayer};
// The ES-module players arrive after this script has started; each sets its global.
const loaded = () => CFG.player === 'videojs' ? typeof videojs !== 'undefined' : CFG.player === 'hlsjs' ? !!window.Hls : !!window.dashjs;

function runCase(c) {
  return new Promise(resolve => {
    const r = {id: c.id, ended: false, t: 0, duration: null, sizes: [], errors: [], log: [],
               requests: [], reason: null, frames: null, dropped: null, audioBytes: null,
               videoBytes: null, playlist: null, tracks: [], httpErrors: [], final: false, startupMs: null};
    sink = r;
    window.__reelSourceBuffers.length = 0;
    performance.clearResourceTimings();
    const el = document.createElement(CFG.player === 'videojs' ? 'video-js' : 'div');
    el.setAttribute('muted', '');
    el.setAttribute('playsinline', '');
    document.getElementById('stage').appendChild(el);
    const player = PLAYERS[CFG.player](c, el, r);
    const video = () => player.video();
    let done = false, lastT = -1, lastProgress = performance.now(), nearEndSince = null, lastSnap = 0;

    function sample() {
      const v = video();
      if (!v) return;
      const t = v.currentTime || 0, d = v.duration;
      r.t = Math.max(r.t, t);
      r.duration = Number.isFinite(d) && d > 0 ? d : r.duration;
      if (v.videoWidth && v.videoHeight) {
        const s = v.videoWidth + 'x' + v.videoHeight;
        if (!r.sizes.includes(s)) r.sizes.push(s);
      }
      if (v.getVideoPlaybackQuality) {
        const q = v.getVideoPlaybackQuality();
        r.frames = q.totalVideoFrames; r.dropped = q.droppedVideoFrames;
      }
      if ('webkitAudioDecodedByteCount' in v) {
        r.audioBytes = v.webkitAudioDecodedByteCount; r.videoBytes = v.webkitVideoDecodedByteCount;
      }
      const playlist = player.playlist();
      if (playlist) r.playlist = playlist;
      r.readyState = v.readyState;
      // Union of what each SourceBuffer has held so far (sampled, so content
      // the player later evicts from the back buffer is still counted).
      window.__reelSourceBuffers.forEach(({type, sb}, i) => {
        const tr = r.tracks[i] || (r.tracks[i] = {type, ranges: []});
        let b;
        try { b = sb.buffered; } catch (e) { return; }  // removed from its MediaSource
        for (let k = 0; k < b.length; k++) addRange(tr.ranges, b.start(k), b.end(k));
      });
    }

    function finish(reason) {
      if (done) return;
      done = true;
      clearInterval(timer);
      try { sample(); } catch (e) { r.log.push('sample failed: ' + e); }
      r.reason = reason; r.final = true;
      // Failed HTTP responses of this case (Resource Timing knows the status).
      for (const e of performance.getEntriesByType('resource'))
        if (e.responseStatus >= 400) r.httpErrors.push(e.responseStatus + ' ' + new URL(e.name).pathname);
      sink = null;
      try { player.dispose(); } catch (e) { r.log.push('dispose failed: ' + e); }
      resolve(r);
    }

    player.onError(e => {
      // The player's MediaError, plus the browser's own detail (e.g. Chromium's
      // CHUNK_DEMUXER_ERROR_... text) when it comes from the media element.
      const v = video();
      const detail = v && v.error && v.error.message ? v.error.message : null;
      r.errors.push({code: e.code === undefined ? null : e.code, message: e.message || '', detail});
      finish('error');
    });
    player.on('ended', () => { r.ended = true; finish('ended'); });
    // Start-up: from handing the player its source to the first frame playing.
    let asked = null;
    player.one('playing', () => { if (asked !== null) r.startupMs = Math.round(performance.now() - asked); });
    player.on('loadedmetadata', () => { if (CFG.rate !== 1) player.rate(CFG.rate); });

    const timer = setInterval(() => {
      try { sample(); } catch (e) { r.log.push('sample failed: ' + e); }
      const now = performance.now();
      if (r.t > lastT + 0.01) { lastT = r.t; lastProgress = now; }
      // At the end but no 'ended' yet: give it a moment, then accept. Only once
      // the element holds media at its position or has shown a frame:
      // a clip shorter than the tolerance is "near the end" before its first
      // segment has arrived, and a slow fetch must not pass for playback.
      if (r.duration && r.t >= r.duration - CFG.endTolerance && (r.readyState >= 2 || r.frames > 0)) {
        nearEndSince = nearEndSince || now;
        if (now - nearEndSince > 1500) return finish('near-end');
      }
      if (now - lastProgress > CFG.stallSeconds * 1000) return finish('stalled');
      if (now - lastSnap > 1000) { lastSnap = now; post('/__reel/progress', r); }
    }, 200);

    try {
      asked = performance.now();
      const p = player.start();
      if (p && p.catch) p.catch(err => {
        // AbortError just means a load interrupted play(); anything else (e.g.
        // NotAllowedError from the autoplay policy) means it cannot play.
        if (err && err.name !== 'AbortError' && !done)
          r.errors.push({code: null, message: 'play() rejected: ' + err.name + ': ' + err.message, detail: null});
      });
    } catch (e) {
      r.errors.push({code: null, message: 'exception: ' + e, detail: null});
      finish('exception');
    }
  });
}

(async () => {
  performance.setResourceTimingBufferSize(100000);
  for (let n = 0; n < 100 && !loaded(); n++) await new Promise(ok => setTimeout(ok, 100));
  if (!loaded()) {
    await post('/__reel/meta', {fatal: CFG.player + ' did not load'});
    await post('/__reel/done', {});
    return;
  }
  hookPlayer();
  await post('/__reel/meta', CFG.player === 'videojs' ? {
    player: `video.js ${videojs.VERSION} + VHS ${videojs.HlsSourceHandler ? videojs.HlsSourceHandler.VERSION : null}`,
    userAgent: navigator.userAgent,
  } : CFG.player === 'hlsjs' ? {player: `hls.js ${window.Hls.version}`, userAgent: navigator.userAgent}
    : {player: `dash.js ${window.dashjs.MediaPlayer().create().getVersion()}`, userAgent: navigator.userAgent});
  for (const c of CFG.cases) {
    const r = await runCase(c);
    await post('/__reel/result', r);
  }
  await post('/__reel/done', {});
})();
</script></body></html>
"""


def build_page(cases, js_name, css_name, args):
    config = {
        "cases": [{k: c[k] for k in ("id", "src", "type")} for c in cases],
        "stallSeconds": args.stall,
        "rate": args.rate,
        "endTolerance": END_TOLERANCE,
        "player": args.player,
    }
    css = f'<link rel="stylesheet" href="/__reel/player/{css_name}">' if css_name else ""
    if args.player == "hlsjs":
        # The module's export names differ between builds: take the class with isSupported().
        tag = ('<script type="module">const m = await import("/__reel/player/' + js_name + '");'
               'window.Hls = m.default && m.default.isSupported ? m.default'
               ' : Object.values(m).find(v => typeof v === "function" && typeof v.isSupported === "function");</script>')
    elif args.player == "dashjs":
        tag = '<script type="module">window.dashjs = await import("/__reel/player/' + js_name + '");</script>'
    else:
        tag = f'<script src="/__reel/player/{js_name}"></script>'
    refused = [c.strip() for c in args.refuse_codecs.split(",") if c.strip()]
    return (PAGE.replace("__CONFIG__", json.dumps(config).replace("</", "<\\/"))
                .replace("__REFUSED__", json.dumps(refused))
                .replace("__CSS__", css).replace("__PLAYER_TAG__", tag))


# ---------------------------------------------------------------------------
# Chromium
# ---------------------------------------------------------------------------

def start_chromium(binary, url, profile_dir, stderr_file):
    args = [
        binary,
        "--headless=new",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={profile_dir}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--disable-dev-shm-usage",
        "--window-size=800,600",
        url,
    ]
    if os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
    # New session => its own process group (id == our child's PID), so the
    # whole browser (zygote, renderer, GPU helper...) can be killed by that id.
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stderr_file,
                            stderr=stderr_file, start_new_session=True)


def stop_chromium(proc):
    """Terminate Chromium's process group (pgid == proc.pid), escalating to SIGKILL."""
    if proc is None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
            # The leader is gone; make sure no helper of that group lingers.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            break
        except subprocess.TimeoutExpired:
            continue


def run_chromium(chromium, url, server, timeout, tail=25):
    """Opens url in a headless Chromium until server.done is set, Chromium
    exits or `timeout` seconds pass; then stops Chromium and the server.
    Returns (timed_out, exit_note, the last lines Chromium printed)."""
    profile = tempfile.mkdtemp(prefix="reel-chromium-")
    browser_log = open(os.path.join(profile, "chromium.log"), "w+b")
    proc = None
    timed_out = False
    exit_note = None
    try:
        proc = start_chromium(chromium, url, os.path.join(profile, "profile"), browser_log)
        deadline = time.monotonic() + timeout
        while not server.done.wait(0.2):
            if proc.poll() is not None:
                exit_note = f"chromium exited early with status {proc.returncode}"
                break
            if time.monotonic() > deadline:
                timed_out = True
                break
    finally:
        stop_chromium(proc)
        server.shutdown()
        server.server_close()
        browser_log.seek(0)
        # Chromium's stderr minus the D-Bus noise of a desktop-less machine.
        browser_tail = [l for l in browser_log.read().decode(errors="replace").splitlines()
                        if "dbus" not in l.lower()][-tail:]
        browser_log.close()
        shutil.rmtree(profile, ignore_errors=True)
    return timed_out, exit_note, browser_tail


# ---------------------------------------------------------------------------
# Verdicts and report
# ---------------------------------------------------------------------------

def track_name(mime):
    """'video/mp4;codecs="avc1.640028"' -> 'video (avc1.640028)'."""
    kind = mime.split("/")[0].strip()
    codecs = re.search(r'codecs="?([^";]+)', mime)
    return f"{kind} ({codecs.group(1)})" if codecs else kind


def fmt_ranges(ranges):
    return " ".join(f"{a:.3f}-{b:.3f}" for a, b in ranges) or "nothing"


def track_holes(ranges, duration):
    """Spans of [0, duration] a track had no media for, ignoring tiny seams."""
    if not ranges:
        return [(0.0, duration or 0.0)]
    holes = []
    if ranges[0][0] > MAX_GAP:
        holes.append((0.0, ranges[0][0]))
    holes += [(b, c) for (_, b), (c, _) in zip(ranges, ranges[1:]) if c - b > MAX_GAP]
    if duration and ranges[-1][1] < duration - END_TOLERANCE:
        holes.append((ranges[-1][1], duration))
    return holes


def judge(case, r, timed_out, verbose=False, forbid=()):
    """(passed, one-line summary, [detail lines]) for a case and its result.

    Detail lines (reasons, the player's errors and log, failed requests, what
    each track buffered) are given for a failed case, and for every case when
    verbose."""
    name = f"{case['kind']} {case['label']}"
    if r is None:
        why = "no result before --timeout" if timed_out else "no result (browser exited?)"
        return False, f"{name} ended=0 t=?/? size=? errors=? ({why})", []
    dur = r.get("duration")
    t = r.get("t") or 0.0
    reached = bool(r.get("ended")) or (dur is not None and t >= dur - END_TOLERANCE)
    sizes = r.get("sizes") or []
    errors = r.get("errors") or []
    tracks = r.get("tracks") or []

    reasons = []
    if not r.get("final"):
        reasons.append("did not finish before --timeout (last progress snapshot shown)")
    if not reached and r.get("final"):
        reasons.append(f"playback stopped at t={t:.2f}" + (f" of {dur:.2f}" if dur else "")
                       + (f" ({r['reason']})" if r.get("reason") else ""))
    if errors:
        reasons.append(f"{len(errors)} player error(s)")
    if case["has_video"] and not sizes:
        reasons.append("no video frame size seen (videoWidth/videoHeight stayed 0)")
    if case["expect_size"] and sizes and sizes != [case["expect_size"]]:
        reasons.append(f"expected size {case['expect_size']} (RESOLUTION), saw {','.join(sizes)}")
    if case["has_audio"] and r.get("audioBytes") == 0:
        reasons.append("manifest declares audio but no audio was decoded")
    if reached:  # holes only matter once the player claims it got to the end
        for tr in tracks:
            holes = track_holes(tr["ranges"], dur)
            if holes:
                reasons.append(f"{track_name(tr['type'])} has no media for "
                               + ", ".join(f"{a:.2f}-{b:.2f}s" for a, b in holes)
                               + f" (buffered {fmt_ranges(tr['ranges'])})")
    if r.get("httpErrors"):
        reasons.append(f"{len(r['httpErrors'])} failed HTTP request(s)")
    if forbid and not r.get("requests"):
        reasons.append("the player's requests were not recorded, so --forbid cannot be checked")
    for pattern in forbid:
        asked = [urllib.parse.urlsplit(u).path for u in r.get("requests") or [] if pattern in u]
        if asked:
            reasons.append(f"fetched {len(asked)} URL(s) containing {pattern!r} (--forbid), first {asked[0]}")
    passed = not reasons

    dur_text = f"{dur:.2f}" if dur is not None else "?"
    line = (f"{name} ended={1 if r.get('ended') else 0} t={t:.2f}/{dur_text}"
            f" size={','.join(sizes) or '?'} errors={len(errors)}")
    if r.get("frames") is not None:
        line += f" frames={r['frames']}" + (f" dropped={r['dropped']}" if r.get("dropped") else "")
    if r.get("audioBytes") is not None:
        line += f" audio={r['audioBytes']}B"
    if r.get("startupMs") is not None:
        line += f" startup={r['startupMs']}ms"
    # The video codecs MSE was given (a muxed variant's video SourceBuffer lists its audio codec too).
    video_codecs = sorted({c.strip() for tr in tracks if tr["type"].startswith("video")
                           for m in [re.search(r'codecs="?([^";]+)', tr["type"])] if m
                           for c in m.group(1).split(",") if c.strip() and not c.strip().startswith(_AUDIO_CODECS)})
    if video_codecs:
        line += f" video={','.join(video_codecs)}"

    details = [f"reason: {x}" for x in reasons]
    if not passed or verbose:
        for e in errors:
            details.append(f"error: code={e.get('code')} message={e.get('message')!r}"
                           + (f" browser={e.get('detail')!r}" if e.get("detail") else ""))
        # The player logs each error it raises too; those are shown above already.
        logs = [x for x in r.get("log") or [] if not (errors and x.startswith("error: (CODE:"))]
        details += [f"player log: {x}" for x in counted(logs)[-10:]]
        details += [f"http: {x}" for x in counted(r.get("httpErrors") or [])[-10:]]
        for tr in tracks:
            details.append(f"buffered {track_name(tr['type'])}: {fmt_ranges(tr['ranges'])}")
        if r.get("playlist") and "placeholder-uri" not in r["playlist"]:  # VHS's name for DASH ones
            details.append(f"last media playlist: {urllib.parse.urlsplit(r['playlist']).path}")
        reqs = counted([urllib.parse.urlsplit(u).path for u in r.get("requests") or []])
        if reqs:
            details.append("requests: " + "  ".join(reqs[-16:]))
    return passed, line, details


def counted(items):
    """Collapse repeats, keeping first-seen order: ['a', 'a', 'b'] -> ['a (x2)', 'b']."""
    counts = {}
    for x in items:
        counts[x] = counts.get(x, 0) + 1
    return [x if n == 1 else f"{x} (x{n})" for x, n in counts.items()]


def ensure_installed(no_install):
    """Run install-player.sh when the browser or the player is missing."""
    if find_chromium() and find_player_dir() and all(find_module(p) for p in MODULE_PLAYERS):
        return
    if no_install or (os.environ.get("REEL_PLAYER_JS_DIR") and find_chromium()):
        return
    log(f"browser or player missing; running {INSTALL_SCRIPT.relative_to(REPO)}")
    subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", help="packaged video folder (master.m3u8 / manifest.mpd), or the URL of a video on Reel's API")
    ap.add_argument("--timeout", type=float, default=60, help="overall limit in seconds (default 60)")
    ap.add_argument("--stall", type=float, default=15,
                    help="fail a case whose currentTime has not advanced for this many seconds (default 15)")
    ap.add_argument("--rate", type=float, default=1.0, help="playbackRate (default 1)")
    ap.add_argument("--hls", default="master.m3u8", help="HLS master name in FOLDER (default master.m3u8)")
    ap.add_argument("--dash", default="manifest.mpd", help="DASH manifest name in FOLDER (default manifest.mpd)")
    ap.add_argument("--no-install", action="store_true", help="never run install-player.sh")
    ap.add_argument("--only", default="", help="only the cases with these labels, comma-separated (e.g. abr)")
    ap.add_argument("--player", choices=("videojs", "hlsjs", "dashjs"), default="videojs",
                    help="videojs: Video.js 7 + VHS, HLS and DASH (default); hlsjs: hls.js 1.x, HLS only; "
                         "dashjs: dash.js 5, DASH only (both read AV1 in fMP4)")
    ap.add_argument("--refuse-codecs", default="",
                    help="codec prefixes the page's MSE and canPlayType refuse, comma-separated (e.g. av01: a device without AV1)")
    ap.add_argument("--forbid", action="append", default=[],
                    help="fail a case that fetched a URL containing this text (repeatable; e.g. -av1)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print page/browser logs")
    args = ap.parse_args()

    origin = None
    if args.folder.startswith(("http://", "https://")):
        # Fetch the manifests once to plan the cases; media comes from the origin as played.
        origin = args.folder.rstrip("/") + "/"
        folder = Path(tempfile.mkdtemp(prefix="reel-play-origin-"))
        for name in (args.hls, args.dash):
            try:
                with urllib.request.urlopen(origin + name, timeout=30) as r:
                    (folder / name).write_bytes(r.read())
            except (urllib.error.HTTPError, OSError) as e:
                log(f"{origin}{name}: {e}")
    else:
        folder = Path(args.folder).resolve()
    if not folder.is_dir():
        log(f"{folder}: not a folder")
        return 2

    # Cases, in page order; a missing manifest is a failure of its own.
    cases, virtual, missing = [], {}, []
    kinds = (("hls", args.hls, hls_cases), ("dash", args.dash, dash_cases))
    for kind, name, make in {"hlsjs": kinds[:1], "dashjs": kinds[1:]}.get(args.player, kinds):
        if not (folder / name).is_file():
            missing.append(f"{kind} {name}")
            continue
        new_cases, new_virtual = make(folder, name)
        cases += new_cases
        virtual.update(new_virtual)
    if not cases:
        log(f"{folder}: neither {args.hls} nor {args.dash} found")
        return 2
    if args.only:
        wanted = {label.strip() for label in args.only.split(",")}
        cases = [c for c in cases if c["label"] in wanted]
    for n, c in enumerate(cases):
        c["id"] = f"c{n}"

    ensure_installed(args.no_install)
    chromium = find_chromium()
    module = find_module(args.player) if args.player in MODULE_PLAYERS else None
    player_dir = module.parent if module else find_player_dir()
    if not chromium:
        log("chromium not found: run scripts/services/install-player.sh (or set REEL_CHROMIUM)")
        return 2
    if not player_dir:
        log("video.js not found: run scripts/services/install-player.sh, or set REEL_PLAYER_JS_DIR "
            "to a folder with video.js/video.min.js and video-js.css")
        return 2
    if args.player in MODULE_PLAYERS and not module:
        log(f"{args.player} not found: run scripts/services/install-player.sh, or set "
            f"{MODULE_PLAYERS[args.player][0]} to the player as an ES module")
        return 2
    js_name, css_name = (module.name, None) if module else player_assets(player_dir)

    page = build_page(cases, js_name, css_name, args)
    server = CheckServer(folder, player_dir, page, virtual, origin)
    server_thread = threading.Thread(target=server.serve_forever, name="play-check-http", daemon=True)
    server_thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/__reel/check.html"

    timed_out, exit_note, browser_tail = run_chromium(chromium, url, server, args.timeout)

    # Report.
    meta = server.meta
    if meta.get("player"):
        ua = re.search(r"(?:Headless)?Chrome/[\d.]+", meta.get("userAgent", ""))
        print(f"# player: {meta['player']}, "
              f"browser: {ua.group(0) if ua else meta.get('userAgent')}, server: {url.rsplit('/', 2)[0]}")
    if meta.get("fatal"):
        print(f"# page: {meta['fatal']}")
    if exit_note:
        print(f"# {exit_note}")
    if timed_out:
        print(f"# overall --timeout of {args.timeout:g}s reached; chromium killed")

    passed = failed = 0
    for m in missing:
        print(f"FAIL {m} (manifest missing)")
        failed += 1
    for c in cases:
        r = server.results.get(c["id"]) or server.progress.get(c["id"])
        ok, line, details = judge(c, r, timed_out, args.verbose, args.forbid)
        print(("PASS " if ok else "FAIL ") + line)
        for d in details:
            print(f"    {d}")
        passed += ok
        failed += not ok

    if args.verbose or failed:
        if server.http_errors:
            print("# http errors: " + "; ".join(counted(server.http_errors)[:20]))
        if server.origin_retries:
            print("# origin retries: " + "; ".join(server.origin_retries[:20]))
        if args.verbose:
            for l in server.page_log:
                print(f"# page: {l}")
            for l in browser_tail:
                print(f"# chromium: {l}")
        elif exit_note or (timed_out and not server.results):
            for l in browser_tail:
                print(f"# chromium: {l}")

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
