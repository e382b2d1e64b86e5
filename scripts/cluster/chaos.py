#!/usr/bin/env python3
"""Fault phases against the two-region cluster of scripts/cluster.sh, under a steady
load of uploads and plays. Run by scripts/cluster-chaos.sh (which brings the cluster
up and down and documents the phases); it reads the cluster's cluster.env.

    chaos.py --env .reel-data/cluster/cluster.env --dir RUN_DIR [--quick] [--deadline EPOCH]
             [--only a,b,c,d,e] [--phase-timeout 90] [--partition-s 20] [--volume-down-s 15]
             [--edge-down-s 8]

Every HTTP request is made from inside a host's network namespace: the thread that
makes it joined that namespace (setns), so viewers of region-a are in a-lb's namespace
and those of region-b in b-api1's. psql and the cluster's own commands run through
`ip netns exec` / scripts/cluster.sh.

Load (background threads, all phases):
  uploaders  one-shot POST /v1/uploads of a distinct 2 s 320x240 clip: region-a's through
             HAProxy (every --a-interval s, 5), region-b's through b-api1 (every
             --b-interval s, 8); a client retries a refused or failed upload for up to
             --upload-retry-s (60). The rate is one the media queue keeps up with after
             phase d too, when every statement of region-a's worker crosses the relay
  viewers    per region, about once a second, a video of the phase's play set: (1) as a
             player does, the metadata (GET /v1/videos/ID?region=R through the region's
             API), then master, media playlist and first segment from the URL it offers
             (the edge's, or the API's when no edge is offered); (2) the same through the
             region's edge directly; (3) through the region's API directly

Phases (each bounded by --phase-timeout for its recovery):
  a partition  the relay cuts region-b off for --partition-s; region-b's viewers keep
               playing what region-b held before (failures are counted: b_view_fail);
               healed, until the standby has replayed what the primary had at the check,
               has the newest video, and every video's objects are verified in region-b
  b volume     kill -9 one of region-a's three volume servers for --volume-down-s while
               uploads go on (replication 001 keeps a second copy; reads must be served:
               read_fail counts region-a API and viewer failures meanwhile), then restart it
  c api        a tus upload through HAProxy in 8 chunks; a-api1 is SIGKILLed between
               two chunks; the client goes on (HEAD, then PATCH) through whatever HAProxy
               picks; its published source digest must equal the file's sha256; a-api1 is
               restarted
  d failover   `scripts/cluster.sh failover`: pg_ctl stop -m fast of the primary, the
               standby promoted with pg_ctl promote, PgBouncer (one host per database in
               1.18) repointed at it with a RELOAD, as an operator would. Every job that
               existed before the stop must exist on the new primary and complete; a job
               run to completion twice without a 'lease expired' in its errors is counted
               (jobs_twice); the phase counts as recovered once each of those jobs is completed
               or running on the new primary (a 50 s scrub then finishes within the bound).
               Every process must find the new primary by itself: the
               scheduler leads there, both workers complete jobs there, every API answers
               /readyz and a new video, both edge agents write the plays of a new video there
  e edge       region-a's varnishd (and its cache process) is SIGKILLed: the API must stop
               offering it within a few seconds (fallback_s), the API answers directly, then
               the edge is restarted and offered again

Per phase, for the videos whose upload was acknowledged between the end of the last
phase's fault and the end of this one's (plus the phase's own checks):
  jobs_lost          acknowledged uploads without a video row, a video's jobs (ingest,
                     transcode, package, replicate, warms) missing or not completed in the
                     bound; phase d: jobs of the pre-stop snapshot missing or unfinished
  objects_corrupt    every init and media segment fetched through region-a's API (HAProxy)
                     and region-b's API, whose sha256 differs from the catalog's digest;
                     and sources whose digest differs from the uploaded file's
  videos_unplayable  videos not ready in the bound, or whose master + media playlist + first
                     segment fail (from the URL the API offers) in either region after it
  recover_s          from the end of the fault (heal, restart, promotion) to the first
                     moment all of the above and the phase's own checks hold
Printed: `PHASE name jobs_lost=N objects_corrupt=N videos_unplayable=N recover_s=X (...)`
per phase, then `RESULT jobs_lost=... objects_corrupt=... videos_unplayable=...
max_recover_s=...`. Exit 1 when any count is not zero: those, or one of the extra ones in
parentheses (uploads_failed, b_view_fail, read_fail, jobs_twice, checks_failed,
not_recovered: no recovery within the bound, no_fallback, api_direct_fail,
view_fail_after_fallback); the others there (uploads_retried, fallback_s, plays, ...)
are for information.
"""

import argparse
import base64
import hashlib
import http.client
import json
import random
import re
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

from hosts import Host, psql, read_env

REPO = Path(__file__).resolve().parents[2]
# The counts in a PHASE line's parentheses that fail the run when not zero.
FAILURES = ("uploads_failed", "b_view_fail", "read_fail", "jobs_twice", "checks_failed", "not_recovered",
            "no_fallback", "api_direct_fail", "view_fail_after_fallback")
CLUSTER = str(REPO / "scripts" / "cluster.sh")


def log(message):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def now():
    return time.monotonic()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- the run ----------------------------------------------------------------------------

class Failure(Exception):
    pass


class Chaos:
    def __init__(self, args):
        self.args = args
        self.env = read_env(args.env)
        self.dir = Path(args.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.deadline = args.deadline or (time.time() + 540)
        self.token = self.env["REEL_CLUSTER_UPLOAD_TOKEN"]
        self.lb = self.env["REEL_CLUSTER_LB_URL"]
        self.b_api = self.env["REEL_CLUSTER_B_API1_URL"]
        self.apis = {"a": self.lb, "b": self.b_api}
        self.edges = {"a": self.env["REEL_CLUSTER_A_EDGE_URL"], "b": self.env["REEL_CLUSTER_B_EDGE_URL"]}
        self.clients = {"a": Host("a-lb", 6), "b": Host("b-api1", 6)}
        self.direct = {h: Host(h, 2) for h in ("a-api1", "a-api2")}
        self.primary = "a-pg"
        self.standby = "b-pg"
        self.lock = threading.Lock()
        self.videos = {}          # id -> {region, phase, sha, acked_at}
        self.failed_uploads = []  # (phase, region, why)
        self.label = "warmup"
        self.running = True
        self.uploading = {"a": True, "b": True}
        self.play_sets = {"a": [], "b": []}
        self.plays = []           # (t, region, kind, ok, why, video)
        self.results = []
        self.clip_no = 0

    # --- basics ---------------------------------------------------------------------

    def left(self):
        return self.deadline - time.time()

    def sql(self, query, host=None, timeout=15):
        """Rows (lists of strings) from psql on HOST (the primary by default); None on failure."""
        return psql(self.env, host or self.primary, query, timeout)

    def sql1(self, query, host=None):
        rows = self.sql(query, host)
        return rows[0][0] if rows else None

    def cluster(self, *args, timeout=120):
        started = now()
        done = subprocess.run(["bash", CLUSTER, *args], capture_output=True, text=True, timeout=timeout)
        for line in (done.stdout + done.stderr).strip().splitlines():
            log(f"  | {line}")
        if done.returncode != 0:
            raise Failure(f"scripts/cluster.sh {' '.join(args)} failed (exit {done.returncode})")
        return now() - started

    @staticmethod
    def ids_sql(ids):
        return "ARRAY[" + ",".join(f"'{i}'" for i in ids) + "]::text[]" if ids else "ARRAY[]::text[]"

    # --- clips --------------------------------------------------------------------------

    def make_clips(self):
        """Distinct 2 s clips (a frame counter, pink noise: no two share a segment), cut with
        stream copy from one source made once and kept in --clips."""
        clips = Path(self.args.clips)
        clips.mkdir(parents=True, exist_ok=True)
        n = self.args.clip_count
        if len(list(clips.glob("c*.mp4"))) < n:
            source = clips / "source.mp4"
            started = now()
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                            "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.2:sample_rate=48000",
                            "-t", str(2 * n), "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
                            "-keyint_min", "50", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
                            "-c:a", "aac", "-b:a", "64k", "-shortest", str(source)], check=True)
            for i in range(n):
                subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss", str(2 * i),
                                "-i", str(source), "-t", "2", "-c", "copy", "-avoid_negative_ts", "make_zero",
                                str(clips / f"c{i:04d}.mp4")], check=True)
            # The tus clip: larger, so that it takes several chunks.
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                            "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
                            "-f", "lavfi", "-i", "anoisesrc=color=white:amplitude=0.2:sample_rate=48000",
                            "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                            "-c:a", "aac", "-shortest", str(clips / "tus.mp4")], check=True)
            source.unlink()
            log(f"made {n} clips and the tus clip in {now() - started:.1f} s ({clips})")
        self.clips = [p.read_bytes() for p in sorted(clips.glob("c*.mp4"))[:n]]
        self.tus_clip = (clips / "tus.mp4").read_bytes()
        # Different clips every run (a run after another must not upload the same bytes
        # first: the catalog is fresh, but the order is shuffled anyway).
        random.shuffle(self.clips)

    def next_clip(self):
        with self.lock:
            clip = self.clips[self.clip_no % len(self.clips)]
            self.clip_no += 1
        return clip

    # --- load -----------------------------------------------------------------------------

    def upload_once(self, region, body):
        """One-shot upload as a client does it: retried for --upload-retry-s. The video id or None."""
        client = self.clients[region]
        started = now()
        why = ""
        tries = 0
        while self.running and now() - started < self.args.upload_retry_s:
            tries += 1
            try:
                r = client.upload(self.apis[region], body, f"chaos-{region}", self.token)
                if r.status == 201:
                    if tries > 1:
                        log(f"  upload through region-{region} acknowledged after {tries} tries "
                            f"({now() - started:.1f} s); the first failed with {first}")
                    return r.json()["id"], tries
                why = f"HTTP {r.status}: {r.body[:160]!r}"
                if r.status < 500 and r.status != 429:
                    break
            except (OSError, http.client.HTTPException) as error:
                why = f"{type(error).__name__}: {error}"
            if tries == 1:
                first = why
            time.sleep(1)
        return None, why

    def uploader(self, region, interval):
        while self.running:
            if not self.uploading[region]:
                time.sleep(0.2)
                continue
            body = self.next_clip()
            vid, info = self.upload_once(region, body)
            # A video belongs to the phase during which its upload was acknowledged.
            label = self.label
            with self.lock:
                if vid:
                    self.videos[vid] = {"region": region, "phase": label, "sha": sha256(body), "acked": time.time(),
                                        "tries": info}
                elif self.running:
                    self.failed_uploads.append((label, region, info))
                    log(f"  upload through region-{region} never acknowledged ({label}): {info}")
            time.sleep(interval * random.uniform(0.8, 1.2))

    def play(self, region, video, how):
        """None if master, media playlist and first segment answer 200; else why not."""
        client = self.clients[region]
        try:
            if how == "viewer":
                r = client.get(f"{self.apis[region]}/v1/videos/{video}?region=region-{region}", timeout=10)
                if r.status != 200:
                    return f"metadata HTTP {r.status}"
                meta = r.json()
                edge = meta.get("edge") or {}
                master = edge.get("hls") or (self.apis[region] + meta["urls"]["hls"])
            elif how == "edge":
                master = f"{self.edges[region]}/v1/videos/{video}/master.m3u8"
            else:
                master = f"{self.apis[region]}/v1/videos/{video}/master.m3u8"
            r = client.get(master, timeout=10)
            if r.status != 200:
                return f"master {master}: HTTP {r.status}"
            variant = next(line for line in r.body.decode().splitlines() if line and not line.startswith("#"))
            base = master.rsplit("/", 1)[0]
            r = client.get(f"{base}/{variant}", timeout=10)
            if r.status != 200:
                return f"{variant}: HTTP {r.status}"
            segment = next(line for line in r.body.decode().splitlines() if line and not line.startswith("#"))
            folder = f"{base}/{variant.rsplit('/', 1)[0]}"
            r = client.get(f"{folder}/{segment}", timeout=10)
            if r.status != 200 or not r.body:
                return f"{segment}: HTTP {r.status}"
            return None
        except (OSError, http.client.HTTPException, ValueError, KeyError, StopIteration) as error:
            return f"{type(error).__name__}: {error}"

    def viewer(self, region):
        while self.running:
            videos = self.play_sets[region]
            if not videos:
                time.sleep(0.5)
                continue
            video = random.choice(videos)
            for how in ("viewer", "edge", "api"):
                t = time.time()
                why = self.play(region, video, how)
                with self.lock:
                    self.plays.append((t, region, how, why is None, why, video))
            time.sleep(random.uniform(0.7, 1.1))

    def play_failures(self, region, since, until, kinds=("viewer", "edge", "api")):
        with self.lock:
            bad = [p for p in self.plays if p[1] == region and p[2] in kinds and since <= p[0] <= until and not p[3]]
            total = [p for p in self.plays if p[1] == region and p[2] in kinds and since <= p[0] <= until]
        return bad, len(total)

    # --- checks -----------------------------------------------------------------------

    def phase_videos(self, label):
        with self.lock:
            return sorted(v for v, d in self.videos.items() if d["phase"] == label)

    def job_report(self, ids):
        """(lost, unfinished rows) for the videos' jobs on the primary."""
        if not ids:
            return 0, []
        arr = self.ids_sql(ids)
        rows = self.sql(f"""
            WITH v AS (SELECT unnest({arr}) AS id)
            SELECT v.id, (SELECT count(*) FROM videos x WHERE x.id = v.id),
                   coalesce((SELECT string_agg(DISTINCT j.kind, ',') FROM reel_jobs j
                             WHERE j.args->>'video' = v.id AND j.state = 'completed'), ''),
                   coalesce((SELECT string_agg(j.id || ':' || j.kind || ':' || j.state, ',') FROM reel_jobs j
                             WHERE j.args->>'video' = v.id AND j.state <> 'completed'), '')
            FROM v""")
        if rows is None:
            return None, None
        lost, unfinished = 0, []
        for vid, exists, done, pending in rows:
            if exists == "0":
                lost += 1
                unfinished.append(f"{vid}: acknowledged, no video row")
                continue
            kinds = set(done.split(",")) if done else set()
            for kind in ("video.ingest", "video.transcode", "video.package", "replicate", "edge.warm"):
                if kind not in kinds:
                    lost += 1
                    unfinished.append(f"{vid}: no completed {kind}")
            for job in filter(None, pending.split(",")):
                lost += 1
                unfinished.append(f"{vid}: job {job}")
        return lost, unfinished

    def ready_and_replicated(self, ids):
        """Videos of IDS not ready, or without every object verified in both regions."""
        if not ids:
            return []
        rows = self.sql(f"""
            WITH v AS (SELECT unnest({self.ids_sql(ids)}) AS id)
            SELECT v.id FROM v LEFT JOIN videos x ON x.id = v.id
            WHERE x.status IS DISTINCT FROM 'ready'
               OR EXISTS (SELECT 1 FROM video_objects o CROSS JOIN (VALUES ('region-a'), ('region-b')) r(region)
                          WHERE o.video_id = v.id AND NOT EXISTS (
                              SELECT 1 FROM object_replicas p WHERE p.digest = o.digest
                              AND p.region = r.region AND p.state = 'verified'))""")
        return ids if rows is None else [r[0] for r in rows]

    def unplayable(self, ids):
        """Videos whose viewer flow fails in either region (one try each)."""
        bad = []
        for vid in ids:
            for region in ("a", "b"):
                why = self.play(region, vid, "viewer")
                if why:
                    bad.append(f"{vid} in region-{region}: {why}")
                    break
        return bad

    def corrupt(self, ids):
        """Objects fetched through each region's API that do not hash to the catalog's digest,
        and sources whose digest is not the uploaded file's."""
        if not ids:
            return 0, [], 0
        arr = self.ids_sql(ids)
        rows = self.sql(f"""
            SELECT video_id, rendition || '/' || number || '.m4s', digest FROM segments WHERE video_id = ANY({arr})
            UNION ALL SELECT video_id, name || '/init.mp4', init_digest FROM renditions WHERE video_id = ANY({arr})""")
        sources = self.sql(f"SELECT id, source_digest FROM videos WHERE id = ANY({arr})")
        if rows is None or sources is None:
            return len(ids), ["the primary did not answer"], 0
        problems = []
        with self.lock:
            for vid, digest in sources:
                if self.videos[vid]["sha"] != digest:
                    problems.append(f"{vid}: source digest {digest[:12]} is not the uploaded file's {self.videos[vid]['sha'][:12]}")
        checked = 0
        for region in ("a", "b"):
            client = self.clients[region]

            def check(row, region=region, client=client):
                vid, path, digest = row
                url = f"{self.apis[region]}/v1/videos/{vid}/{path}"
                for attempt in range(3):
                    try:
                        r = client._request("GET", url, None, None, 15)
                        if r.status == 200:
                            got = sha256(r.body)
                            return None if got == digest else f"{url}: sha256 {got[:12]}, catalog {digest[:12]}"
                        why = f"{url}: HTTP {r.status}"
                    except (OSError, http.client.HTTPException) as error:
                        why = f"{url}: {type(error).__name__}: {error}"
                    time.sleep(0.5)
                return why
            problems += [p for p in client.map(check, rows) if p]
            checked += len(rows)
        return len(problems), problems, checked

    # --- a phase ------------------------------------------------------------------

    def refresh_play_sets(self, timeout=60):
        """Both regions' viewers play the videos that are ready with every object verified in
        both regions (waiting, up to TIMEOUT, only while there is none)."""
        started = now()
        while True:
            with self.lock:
                ids = sorted(self.videos, key=lambda v: self.videos[v]["acked"])
            waiting = self.ready_and_replicated(ids)
            good = [v for v in ids if v not in waiting]
            if good or now() - started > timeout:
                break
            time.sleep(1)
        recent = good[-30:]
        self.play_sets = {"a": list(recent), "b": list(recent)}
        return recent

    def run_phase(self, name, title, fault, checks=None, last=False, final=None):
        if self.left() < 45:
            log(f"phase {name} skipped: {self.left():.0f} s left of the time budget")
            self.results.append({"phase": name, "skipped": True})
            self.skipped = True
            return
        log(f"phase {name}: {title}")
        # Uploads acknowledged since the last phase froze its videos belong to this one.
        with self.lock:
            for d in self.videos.values():
                if d["phase"] == "pending":
                    d["phase"] = name
            self.failed_uploads = [(name if f[0] == "pending" else f[0], f[1], f[2]) for f in self.failed_uploads]
        self.label = name
        self.refresh_play_sets(timeout=20)
        started = time.time()
        extra = {"failures": {}, "info": {}}
        try:
            fault_end = fault(extra)        # the fault is over (healed, restarted, promoted)
        except (Failure, OSError, subprocess.SubprocessError, http.client.HTTPException) as error:
            log(f"  the fault could not be carried out: {error}")
            extra["failures"]["checks_failed"] = 1
            fault_end = time.time()
            checks = final = None
        time.sleep(self.args.tail_s)         # uploads of the phase go on a little after the fault
        self.label = "pending"
        if last:
            self.uploading = {"a": False, "b": False}
        ids = self.phase_videos(name)
        bound = min(self.args.phase_timeout, max(10, self.left() - 30))
        recovered = None
        why = "not checked"
        shown = None
        while True:
            why = self.not_yet(ids, checks, extra)
            if why is None:
                recovered = time.time() - fault_end
                break
            # What is still missing, when it changes (without the ids and counts).
            gist = re.sub(r"[0-9A-Za-z]{12}|\d+", "#", why)
            if gist != shown:
                log(f"  +{time.time() - fault_end:.1f} s: waiting: {why}")
                shown = gist
            if time.time() - fault_end > bound:
                break
            time.sleep(1)
        # The counts, once recovered (or at the bound).
        if final:
            final(extra, fault_end + bound)
        lost, unfinished = self.job_report(ids)
        if lost is None:
            lost, unfinished = len(ids), ["the primary did not answer"]
        lost += extra["failures"].pop("snapshot_jobs_lost", 0)
        not_ready = self.ready_and_replicated(ids)
        unplayable_why = [f"{v}: not ready or not replicated" for v in not_ready]
        unplayable_why += self.unplayable([v for v in ids if v not in not_ready])
        n_corrupt, corrupt_why, checked = self.corrupt(ids)
        with self.lock:
            failed = [f for f in self.failed_uploads if f[0] == name]
            retried = sum(1 for v in ids if self.videos[v].get("tries", 1) > 1)
        if retried:
            extra["info"]["uploads_retried"] = retried
        if failed:
            extra["failures"]["uploads_failed"] = len(failed)
        for line in (unfinished[:8] + unplayable_why[:8] + corrupt_why[:8] + [f"upload {f[1]}: {f[2]}" for f in failed[:4]]):
            log(f"  {line}")
        if recovered is None:
            log(f"  did not recover within {bound:.0f} s: {why}")
            extra["failures"]["not_recovered"] = 1
        result = {"phase": name, "videos": len(ids), "jobs_lost": lost, "objects_corrupt": n_corrupt,
                  "videos_unplayable": len(unplayable_why), "recover_s": recovered,
                  "objects_checked": checked, "phase_s": round(time.time() - started, 1),
                  **extra["failures"], **extra["info"]}
        self.results.append(result)
        shown = " ".join(f"{k}={v}" for k, v in {**extra["failures"], **extra["info"]}.items())
        print(f"PHASE {name} jobs_lost={lost} objects_corrupt={n_corrupt} videos_unplayable={len(unplayable_why)} "
              f"recover_s={'%.1f' % recovered if recovered is not None else 'NaN'} "
              f"({len(ids)} videos, {checked} objects hashed, {result['phase_s']} s; {shown})", flush=True)

    def not_yet(self, ids, checks, extra):
        """None when everything checks out; else what does not (yet)."""
        if checks:
            why = checks(extra)
            if why:
                return why
        lost, unfinished = self.job_report(ids)
        if lost is None:
            return "the primary does not answer"
        if lost:
            return f"{lost} jobs not completed ({unfinished[0]})"
        waiting = self.ready_and_replicated(ids)
        if waiting:
            return f"{len(waiting)} videos not ready or not replicated ({waiting[0]})"
        bad = self.unplayable(ids)
        if bad:
            return f"{len(bad)} not playable ({bad[0]})"
        return None

    # --- the faults -------------------------------------------------------------------

    def phase_partition(self, extra):
        time.sleep(self.args.lead_s)
        before = list(self.play_sets["b"])
        log(f"  region-b's viewers play {len(before)} videos it held before the partition")
        self.cluster("partition")
        t0 = time.time()
        time.sleep(self.args.partition_s)
        self.cluster("heal")
        t1 = time.time()
        bad, total = self.play_failures("b", t0, t1)
        extra["failures"]["b_view_fail"] = len(bad)
        extra["info"]["b_plays_during"] = total
        for p in bad[:5]:
            log(f"  region-b {p[2]} play of {p[5]} failed during the partition: {p[4]}")
        # Where the standby must be: what the primary has written by the time it is healed.
        self.heal_lsn = None
        self.partition_videos = None
        return t1

    def check_partition(self, extra):
        if self.heal_lsn is None:
            self.heal_lsn = self.sql1("SELECT pg_current_wal_lsn()")
            if self.heal_lsn is None:
                return "the primary does not answer"
        replayed = self.sql1(f"SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '{self.heal_lsn}') >= 0", host=self.standby)
        if replayed != "t":
            return f"the standby has not replayed up to {self.heal_lsn}"
        lag = self.sql1("SELECT coalesce(max(pg_wal_lsn_diff(sent_lsn, replay_lsn)), -1) FROM pg_stat_replication "
                        "WHERE application_name = 'region-b'")
        extra["info"]["replay_lag_bytes"] = lag
        if lag is None or lag == "-1":
            return "region-b is not in pg_stat_replication"
        with self.lock:
            newest = max(self.videos, key=lambda v: self.videos[v]["acked"])
            every = sorted(self.videos)
        if self.sql1(f"SELECT count(*) FROM videos WHERE id = '{newest}'", host=self.standby) != "1":
            return f"the standby does not have the newest video {newest}"
        missing = self.sql1(f"""SELECT count(*) FROM video_objects o WHERE o.video_id = ANY({self.ids_sql(every)})
            AND NOT EXISTS (SELECT 1 FROM object_replicas r WHERE r.digest = o.digest AND r.region = 'region-b'
                            AND r.state = 'verified')""")
        if missing != "0":
            return f"{missing} objects of the {len(every)} videos not verified in region-b"
        return None

    def phase_volume(self, extra):
        victim = "a-s3v2"
        time.sleep(self.args.lead_s)
        self.cluster("kill", victim)
        t0 = time.time()
        time.sleep(self.args.volume_down_s)
        self.cluster("restart", victim)
        t1 = time.time()
        bad, total = self.play_failures("a", t0, t1, kinds=("viewer", "api", "edge"))
        extra["failures"]["read_fail"] = len(bad)
        extra["info"]["a_reads_during"] = total
        for p in bad[:5]:
            log(f"  region-a {p[2]} read of {p[5]} failed with {victim} dead: {p[4]}")
        return t1

    def tus_upload(self, on_chunk):
        """A tus upload through HAProxy in small chunks; on_chunk(n) after each. (video id, sha256)."""
        client = self.clients["a"]
        body = self.tus_clip
        chunk = max(4096, -(-len(body) // self.args.tus_chunks))
        auth = {"Authorization": f"Bearer {self.token}", "Tus-Resumable": "1.0.0"}
        meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                        for k, v in (("filename", "tus.mp4"), ("title", "chaos-tus"), ("filetype", "video/mp4")))
        deadline = now() + self.args.upload_retry_s
        r = client.request("POST", f"{self.lb}/v1/uploads/tus", body=b"",
                           headers={**auth, "Upload-Length": str(len(body)), "Upload-Metadata": meta}, timeout=30)
        if r.status != 201:
            raise Failure(f"tus creation answered {r.status}: {r.body[:200]!r}")
        url = urllib.parse.urljoin(self.lb + "/v1/uploads/tus", r.header("location"))
        offset, n, retries = 0, 0, 0
        while offset < len(body):
            if now() > deadline:
                raise Failure(f"tus upload stuck at {offset} of {len(body)} bytes")
            try:
                r = client.request("PATCH", url, body=body[offset:offset + chunk], timeout=30, headers={
                    **auth, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
                if r.status in (201, 204):
                    offset = int(r.header("upload-offset") or offset + chunk)
                    n += 1
                    on_chunk(n)
                    continue
                why = f"PATCH at {offset}: HTTP {r.status} {r.body[:120]!r}"
            except (OSError, http.client.HTTPException) as error:
                why = f"PATCH at {offset}: {type(error).__name__}: {error}"
            retries += 1
            log(f"  tus: {why}; asking where the upload stands (HEAD)")
            time.sleep(1)
            try:
                h = client.request("HEAD", url, headers=auth, timeout=10)
                if h.status == 200:
                    offset = int(h.header("upload-offset"))
            except (OSError, http.client.HTTPException, TypeError, ValueError):
                pass
        vid = None
        while vid is None and now() < deadline:
            try:
                h = client.request("HEAD", url, headers=auth, timeout=10)
                vid = h.header("reel-video-id")
            except (OSError, http.client.HTTPException):
                pass
            if vid is None:
                time.sleep(0.5)
        if not vid:
            raise Failure("the finished tus upload names no video (Reel-Video-Id)")
        return vid, sha256(body), n, retries

    def phase_api(self, extra):
        victim = "a-api1"
        time.sleep(self.args.lead_s)
        killed = {}

        def on_chunk(n):
            if n == 3 and not killed:
                self.cluster("kill", victim)
                killed["t"] = time.time()
        vid, sha, chunks, retries = self.tus_upload(on_chunk)
        with self.lock:
            self.videos[vid] = {"region": "a", "phase": "c", "sha": sha, "acked": time.time()}
        self.tus_video = vid
        extra["info"]["tus_chunks"] = chunks
        extra["info"]["tus_retries"] = retries
        log(f"  tus upload {vid}: {len(self.tus_clip)} bytes in {chunks} chunks, {retries} retried, "
            f"{victim} killed after chunk 3")
        if not killed:
            raise Failure("the tus upload finished before the API could be killed (use more --tus-chunks)")
        time.sleep(max(0, 4 - (time.time() - killed["t"])))
        self.cluster("restart", victim)
        return time.time()

    def check_api(self, extra):
        digest = self.sql1(f"SELECT source_digest FROM videos WHERE id = '{self.tus_video}'")
        if digest != self.videos[self.tus_video]["sha"]:
            return f"the tus video's source digest is {digest}, not the file's"
        try:
            stats = self.clients["a"].get(self.env["REEL_CLUSTER_LB_STATS_URL"] + ";csv", timeout=5).body.decode()
        except (OSError, http.client.HTTPException) as error:
            return f"HAProxy statistics: {error}"
        down = [line.split(",")[1] for line in stats.splitlines()
                if line.startswith("apis,a-api") and line.split(",")[17] != "UP"]
        return f"HAProxy does not see {down} UP" if down else None

    def phase_failover(self, extra):
        time.sleep(self.args.lead_s)
        rows = self.sql("SELECT id, state FROM reel_jobs")
        if rows is None:
            raise Failure("the primary did not answer before the failover")
        self.snapshot = {int(i): s for i, s in rows}
        with self.lock:
            self.acked_before_stop = sorted(self.videos)
        log(f"  {len(self.snapshot)} jobs before the stop "
            f"({sum(1 for s in self.snapshot.values() if s not in ('completed', 'discarded', 'cancelled'))} unfinished)")
        self.cluster("failover")
        self.primary, self.standby = "b-pg", None
        self.failover_at = time.time()
        self.plays_video = None
        self.plays_fetched = 0
        return self.failover_at

    def snapshot_jobs(self, extra):
        """(missing, unfinished, running since the promotion) of the jobs from before the stop."""
        rows = self.sql(f"SELECT id, state, attempt, errors::text LIKE '%lease expired%', jsonb_array_length(errors), "
                        # claimed on the new primary, or its lease (15 s) renewed there by heartbeats
                        f"coalesce(attempted_at > to_timestamp({self.failover_at}) OR lease_expires_at > "
                        f"to_timestamp({self.failover_at}) + interval '15 seconds', false) "
                        f"FROM reel_jobs WHERE id <= {max(self.snapshot)}")
        if rows is None:
            return None, None, None
        found = {int(r[0]): r for r in rows}
        missing = [i for i in self.snapshot if i not in found]
        unfinished = [i for i, s in self.snapshot.items()
                      if i in found and found[i][1] != "completed" and s not in ("discarded", "cancelled")]
        running = [i for i in unfinished if found[i][1] == "running" and found[i][5] == "t"]
        twice = [i for i, r in found.items() if i in self.snapshot and r[1] == "completed" and int(r[2]) > 1
                 and r[3] == "f" and int(r[4]) < int(r[2]) - 1]
        extra["failures"]["jobs_twice"] = len(twice)
        extra["failures"]["snapshot_jobs_lost"] = len(missing) + len(unfinished)
        extra["info"]["snapshot_jobs"] = len(self.snapshot)
        extra["info"]["rerun_after_lease"] = sum(1 for i, r in found.items() if i in self.snapshot and r[3] == "t")
        for i in twice[:5]:
            log(f"  job {i} completed after {found[i][2]} attempts with {found[i][4]} errors and no lease expiry")
        return missing, unfinished, running

    def final_failover(self, extra, until):
        """After the recovery: every job of the snapshot completes (until UNTIL)."""
        while True:
            missing, unfinished, _ = self.snapshot_jobs(extra)
            if missing is not None and not missing and not unfinished:
                return
            if time.time() > until:
                log(f"  jobs of the snapshot not completed in time: missing {missing}, unfinished {unfinished}")
                return
            time.sleep(1)

    def check_failover(self, extra):
        t = self.failover_at
        if getattr(self, "failover_ok", False):
            return None
        # Every job of the snapshot is there and finished; none ran to completion twice unseen.
        missing, unfinished, running = self.snapshot_jobs(extra)
        if missing is None:
            return "the new primary does not answer"
        if missing:
            return f"{len(missing)} jobs of the snapshot are missing on the new primary ({missing[:5]})"
        # Recovered once each is completed or running on the new primary (claimed there, or
        # its lease renewed there): a job that takes long (the 50 s scrub) finishes later, and
        # the phase's final count waits for it.
        if unfinished and set(unfinished) - set(running):
            return f"{len(unfinished)} jobs of the snapshot not completed ({unfinished[:5]})"
        lost_acks = self.sql1(f"SELECT count(*) FROM unnest({self.ids_sql(self.acked_before_stop)}) a(id) "
                              "WHERE NOT EXISTS (SELECT 1 FROM videos v WHERE v.id = a.id)")
        if lost_acks != "0":
            extra["failures"]["snapshot_jobs_lost"] += int(lost_acks or 0)
            return f"{lost_acks} videos acknowledged before the stop are missing"
        # The scheduler leads on the new primary.
        if self.sql1("SELECT count(*) FROM reel_leaders WHERE name = 'scheduler' AND expires_at > now()") != "1":
            return "no scheduler leads on the new primary"
        # Both workers complete jobs there (attempted_by is HOST:PID:…; the PIDs are the workers').
        pids = {}
        for line in (Path(self.env["REEL_CLUSTER_DIR"]) / "pids").read_text().splitlines():
            host, proc, pid, _ = line.split()
            if proc == "worker":
                pids[host] = pid
        done_by = self.sql(f"SELECT DISTINCT split_part(attempted_by, ':', 2) FROM reel_jobs WHERE state = 'completed' "
                           f"AND finalized_at > to_timestamp({t})")
        done_by = {r[0] for r in done_by or []}
        idle = [h for h, pid in pids.items() if pid not in done_by]
        if idle:
            return f"{idle} completed no job on the new primary yet"
        # Every API answers /readyz and the newest video (each directly, not through HAProxy).
        with self.lock:
            newest = max(self.videos, key=lambda v: self.videos[v]["acked"])
        for name, (client, url) in {"a-api1": (self.direct["a-api1"], self.env["REEL_CLUSTER_A_API1_URL"]),
                                    "a-api2": (self.direct["a-api2"], self.env["REEL_CLUSTER_A_API2_URL"]),
                                    "b-api1": (self.clients["b"], self.b_api)}.items():
            try:
                if client.get(f"{url}/readyz", timeout=5).status != 200:
                    return f"{name} is not ready"
                if client.get(f"{url}/v1/videos/{newest}", timeout=5).status != 200:
                    return f"{name} does not answer video {newest}"
            except (OSError, http.client.HTTPException) as error:
                return f"{name}: {error}"
        # Both edge agents write plays there: a video made after the promotion, its master
        # fetched through each edge, every fetch counted.
        if self.plays_video is None:
            with self.lock:
                fresh = [v for v, d in self.videos.items() if d["acked"] > t]
            ready = [v for v in fresh if self.sql1(f"SELECT status FROM videos WHERE id = '{v}'") == "ready"]
            if not ready:
                return "no video uploaded after the promotion is ready yet"
            self.plays_video = ready[0]
            for region, times in (("a", 2), ("b", 3)):
                for _ in range(times):
                    r = self.clients[region].get(f"{self.edges[region]}/v1/videos/{self.plays_video}/master.m3u8")
                    if r.status == 200:
                        self.plays_fetched += 1
        plays = self.sql1(f"SELECT coalesce(sum(plays), 0) FROM video_plays WHERE video_id = '{self.plays_video}'")
        extra["info"]["plays"] = f"{plays}/{self.plays_fetched}"
        if plays != str(self.plays_fetched):
            return f"{plays} plays of {self.plays_video} counted for {self.plays_fetched} master fetches through the edges"
        # Checked once: the phase's playability checks fetch this video's master again.
        self.failover_ok = True
        return None

    def edge_offered(self, video):
        try:
            r = self.clients["a"].get(f"{self.lb}/v1/videos/{video}?region=region-a", timeout=5)
            return bool(r.json().get("edge")) if r.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError):
            return None

    def phase_edge(self, extra):
        time.sleep(self.args.lead_s)
        video = self.play_sets["a"][-1]
        if not self.edge_offered(video):
            raise Failure("the API offers no edge to region-a before the edge is killed")
        self.cluster("kill", "a-edge")
        t0 = time.time()
        # Each API behind HAProxy checks the edges on its own: the fallback is done once no
        # answer (round robin: both APIs) offers the dead edge any more.
        fallback = None
        while time.time() - t0 < self.args.edge_down_s:
            offered = self.edge_offered(video)
            if offered is False and fallback is None:
                fallback = time.time() - t0
            elif offered is not False:
                fallback = None
            time.sleep(0.2)
        extra["info"]["fallback_s"] = "%.1f" % fallback if fallback is not None else "NaN"
        if fallback is None:
            extra["failures"]["no_fallback"] = 1
            log(f"  the API still offered edge-a {self.args.edge_down_s} s after it died")
        direct = self.play("a", video, "api")
        if direct:
            extra["failures"]["api_direct_fail"] = 1
            log(f"  the API did not serve {video} directly with edge-a dead: {direct}")
        early, _ = self.play_failures("a", t0, t0 + (fallback or self.args.edge_down_s) + 1, kinds=("viewer",))
        extra["info"]["view_fail_before_fallback"] = len(early)
        # Viewers after the API's health check had time to notice: they must play.
        bad, total = self.play_failures("a", t0 + (fallback or 0) + 1, time.time(), kinds=("viewer",))
        extra["failures"]["view_fail_after_fallback"] = len(bad)
        for p in bad[:5]:
            log(f"  region-a viewer of {p[5]} failed {p[0] - t0:.1f} s after the kill (after the fallback): {p[4]}")
        self.cluster("restart", "a-edge")
        self.edge_video = video
        return time.time()

    def check_edge(self, extra):
        if not self.edge_offered(self.edge_video):
            return "the API does not offer edge-a again yet"
        why = self.play("a", self.edge_video, "edge")
        return f"edge-a: {why}" if why else None

    # --- all of it ------------------------------------------------------------------

    def run(self):
        self.skipped = False
        self.make_clips()
        threads = [threading.Thread(target=self.uploader, args=("a", self.args.a_interval), daemon=True),
                   threading.Thread(target=self.uploader, args=("b", self.args.b_interval), daemon=True),
                   threading.Thread(target=self.viewer, args=("a",), daemon=True),
                   threading.Thread(target=self.viewer, args=("b",), daemon=True)]
        for t in threads:
            t.start()
        log(f"load: uploads every ~{self.args.a_interval} s through HAProxy and every ~{self.args.b_interval} s "
            f"through b-api1; viewers in both regions")
        time.sleep(self.args.warmup_s)
        played = self.refresh_play_sets(timeout=60)
        if not played:
            raise Failure("no video became ready and replicated during the warm-up")
        log(f"warm-up: {len(self.videos)} videos uploaded, {len(played)} ready and replicated")
        phases = {
            "a": ("partition region-b from region-a", self.phase_partition, self.check_partition),
            "b": ("kill -9 a volume server of region-a", self.phase_volume, None),
            "c": ("kill -9 an API behind HAProxy during a tus upload", self.phase_api, self.check_api),
            "d": ("stop the primary, promote region-b's standby", self.phase_failover, self.check_failover),
            "e": ("kill region-a's edge", self.phase_edge, self.check_edge),
        }
        order = [p for p in "abcde" if (not self.args.quick or p in "ace")
                 and (not self.args.only or p in self.args.only)]
        for p in order:
            title, fault, check = phases[p]
            self.run_phase(p, title, fault, check, last=(p == order[-1]),
                           final=self.final_failover if p == "d" else None)
        with self.lock:
            unchecked = sum(1 for d in self.videos.values() if d["phase"] == "pending")
        if unchecked:
            log(f"{unchecked} uploads acknowledged after the last phase froze its videos were not checked")
        self.running = False
        with self.lock:
            total_uploads = len(self.videos)
            failed = len(self.failed_uploads)
        done = [r for r in self.results if not r.get("skipped")]
        totals = {k: sum(r[k] for r in done) for k in ("jobs_lost", "objects_corrupt", "videos_unplayable")}
        recovers = [r["recover_s"] for r in done]
        max_recover = "NaN" if any(x is None for x in recovers) or not recovers else "%.1f" % max(recovers)
        extra_bad = sum(v for r in done for k, v in r.items()
                        if k in FAILURES and v)
        with self.lock:
            plays = len(self.plays)
            play_bad = sum(1 for p in self.plays if not p[3])
        print(f"uploads acknowledged={total_uploads} never acknowledged={failed} plays={plays} "
              f"(failed {play_bad}, mostly while a fault was on)", flush=True)
        (self.dir / "chaos-results.json").write_text(json.dumps(self.results, indent=2))
        print(f"RESULT jobs_lost={totals['jobs_lost']} objects_corrupt={totals['objects_corrupt']} "
              f"videos_unplayable={totals['videos_unplayable']} max_recover_s={max_recover}", flush=True)
        # An upload never acknowledged fails the run wherever it falls (also between phases).
        bad = sum(totals.values()) + extra_bad + failed + (1 if max_recover == "NaN" else 0) + (1 if self.skipped else 0)
        return 0 if bad == 0 and len(done) == len(order) else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--clips", required=True, help="folder of the clips (kept between runs)")
    p.add_argument("--deadline", type=float, default=None, help="Unix time by which everything must be done")
    p.add_argument("--quick", action="store_true", help="phases a, c and e only, fewer uploads")
    p.add_argument("--only", type=lambda s: set(s.split(",")), default=None)
    p.add_argument("--clip-count", type=int, default=120)
    p.add_argument("--a-interval", type=float, default=5.0, help="seconds between uploads through HAProxy")
    p.add_argument("--b-interval", type=float, default=8.0, help="seconds between uploads through b-api1")
    p.add_argument("--upload-retry-s", type=float, default=60)
    p.add_argument("--warmup-s", type=float, default=8)
    p.add_argument("--lead-s", type=float, default=6, help="seconds of load before each fault")
    p.add_argument("--tail-s", type=float, default=0, help="seconds after its fault an upload still counts into a phase")
    p.add_argument("--phase-timeout", type=float, default=90)
    p.add_argument("--partition-s", type=float, default=20)
    p.add_argument("--volume-down-s", type=float, default=15)
    p.add_argument("--edge-down-s", type=float, default=8)
    p.add_argument("--tus-chunks", type=int, default=8, help="chunks of the tus upload (a-api1 dies after the third)")
    args = p.parse_args()
    if args.quick:
        args.a_interval *= 1.5
        args.b_interval *= 1.5
        args.partition_s = min(args.partition_s, 12)
    chaos = Chaos(args)
    try:
        return chaos.run()
    except Failure as error:
        print(f"chaos: {error}", file=sys.stderr, flush=True)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        chaos.running = False


if __name__ == "__main__":
    sys.exit(main())
