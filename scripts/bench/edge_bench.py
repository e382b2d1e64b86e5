#!/usr/bin/env python3
"""The measuring half of scripts/bench/edge.sh (which starts everything).

    edge_bench.py fresh  API WARM_EDGE COLD_EDGE CLIP N      -> JSON on stdout
    edge_bench.py clone  SOURCE_VIDEO COUNT                   -> video ids, one per line
    edge_bench.py replay EDGE PLAYS SEED IDS_FILE [--zipf S]  -> JSON on stdout
    edge_bench.py history PLAYS SEED IDS_FILE                 (plays of the last hour into video_plays)

fresh: uploads N copies of CLIP, waits until each is ready and warmed through
WARM_EDGE (a registered edge), then for each video fetches through both edges
(COLD_EDGE is not registered, so never warmed): time to first byte of the
lowest rung's first segment, and the time to fetch the init segment and the
first 3 segments of the lowest and of the highest rung; it also reports how
many of the warm edge's answers were cache hits, and how long after the video
became playable (and ready) each warming was done, from edge_warmings.

replay: PLAYS plays, video k of the list drawn with probability ~ 1/k^S
(Zipf, S=0.8), each play fetching the master playlist, the lowest rung's and
the audio's playlist, init segment and first 3 segments through EDGE, with 8
keep-alive connections. The hit ratio is the viewers' own (X-Cache-Status of
every answer but the master's, which is never cached): the edge's counters
would mix in the warming's own requests.
"""

import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse


def sql(query):
    out = subprocess.run(["psql", "-qtA", "-F", "\t", os.environ["REEL_DATABASE_URL"], "-c", query],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


class Client:
    """One keep-alive connection to a host."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.conn = None

    def get(self, path):
        """(status, ttfb_s, total_s, body_len, x-cache-status)."""
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                start = time.perf_counter()
                self.conn.request("GET", path)
                r = self.conn.getresponse()
                ttfb = time.perf_counter() - start
                body = r.read()
                return r.status, ttfb, time.perf_counter() - start, len(body), r.getheader("X-Cache-Status")
            except (http.client.HTTPException, OSError):
                if self.conn:
                    self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")


def upload(api, clip, title):
    u = urllib.parse.urlsplit(api)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    with open(clip, "rb") as f:
        c.request("POST", f"/v1/uploads?title={title}", body=f.read(), headers={"Content-Type": "video/mp4"})
    r = c.getresponse()
    data = json.loads(r.read())
    if r.status != 201:
        sys.exit(f"upload failed: {r.status} {data}")
    return data["id"]


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def fresh(api, warm_edge, cold_edge, clip, n):
    ids = [upload(api, clip, f"edge-bench-{i}") for i in range(n)]
    deadline = time.monotonic() + 600
    quoted = ",".join(f"'{i}'" for i in ids)
    while True:
        done = sql(f"""SELECT count(*) FROM videos v WHERE v.id IN ({quoted}) AND v.status = 'ready'
                       AND EXISTS (SELECT 1 FROM edge_warmings w WHERE w.video_id = v.id AND w.reason = 'ready'
                                   AND w.state = 'done')""")
        if int(done[0][0]) == n:
            break
        if time.monotonic() > deadline:
            sys.exit("videos were not ready and warmed within 600 s")
        time.sleep(0.2)
    rungs = sql(f"SELECT name, height FROM renditions WHERE video_id = '{ids[0]}' AND kind = 'video' ORDER BY height")
    low, high = rungs[0][0], rungs[-1][0]
    result = {"videos": n, "low": low, "high": high, "warm": {}, "cold": {}}
    hits = total = 0
    for name, base in (("warm", warm_edge), ("cold", cold_edge)):
        ttfb, first3_low, first3_high = [], [], []
        client = Client(base)
        for vid in ids:
            status, t, _, _, cache = client.get(f"/v1/videos/{vid}/{low}/0.m4s")
            ttfb.append(t)
            if name == "warm":
                hits += cache == "HIT"
                total += 1
            for rung, into in ((low, first3_low), (high, first3_high)):
                took = 0.0
                for part in ("init.mp4", "0.m4s", "1.m4s", "2.m4s"):
                    status, _, t, _, cache = client.get(f"/v1/videos/{vid}/{rung}/{part}")
                    if status != 200:
                        sys.exit(f"{base}/v1/videos/{vid}/{rung}/{part}: HTTP {status}")
                    took += t
                    if name == "warm":
                        hits += cache == "HIT"
                        total += 1
                into.append(took)
        result[name] = {
            "ttfb_ms_p50": statistics.median(ttfb) * 1000, "ttfb_ms_p99": percentile(ttfb, 99) * 1000,
            "first3_low_ms_p50": statistics.median(first3_low) * 1000, "first3_high_ms_p50": statistics.median(first3_high) * 1000,
        }
    result["warmed_hit_ratio"] = hits / total if total else 0
    for reason, column in (("playable", "playable_at"), ("ready", "ready_at")):
        rows = sql(f"""SELECT extract(epoch FROM w.finished_at - v.{column}) FROM edge_warmings w JOIN videos v ON v.id = w.video_id
                       WHERE w.video_id IN ({quoted}) AND w.reason = '{reason}' AND w.state = 'done'""")
        values = [float(r[0]) for r in rows]
        result[f"warm_after_{reason}_s_p50"] = statistics.median(values) if values else float("nan")
        result[f"warm_after_{reason}_s_max"] = max(values) if values else float("nan")
    print(json.dumps(result))


def clone(source, count):
    """COUNT catalog copies of a ready video (same objects, new ids), published a day ago: a catalogue to replay."""
    ids = [f"zipf{n:05d}" for n in range(count)]
    values = ",".join(f"('{i}')" for i in ids)
    sql(f"""
        BEGIN;
        INSERT INTO videos (id, owner, title, status, home_region, source_digest, source_size, content_type, duration_s,
                            width, height, poster_digest, sprite_digest, sprite, probe, ladder, created_at, playable_at, ready_at)
        SELECT n.id, v.owner, 'zipf ' || n.id, 'ready', v.home_region, v.source_digest, v.source_size, v.content_type, v.duration_s,
               v.width, v.height, v.poster_digest, v.sprite_digest, v.sprite, v.probe, v.ladder,
               now() - interval '1 day', now() - interval '1 day', now() - interval '1 day'
        FROM videos v, (VALUES {values}) AS n(id) WHERE v.id = '{source}';
        INSERT INTO renditions (video_id, name, kind, codecs, width, height, frame_rate, bandwidth, average_bandwidth, timescale,
                                init_digest, complete)
        SELECT n.id, r.name, r.kind, r.codecs, r.width, r.height, r.frame_rate, r.bandwidth, r.average_bandwidth, r.timescale,
               r.init_digest, r.complete
        FROM renditions r, (VALUES {values}) AS n(id) WHERE r.video_id = '{source}';
        INSERT INTO segments (video_id, rendition, number, start_time, duration, bytes, digest)
        SELECT n.id, s.rendition, s.number, s.start_time, s.duration, s.bytes, s.digest
        FROM segments s, (VALUES {values}) AS n(id) WHERE s.video_id = '{source}';
        COMMIT;""")
    print("\n".join(ids))


def zipf_sample(ids, plays, seed, s):
    weights = [1 / (k ** s) for k in range(1, len(ids) + 1)]
    return random.Random(seed).choices(ids, weights=weights, k=plays)


def history(plays, seed, ids_file, s=0.8):
    ids = open(ids_file).read().split()
    counts = {}
    for vid in zipf_sample(ids, plays, seed, s):
        counts[vid] = counts.get(vid, 0) + 1
    values = ",".join(f"('{v}', {c})" for v, c in counts.items())
    sql(f"""INSERT INTO video_plays (video_id, minute, plays)
            SELECT v, date_trunc('minute', now()) - interval '10 minutes', c FROM (VALUES {values}) AS t(v, c)
            ON CONFLICT (video_id, minute) DO UPDATE SET plays = video_plays.plays + EXCLUDED.plays""")


def replay(edge, plays, seed, ids_file, s=0.8, threads=8):
    ids = open(ids_file).read().split()
    rendition = sql(f"SELECT name FROM renditions WHERE video_id = '{ids[0]}' AND kind = 'video' ORDER BY height LIMIT 1")[0][0]
    sample = zipf_sample(ids, plays, seed, s)
    lock = threading.Lock()
    position = [0]
    failures = []
    seen = {"HIT": 0, "MISS": 0}

    def work():
        client = Client(edge)
        while True:
            with lock:
                if position[0] >= len(sample):
                    return
                vid = sample[position[0]]
                position[0] += 1
            paths = [f"/v1/videos/{vid}/master.m3u8"]
            for r in (rendition, "audio"):
                paths += [f"/v1/videos/{vid}/{r}/index.m3u8", f"/v1/videos/{vid}/{r}/init.mp4"]
                paths += [f"/v1/videos/{vid}/{r}/{n}.m4s" for n in range(3)]
            for p in paths:
                status, _, _, _, cache = client.get(p)
                with lock:
                    if status != 200:
                        failures.append(f"{p}: {status}")
                    elif not p.endswith("master.m3u8"):  # the master is the play count: never cached
                        seen[cache] = seen.get(cache, 0) + 1

    start = time.monotonic()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    answered = seen["HIT"] + seen["MISS"]
    print(json.dumps({"plays": plays, "videos": len(set(sample)), "seconds": time.monotonic() - start,
                      "viewer_hit_ratio": seen["HIT"] / answered if answered else 0,
                      "failures": len(failures), "first_failures": failures[:5]}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "fresh":
        fresh(args[0], args[1], args[2], args[3], int(args[4]))
    elif cmd == "clone":
        clone(args[0], int(args[1]))
    elif cmd == "history":
        history(int(args[0]), int(args[1]), args[2])
    elif cmd == "replay":
        replay(args[0], int(args[1]), int(args[2]), args[3])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
