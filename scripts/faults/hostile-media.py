#!/usr/bin/env python3
"""Hostile media through the whole product: every clip of make-test-clips.sh
plus fuzzed variants (truncated and bit-flipped real files, Reel's own
output among them) are uploaded to a running API and followed to their end.
Run by scripts/faults/hostile-media.sh, which starts the services and builds reel.

    python3 scripts/faults/hostile-media.py --reel BIN --dir DIR --clips CLIPS [--variants 200] [--seed 6] [--timeout 1500]

For each input it prints one line: `OUTCOME name status detail`, where status
is `playable` (ready, and its playlists and every segment answer 200) or
`failed` with the message the uploader gets, or `stuck` when it reached
neither in time.  It checks that no worker process crashed (they are started
once and must all be alive at the end, never restarted), that every failure
says why, and that a failed video's jobs stopped at their first attempt.
Besides, HLS/DASH/concat/SDP inputs name a real clip, a FIFO tripwire and a
loopback URL: nothing may open either (`named_reads`).
The last line: `RESULT inputs=… playable=… failed=… stuck=… unclear_failures=… worker_crashes=… named_reads=…`;
exit status 0 only with no stuck input, no unclear failure, no crash and no read of a named file.
"""

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("chaos", HERE / "chaos.py")
chaos = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chaos)

# The clips make-test-clips.sh writes that are real, playable videos: the seeds of the variants.
SEEDS = ["rotated.mp4", "long-gop.mp4", "vfr.mp4", "one-frame.mp4", "hevc10.mp4"]


def fuzz(clips, folder, count, seed):
    """`count` variants of the seed clips and of one fragmented MP4 Reel wrote:
    half cut short at a random byte, half with 1-64 random bits flipped (a
    third of those only in the first 4 KiB, where the container's boxes are)."""
    rng = random.Random(seed)
    sources = [clips / name for name in SEEDS if (clips / name).exists()]
    fragmented = folder / "reel-output.mp4"
    if fragmented.exists():
        sources.append(fragmented)
    variants = []
    for n in range(count):
        source = sources[(n // 2) % len(sources)]
        data = bytearray(source.read_bytes())
        if n % 2 == 0:
            cut = rng.randrange(1, len(data))
            data = data[:cut]
            name = f"{n:03d}-{source.stem}-cut-{cut}.mp4"
        else:
            flips = rng.randint(1, 64)
            span = min(len(data), 4096) if n % 3 == 0 else len(data)
            for _ in range(flips):
                at = rng.randrange(span)
                data[at] ^= 1 << rng.randrange(8)
            name = f"{n:03d}-{source.stem}-flip-{flips}{'-head' if span < len(data) else ''}.mp4"
        path = folder / name
        path.write_bytes(bytes(data))
        variants.append(path)
    return variants


class Tripwire:
    """What a hostile playlist names: a FIFO whose opening for reading by
    anyone wakes a thread blocked opening it for writing, and a loopback port
    nobody serves whose queued connections are counted. Both must stay at 0."""

    def __init__(self, folder):
        import socket
        import threading
        self.fifo = folder / "tripwire.fifo"
        if self.fifo.exists():
            self.fifo.unlink()
        os.mkfifo(self.fifo)
        self.opens = 0
        self.stopping = False

        def watch():
            while True:
                fd = os.open(self.fifo, os.O_WRONLY)  # returns when a reader opens it
                os.close(fd)
                if self.stopping:
                    return
                self.opens += 1

        self.thread = threading.Thread(target=watch, daemon=True)
        self.thread.start()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/segment0.ts"

    def touches(self):
        connections = 0
        while True:
            try:
                conn, _ = self.listener.accept()
                conn.close()
                connections += 1
            except BlockingIOError:
                break
        self.stopping = True
        reader = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)  # releases the watching thread
        self.thread.join(5)
        os.close(reader)
        return self.opens, connections


def referencing_inputs(folder, clips, wire):
    """Uploads that name other files, each naming a real clip, the tripwire
    FIFO and the tripwire URL; and a long stream in a small file (2 hours of
    16x16 frames) that must be refused by its duration."""
    clip = (clips / "rotated.mp4").resolve()
    named = [str(clip), str(wire.fifo), wire.url]
    texts = {
        "hls-playlist.mp4": "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
        + "".join(f"#EXTINF:10.0,\n{n}\n" for n in named) + "#EXT-X-ENDLIST\n",
        "hls-master.mp4": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000\n" + wire.url.replace("segment0.ts", "index.m3u8") + "\n",
        "ffconcat.mp4": "ffconcat version 1.0\n" + "".join(f"file '{n}'\n" for n in named),
        "session.sdp.mp4": "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n"
        + f"m=video {wire.url.split(':')[2].split('/')[0]} RTP/AVP 96\na=rtpmap:96 H264/90000\n",
        "dash.mpd.mp4": '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
        + 'mediaPresentationDuration="PT10S"><Period><AdaptationSet><Representation id="0" bandwidth="1">'
        + f"<BaseURL>{wire.url}</BaseURL></Representation></AdaptationSet></Period></MPD>\n",
    }
    paths = []
    for name, text in texts.items():
        (folder / name).write_text(text)
        paths.append(folder / name)
    long = folder / "two-hours-16x16.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=black:s=16x16:r=1", "-t", "7200",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "7200", "-f", "mpegts", str(long)], check=True)
    paths.append(long)
    return paths


class Hostile:
    def __init__(self, args):
        self.args = args
        self.reel = args.reel
        self.dir = Path(args.dir).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.procs = chaos.Processes(self.dir)
        self.database = os.environ["REEL_DATABASE_URL"]
        self.port = chaos.free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update({"REEL_DATA_DIR": str(self.dir / "data"), "REEL_LOG_LEVEL": "warning",
                         "REEL_REGIONS": "home=file:regions/home,far=file:regions/far"})

    def sql(self, query):
        done = subprocess.run(["psql", self.database, "-XAtq", "-F", "\t", "-c", query], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr.strip()}")
        return [line.split("\t") for line in done.stdout.strip().splitlines()]

    def upload(self, path):
        request = urllib.request.Request(f"{self.api}/v1/uploads?title={path.name}", data=path.read_bytes(), method="POST",
                                         headers={"Content-Type": "video/mp4", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as reply:
                return path.name, json.load(reply)["id"], None
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            try:
                body = json.loads(body)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                pass
            return path.name, None, f"HTTP {error.code}: {body}"

    def discarded_attempts(self):
        """For each video, the most attempts a discarded job of its pipeline made (`reel jobs`, a family ends in .*)."""
        listed = subprocess.run([self.reel, "jobs", "list", "--kind", "video.*", "--state", "discarded", "--json",
                                 "--limit", "1000000"], env=self.env, check=True, capture_output=True, text=True, cwd=self.dir)
        attempts = {}
        for job in json.loads(listed.stdout):
            video = json.loads(job["args"]).get("video")
            attempts[video] = max(attempts.get(video, 0), job["attempt"])
        return attempts

    def reel_output(self, folder):
        """One of Reel's own outputs as a file: a rendition's init segment and media segments, concatenated."""
        rows = self.sql("SELECT v.id, r.name FROM videos v JOIN renditions r ON r.video_id = v.id "
                        "WHERE v.status = 'ready' AND r.kind = 'video' ORDER BY v.created_at LIMIT 1")
        if not rows:
            return
        video, rendition = rows[0]
        with urllib.request.urlopen(f"{self.api}/v1/videos/{video}/{rendition}/index.m3u8", timeout=10) as reply:
            playlist = reply.read().decode()
        parts = ["init.mp4"] + [line for line in playlist.splitlines() if line and not line.startswith("#")]
        data = b""
        for part in parts:
            with urllib.request.urlopen(f"{self.api}/v1/videos/{video}/{rendition}/{part}", timeout=10) as reply:
                data += reply.read()
        (folder / "reel-output.mp4").write_bytes(data)

    def wait_final(self, ids, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            quoted = ",".join(f"'{v}'" for v in ids)
            rows = self.sql(f"SELECT count(*) FROM videos WHERE id IN ({quoted}) AND status NOT IN ('ready', 'failed')")
            if rows[0][0] == "0":
                return True
            time.sleep(2)
        return False

    def playable(self, video):
        why = "not tried"
        for _ in range(10):
            with urllib.request.urlopen(f"{self.api}/v1/videos/{video}", timeout=10) as reply:
                metadata = json.load(reply)
            why = chaos.fetch_stream(self.api + metadata["urls"]["hls"])
            if not why:
                return None
            time.sleep(0.5)
        return why

    def run(self):
        subprocess.run([self.reel, "migrate"], env=self.env, check=True, capture_output=True, cwd=self.dir)
        self.token = subprocess.run([self.reel, "tokens", "create", "--name", "hostile", "--scope", "upload"], env=self.env,
                                    check=True, capture_output=True, text=True, cwd=self.dir).stdout.strip()
        self.procs.start("api", [self.reel, "api", "--port", str(self.port), "--max-upload-mib", "64"], self.env)
        workers = ["worker-1", "worker-2"]
        for name in workers:
            self.procs.start(name, [self.reel, "worker", "--queues", "media=1,replication=2", "--poll-interval", "0.5"], self.env)
        self.procs.start("scheduler", [self.reel, "scheduler", "--interval", "0.5"], self.env)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.api + "/readyz", timeout=2).read()
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise RuntimeError("the API did not become ready (see api.log)")
                time.sleep(0.2)

        clips = Path(self.args.clips)
        inputs = sorted(p for p in clips.iterdir() if p.suffix == ".mp4" and not p.name.startswith(("vfr-a", "vfr-b", "landscape")))
        # Reel's own output as a fuzzing seed: publish one clean clip first.
        first = self.upload(clips / "rotated.mp4")
        if first[1]:
            self.wait_final([first[1]], 120)
        variants_dir = self.dir / "variants"
        variants_dir.mkdir(exist_ok=True)
        self.reel_output(variants_dir)
        inputs += fuzz(clips, variants_dir, self.args.variants, self.args.seed)
        wire = Tripwire(variants_dir)
        referencing = referencing_inputs(variants_dir, clips, wire)
        inputs += referencing
        chaos.log(f"uploading {len(inputs)} inputs ({len(inputs) - self.args.variants - len(referencing)} clips, "
                  f"{self.args.variants} fuzzed variants, {len(referencing)} playlists, lists and a long stream)")

        with ThreadPoolExecutor(3) as pool:
            uploaded = list(pool.map(self.upload, inputs))
        ids = [video for _, video, _ in uploaded if video]
        finished = self.wait_final(ids, self.args.timeout) if ids else True
        chaos.log("every upload reached ready or failed" if finished else f"not every upload finished within {self.args.timeout} s")

        counts = {"playable": 0, "failed": 0, "stuck": 0, "unclear": 0, "slow_failures": 0}
        attempts_by_video = self.discarded_attempts()
        for name, video, refusal in uploaded:
            if refusal:
                counts["failed"] += 1
                clear = len(refusal) > 12
                counts["unclear"] += 0 if clear else 1
                print(f"OUTCOME {name} failed at upload: {refusal}", flush=True)
                continue
            row = self.sql(f"SELECT status, coalesce(error, '') FROM videos WHERE id = '{video}'")[0]
            status, error = row[0], row[1] if len(row) > 1 else ""  # psql's output loses a trailing empty column
            attempts = attempts_by_video.get(video, 0)
            if status == "ready":
                why = self.playable(video)
                if why:
                    counts["stuck"] += 1
                    print(f"OUTCOME {name} stuck: ready but not playable: {why}", flush=True)
                else:
                    counts["playable"] += 1
                    print(f"OUTCOME {name} playable ({video})", flush=True)
            elif status == "failed":
                counts["failed"] += 1
                if len(error) < 12:
                    counts["unclear"] += 1
                if attempts > 1:
                    counts["slow_failures"] += 1
                print(f"OUTCOME {name} failed: {error}" + (f" (after {attempts} attempts)" if attempts > 1 else ""), flush=True)
            else:
                counts["stuck"] += 1
                print(f"OUTCOME {name} stuck: still {status}", flush=True)

        opens, connections = wire.touches()
        chaos.log(f"files and URLs the playlists named: opened {opens} times, {connections} connections")
        named_reads = opens + connections
        crashes = 0
        for name in workers:
            proc = self.procs.running.get(name)
            if proc is None or proc.poll() is not None:
                crashes += 1
                chaos.log(f"{name} is not running (exit {None if proc is None else proc.returncode}): see {self.dir}/{name}.log")
        print(f"RESULT inputs={len(inputs)} playable={counts['playable']} failed={counts['failed']} stuck={counts['stuck']} "
              f"unclear_failures={counts['unclear']} failures_after_retries={counts['slow_failures']} worker_crashes={crashes} "
              f"named_reads={named_reads}", flush=True)
        return 0 if counts["stuck"] == 0 and counts["unclear"] == 0 and crashes == 0 and named_reads == 0 else 1


def main():
    parser = argparse.ArgumentParser(description="Reel's hostile media run")
    parser.add_argument("--reel", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--clips", required=True, help="the folder scripts/test-helpers/make-test-clips.sh wrote")
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--timeout", type=int, default=1500, help="seconds every upload gets to reach ready or failed")
    args = parser.parse_args()
    run = Hostile(args)
    try:
        return run.run()
    finally:
        run.procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())
