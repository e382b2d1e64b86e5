#!/usr/bin/env python3
"""A scaled-down day against the cluster of scripts/cluster.sh, to check the capacity
model's ratios (docs/capacity.md) where they are made: across two regions, through
HAProxy, PgBouncer, the edges and the relay. Run by scripts/bench/cluster.sh as its
last phase; it can also run against a cluster that is up:

    replay_day.py --env .reel-data/cluster/cluster.env --clips DIR --catalogue IDS
                  [--units docs/capacity-units.json] [--plays 6000] [--seconds 60]
                  [--videos 300] [--zipf 0.8] [--seed 7]

The day: the catalogue (the first --videos ids of IDS, published before the day, ranked
by popularity in that order), every clip of DIR uploaded at even intervals over
--seconds (alternately through HAProxy and through region-b's API), and --plays plays
at an even rate over the same time, half through each region's edge (from a-lb's and
b-api1's namespaces). A play draws its video from the ranking with probability ~ 1/k^s
(Zipf); a new upload joins the ranking at a random place among the first 20 once it is
playable (a feed pushes what is new). A play fetches, as a player does: the master, the
media playlist of one rung drawn from the model's rung mix (the highest rung the ladder
has at or below it), its init and the first 70 % of its segments (the model's watched
share), and the audio's playlist, init and as many segments.

Measured over the day, beside what the model (scripts/capacity.py, from the unit costs
in --units) assumes:
  origin requests per play     both edges' MAIN.backend_req (varnishstat) / plays
  edge byte hit ratio          1 - the edges' VBE.*.beresp_bodybytes / bytes the viewers got;
                               beside it the best any cache could do in this day: 1 - the
                               bytes of each object's first fetch at each edge
  commits per upload           the primary's xact_commit during the day, less the idle
                               rate measured for 10 s before it, / uploads
  WAL per upload               pg_current_wal_lsn() during the day, idem
  jobs per upload              jobs whose args name one of the day's videos / uploads
Then the model again with the day's origin requests per play, commits per upload and
byte hit ratio in place of its own: what breaks first at 1 million uploads and 1 billion
plays a day. Last line:
  RESULT day_uploads=… day_plays=… origin_per_play=… model_origin_per_play=…
         byte_hit_ratio=… best_byte_hit_ratio=… model_byte_hit_ratio=… commits_per_upload=…
         model_commits_per_upload=…
"""

import argparse
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from hosts import Host, KeepAlive, enter_netns, host_names, psql, read_env  # noqa: E402

RUNG_HEIGHTS = {"1080p": 1080, "720p": 720, "480p": 480, "360p": 360}


def log(message):
    print(f"[replay-day {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Day:
    def __init__(self, args):
        self.args = args
        self.env = read_env(args.env)
        self.units = json.loads(Path(args.units).read_text())
        sys.path.insert(0, str(REPO / "scripts"))
        import capacity
        self.capacity = capacity
        self.mix = capacity.parse_mix(capacity.DEFAULTS["rung_mix"])
        self.watched = capacity.DEFAULTS["watched_fraction"]
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        ids = Path(args.catalogue).read_text().split()[: args.videos]
        self.ranking = list(ids)
        self.ladders = {}
        self.pending = []        # uploaded, not playable yet: (id, region)
        self.uploaded = []
        self.stats = {"plays": 0, "requests": 0, "bytes": 0, "hit_bytes": 0, "first_bytes": 0, "failures": 0,
                      "first_failures": []}
        self.seen = set()        # (edge, path) fetched at least once: its first fetch is a miss whatever the cache
        self.edges = {"a": self.env["REEL_CLUSTER_A_EDGE_URL"], "b": self.env["REEL_CLUSTER_B_EDGE_URL"]}
        self.workdirs = {"a": self.env["REEL_CLUSTER_A_EDGE_WORKDIR"], "b": self.env["REEL_CLUSTER_B_EDGE_WORKDIR"]}
        self.ladder_of(ids[0])
        for i in ids[1:]:
            self.ladders[i] = self.ladders[ids[0]]   # clones share their source's ladder

    # --- the catalogue -------------------------------------------------------------------

    def sql(self, query, host="a-pg"):
        rows = psql(self.env, host, query, 60)
        if rows is None:
            raise SystemExit(f"psql on {host} failed: {query[:100]}")
        return rows

    def ladder_of(self, video):
        rows = self.sql(f"SELECT name, height FROM renditions WHERE video_id = '{video}' AND kind = 'video'")
        self.ladders[video] = {name: int(h) for name, h in rows}
        return self.ladders[video]

    def rung_for(self, video):
        """A rung drawn from the mix; the ladder's highest at or below it (its lowest if none)."""
        wanted = self.rng.choices(list(self.mix), weights=list(self.mix.values()))[0]
        ladder = self.ladders[video]
        height = RUNG_HEIGHTS.get(wanted, 720)
        fits = [(h, n) for n, h in ladder.items() if h <= height]
        return max(fits)[1] if fits else min((h, n) for n, h in ladder.items())[1]

    def pick(self):
        with self.lock:
            ranking = list(self.ranking)
        weights = [1 / (k ** self.args.zipf) for k in range(1, len(ranking) + 1)]
        return self.rng.choices(ranking, weights=weights)[0]

    # --- counters ------------------------------------------------------------------------

    def varnish(self, region):
        """The edge's requests to its origin, and the body bytes it got back (every backend's)."""
        out = subprocess.run(["varnishstat", "-n", self.workdirs[region], "-1", "-f", "MAIN.backend_req",
                              "-f", "VBE.*.beresp_bodybytes"], capture_output=True, text=True, check=True).stdout
        values = {"MAIN.backend_req": 0, "beresp_bodybytes": 0}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "MAIN.backend_req":
                values["MAIN.backend_req"] = int(parts[1])
            elif len(parts) >= 2 and parts[0].endswith(".beresp_bodybytes"):
                values["beresp_bodybytes"] += int(parts[1])
        return values

    def database(self):
        row = self.sql("SELECT xact_commit, pg_current_wal_lsn() - '0/0' FROM pg_stat_database WHERE datname = 'reel'")[0]
        return int(row[0]), int(float(row[1]))

    # --- load ----------------------------------------------------------------------------

    def play(self, client, video):
        base = f"/v1/videos/{video}/"
        status, size, cache, _ = client.get(base + "master.m3u8")
        self.count(client, base + "master.m3u8", status, size, cache)
        rung = self.rung_for(video)
        fetched = []
        for folder in (rung, "audio"):
            status, size, cache, body = client.get(base + f"{folder}/index.m3u8")
            self.count(client, base + f"{folder}/index.m3u8", status, size, cache)
            if status != 200:
                return
            segments = [x for x in body.decode(errors="replace").splitlines() if x and not x.startswith("#")]
            keep = max(1, math.ceil(len(segments) * self.watched))
            fetched += [base + f"{folder}/init.mp4"] + [base + f"{folder}/{s}" for s in segments[:keep]]
        for path in fetched:
            status, size, cache, _ = client.get(path)
            self.count(client, path, status, size, cache)
        with self.lock:
            self.stats["plays"] += 1

    def count(self, client, path, status, size, cache):
        with self.lock:
            self.stats["requests"] += 1
            self.stats["bytes"] += size
            if (client.netloc, path) not in self.seen:
                self.seen.add((client.netloc, path))
                self.stats["first_bytes"] += size
            if cache == "HIT":
                self.stats["hit_bytes"] += size
            if status != 200:
                self.stats["failures"] += 1
                if len(self.stats["first_failures"]) < 5:
                    self.stats["first_failures"].append(f"{path}: {status}")

    def viewers(self, region, host, plays, started, seconds):
        """PLAYS plays through REGION's edge at an even rate over SECONDS, 8 threads."""
        names = host_names(host)
        slots = list(range(plays))
        lock = threading.Lock()

        def work():
            enter_netns(host)
            client = KeepAlive(self.edges[region], names)
            while True:
                with lock:
                    if not slots:
                        return
                    n = slots.pop(0)
                due = started + seconds * n / plays
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.play(client, self.pick())

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        return threads

    def uploader(self, clips, started, seconds):
        hosts = {"a": Host("a-lb", 1), "b": Host("b-api1", 1)}
        apis = {"a": self.env["REEL_CLUSTER_LB_URL"], "b": self.env["REEL_CLUSTER_B_API1_URL"]}
        for n, clip in enumerate(clips):
            due = started + seconds * (n + 0.5) / len(clips)
            time.sleep(max(0, due - time.monotonic()))
            region = "ab"[n % 2]
            r = hosts[region].upload(apis[region], clip.read_bytes(), f"day-{n}", self.env["REEL_CLUSTER_UPLOAD_TOKEN"],
                                     timeout=120)
            if r.status != 201:
                log(f"upload {clip.name} through region-{region}: HTTP {r.status}")
                continue
            video = r.json()["id"]
            with self.lock:
                self.uploaded.append(video)
                self.pending.append(video)
        for h in hosts.values():
            h.close()

    def promote_playable(self):
        """Moves playable uploads into the ranking (a random place among the first 20)."""
        with self.lock:
            pending = list(self.pending)
        if not pending:
            return
        listed = ",".join(f"'{i}'" for i in pending)
        rows = self.sql(f"SELECT id FROM videos WHERE id IN ({listed}) AND status IN ('playable', 'ready') "
                        "AND EXISTS (SELECT 1 FROM renditions r WHERE r.video_id = videos.id AND r.kind = 'video' AND r.complete)")
        for (video,) in rows:
            self.ladder_of(video)
            with self.lock:
                self.pending.remove(video)
                self.ranking.insert(self.rng.randrange(0, min(20, len(self.ranking))), video)

    # --- the day -------------------------------------------------------------------------

    def history(self):
        """The catalogue's plays of the last hour (Zipf, as the day's), and edge.popular run on
        them now (its periodic job made due), so the edges keep what is popular before the day
        starts, as they would after a day before it; then until the warming it causes is done."""
        sys.path.insert(0, str(REPO / "scripts" / "bench"))
        import edge_bench
        edge_bench.sql = lambda query: self.sql(query)
        with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as f:
            f.write("\n".join(self.ranking))
        edge_bench.history(self.args.plays, self.args.seed, f.name, self.args.zipf)
        Path(f.name).unlink()
        since = self.sql("SELECT now()")[0][0]
        self.sql("UPDATE reel_periodic_jobs SET next_run_at = now() WHERE name = 'edge-popular'")
        deadline = time.monotonic() + self.args.settle_s
        while time.monotonic() < deadline:
            rows = self.sql(f"""SELECT count(*) FILTER (WHERE kind = 'edge.popular' AND state = 'completed'),
                                       count(*) FILTER (WHERE state IN ('available', 'running', 'pending', 'retryable'))
                                FROM reel_jobs WHERE queue = 'edges' AND created_at >= '{since}'""")
            done, busy = (int(x) for x in rows[0])
            if done and not busy:
                return
            time.sleep(0.5)
        log("edge.popular and its warming did not finish in time; the day starts anyway")

    def run(self):
        a = self.args
        clips = sorted(Path(a.clips).glob("*.mp4"))
        log("the catalogue's play history, and edge.popular on it")
        self.history()
        log(f"idle baseline for {a.idle_s:.0f} s")
        c0, w0 = self.database()
        time.sleep(a.idle_s)
        c1, w1 = self.database()
        idle_commits_s = (c1 - c0) / a.idle_s
        idle_wal_s = (w1 - w0) / a.idle_s
        before = {r: self.varnish(r) for r in "ab"}
        c_start, w_start = self.database()
        t_start = time.monotonic()
        log(f"the day: {len(clips)} uploads, {a.plays} plays over {a.seconds:.0f} s, "
            f"{len(self.ranking)} videos in the catalogue")
        threads = self.viewers("a", "a-lb", a.plays // 2, t_start, a.seconds)
        threads += self.viewers("b", "b-api1", a.plays - a.plays // 2, t_start, a.seconds)
        up = threading.Thread(target=self.uploader, args=(clips, t_start, a.seconds))
        up.start()
        while any(t.is_alive() for t in threads) or up.is_alive():
            self.promote_playable()
            time.sleep(0.5)
        # The day's uploads finish their work (ready, replicated, warmed) inside the day's count.
        deadline = time.monotonic() + a.settle_s
        listed = ",".join(f"'{i}'" for i in self.uploaded) or "''"
        while time.monotonic() < deadline:
            rows = self.sql(f"SELECT count(*) FROM reel_jobs WHERE args->>'video' IN ({listed}) "
                            "AND state NOT IN ('completed', 'cancelled', 'discarded')")
            if rows[0][0] == "0":
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - t_start
        c_end, w_end = self.database()
        after = {r: self.varnish(r) for r in "ab"}
        uploads = len(self.uploaded)
        jobs = int(self.sql(f"SELECT count(*) FROM reel_jobs WHERE args->>'video' IN ({listed})")[0][0])
        origin = sum(after[r]["MAIN.backend_req"] - before[r]["MAIN.backend_req"] for r in "ab")
        origin_bytes = sum(after[r]["beresp_bodybytes"] - before[r]["beresp_bodybytes"] for r in "ab")
        s = self.stats
        measured = {
            "uploads": uploads, "plays": s["plays"], "seconds": elapsed, "requests": s["requests"],
            "failures": s["failures"], "first_failures": s["first_failures"],
            "viewer_bytes": s["bytes"], "origin_bytes": origin_bytes,
            "origin_requests_per_play": origin / max(1, s["plays"]),
            "byte_hit_ratio": 1 - origin_bytes / s["bytes"] if s["bytes"] else 0.0,
            "viewer_hit_ratio": s["hit_bytes"] / s["bytes"] if s["bytes"] else 0.0,
            # What no cache could have answered: the first fetch of each object at each edge.
            "first_fetch_byte_share": s["first_bytes"] / s["bytes"] if s["bytes"] else 0.0,
            "distinct_objects": len(self.seen),
            "commits_per_upload": ((c_end - c_start) - idle_commits_s * elapsed) / max(1, uploads),
            "wal_bytes_per_upload": ((w_end - w_start) - idle_wal_s * elapsed) / max(1, uploads),
            "jobs_per_upload": jobs / max(1, uploads),
            "idle_commits_per_s": idle_commits_s,
        }
        return measured

    def report(self, m):
        u = self.units
        model_hit = self.capacity.DEFAULTS["edge_hit_ratio"]
        rows = [
            ("origin requests per play", m["origin_requests_per_play"], u["origin_requests_per_play"]),
            ("edge byte hit ratio", m["byte_hit_ratio"], model_hit),
            ("PostgreSQL commits per upload", m["commits_per_upload"], u["pg_commits_per_upload"]),
            ("WAL bytes per upload", m["wal_bytes_per_upload"], u["pg_wal_bytes_per_upload"]),
            ("jobs per upload", m["jobs_per_upload"], u["jobs_per_upload"]),
        ]
        print(f"a scaled-down day: {m['uploads']} uploads, {m['plays']} plays ({m['requests']} requests, "
              f"{m['failures']} failed) in {m['seconds']:.0f} s; idle primary: {m['idle_commits_per_s']:.1f} commits/s")
        print(f"first fetches of an object at an edge (misses no cache avoids): {m['distinct_objects']} objects, "
              f"{m['first_fetch_byte_share']:.1%} of the bytes: the best byte hit ratio this day allows is "
              f"{1 - m['first_fetch_byte_share']:.3f}")
        print(f"{'ratio':<34} {'day (cluster)':>14} {'model':>12} {'day/model':>10}")
        for name, day, model in rows:
            print(f"{name:<34} {day:>14.3f} {model:>12.3f} {day / model if model else float('nan'):>10.2f}")
        # The model again, with the day's ratios.
        units = dict(u)
        units["origin_requests_per_play"] = m["origin_requests_per_play"]
        units["pg_commits_per_upload"] = max(0.0, m["commits_per_upload"])
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(units, f)
        out = subprocess.run([sys.executable, str(REPO / "scripts" / "capacity.py"), f.name,
                              "--edge-hit-ratio", f"{min(0.999, max(0.0, m['byte_hit_ratio'])):.3f}"],
                             capture_output=True, text=True)
        Path(f.name).unlink()
        lines = out.stdout.strip().splitlines()
        print("the model with the day's ratios (1,000,000 uploads, 1,000,000,000 plays a day):")
        for line in lines:
            if re.match(r"^(PostgreSQL commits/s|origin requests/s|origin Gb/s|first to break)", line):
                print("  " + line)
        print(f"RESULT day_uploads={m['uploads']} day_plays={m['plays']} "
              f"origin_per_play={m['origin_requests_per_play']:.3f} model_origin_per_play={u['origin_requests_per_play']:.3f} "
              f"byte_hit_ratio={m['byte_hit_ratio']:.3f} best_byte_hit_ratio={1 - m['first_fetch_byte_share']:.3f} "
              f"model_byte_hit_ratio={model_hit:.3f} "
              f"commits_per_upload={m['commits_per_upload']:.0f} model_commits_per_upload={u['pg_commits_per_upload']:.0f}",
              flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", required=True)
    p.add_argument("--clips", required=True, help="the day's uploads (*.mp4)")
    p.add_argument("--catalogue", required=True, help="ids of videos published before the day, one a line")
    p.add_argument("--units", default=str(REPO / "docs" / "capacity-units.json"))
    p.add_argument("--plays", type=int, default=6000)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--videos", type=int, default=300)
    p.add_argument("--zipf", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--idle-s", type=float, default=10)
    p.add_argument("--settle-s", type=float, default=120, help="at most this long for the day's uploads' jobs to end")
    args = p.parse_args()
    day = Day(args)
    measured = day.run()
    (Path(args.clips) / "day-results.json").write_text(json.dumps(measured, indent=2))
    day.report(measured)
    return 1 if measured["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
