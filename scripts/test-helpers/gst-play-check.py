#!/usr/bin/python3
"""Plays an HLS or DASH URL headless with GStreamer, the second player beside
Chromium in Reel's playback tests, and says whether it reached the end.

    scripts/test-helpers/gst-play-check.py URL [--demuxer legacy|new] [--timeout 60] [--stall 10]
                              [--throttle REGEX:BYTES_PER_SECOND ...]

legacy: playbin with hlsdemux / dashdemux (what gst-play-1.0 uses on Debian 12);
new:    playbin3 with hlsdemux2 / dashdemux2.
The other family's demuxers are ranked out, so the choice is certain. Prints one
JSON line: result (eos, stall or error), the demuxer actually used, decoded video
frames and audio buffers, the last video timestamp. Exit status 0 only at the
end of the stream. --throttle plays through a loopback proxy that sends the
paths matching REGEX at that rate: it forces the races a slow network makes
(a variant switch while the audio's last segment downloads). Needs Debian's python3-gi and gstreamer1.0-plugins-good,
-plugins-bad and -libav (scripts/test.sh installs them); it runs with Debian's
python3, which has gi.
"""
import argparse
import http.server
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

FAMILIES = {"legacy": ("hlsdemux", "dashdemux"), "new": ("hlsdemux2", "dashdemux2")}


def play(url, family, timeout, stall):
    Gst.init(None)
    registry = Gst.Registry.get()
    other = FAMILIES["new" if family == "legacy" else "legacy"]
    for name in other:
        feature = registry.find_feature(name, Gst.ElementFactory)
        if feature:
            feature.set_rank(Gst.Rank.NONE)
    pipeline = Gst.ElementFactory.make("playbin3" if family == "new" else "playbin", None)
    pipeline.set_property("uri", url)
    seen = {"frames": 0, "audio": 0, "last_pts": None, "demuxers": set(), "eos": False, "error": None,
            "progress": time.monotonic()}

    def sink(kind):
        element = Gst.ElementFactory.make("fakesink", None)
        element.set_property("sync", False)
        element.set_property("signal-handoffs", True)

        def handoff(_sink, buffer, _pad):
            seen[kind] += 1
            seen["progress"] = time.monotonic()
            if kind == "frames" and buffer.pts != Gst.CLOCK_TIME_NONE:
                seen["last_pts"] = buffer.pts / Gst.SECOND

        element.connect("handoff", handoff)
        return element

    pipeline.set_property("video-sink", sink("frames"))
    pipeline.set_property("audio-sink", sink("audio"))

    def added(_bin, _sub, element):
        factory = element.get_factory()
        if factory and factory.get_name() in FAMILIES["legacy"] + FAMILIES["new"]:
            seen["demuxers"].add(factory.get_name())

    pipeline.connect("deep-element-added", added)
    loop = GLib.MainLoop()
    bus = pipeline.get_bus()
    bus.add_signal_watch()

    def message(_bus, msg):
        if msg.type == Gst.MessageType.EOS:
            seen["eos"] = True
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            error, detail = msg.parse_error()
            seen["error"] = f"{error.message} ({detail})"
            loop.quit()

    bus.connect("message", message)
    start = time.monotonic()

    def watchdog():
        now = time.monotonic()
        if now - start > timeout or now - seen["progress"] > stall:
            loop.quit()
            return False
        return True

    GLib.timeout_add(200, watchdog)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    result = "eos" if seen["eos"] else ("error" if seen["error"] else "stall")
    return {"url": url, "family": family, "demuxer": ",".join(sorted(seen["demuxers"])) or "?", "result": result,
            "frames": seen["frames"], "audio_buffers": seen["audio"], "last_pts": seen["last_pts"],
            "error": seen["error"], "seconds": round(time.monotonic() - start, 2)}


def throttling_proxy(url, throttles):
    """Starts a loopback HTTP proxy to URL's origin that sends the paths matching
    a throttle's regex at its rate; returns (server, URL through the proxy)."""
    origin = urllib.parse.urlsplit(url)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            rate = next((r for pattern, r in throttles if pattern.search(urllib.parse.urlsplit(self.path).path)), None)
            request = urllib.request.Request(f"{origin.scheme}://{origin.netloc}{self.path}",
                                             headers={k: v for k, v in self.headers.items() if k.lower() in ("range", "user-agent")})
            try:
                reply = urllib.request.urlopen(request, timeout=30)
            except urllib.error.HTTPError as error:
                reply = error
            body = reply.read()
            self.send_response(reply.status)
            for name in ("Content-Type", "Content-Range", "Cache-Control"):
                if reply.headers.get(name):
                    self.send_header(name, reply.headers[name])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            chunk = max(1, (rate or len(body) or 1) // 10)
            for at in range(0, len(body), chunk):
                self.wfile.write(body[at:at + chunk])
                if rate:
                    time.sleep(chunk / rate)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    via = origin._replace(netloc=f"127.0.0.1:{server.server_address[1]}")
    return server, urllib.parse.urlunsplit(via)


def throttle(text):
    pattern, _, rate = text.rpartition(":")
    if not pattern or not rate.isdigit() or int(rate) <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not REGEX:BYTES_PER_SECOND")
    return re.compile(pattern), int(rate)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--demuxer", choices=sorted(FAMILIES), default="legacy")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--stall", type=float, default=10)
    parser.add_argument("--throttle", type=throttle, action="append", default=[])
    args = parser.parse_args()
    server, url = throttling_proxy(args.url, args.throttle) if args.throttle else (None, args.url)
    try:
        outcome = play(url, args.demuxer, args.timeout, args.stall)
    finally:
        if server:
            server.shutdown()
            server.server_close()
    print(json.dumps(outcome), flush=True)
    return 0 if outcome["result"] == "eos" else 1


if __name__ == "__main__":
    sys.exit(main())
