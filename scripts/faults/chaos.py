#!/usr/bin/env python3
"""Fault tests for Reel: kill its processes and its dependencies while videos
are uploaded, then prove nothing was lost.  Run by scripts/faults/chaos.sh, which
starts the private PostgreSQL, Redis and SeaweedFS and builds `reel`.

    python3 scripts/faults/chaos.py --reel BIN --dir DIR [--uploads 50] [--rounds 2]
                             [--phase-uploads 10] [--phase-timeout 240] [--only PHASE,...]

Everything listens on 127.0.0.1; every process this script starts runs in a
process group of its own and is killed by its PID at the end, whatever
happens.  Phases (each bounded in uploads and in time):

  workers-killed    --uploads uploads while a random worker is SIGKILLed every
                    1-3 s and replaced; repeated --rounds times
  api-killed        the API is SIGKILLed twice during uploads and restarted on
                    the same port; the uploader retries as a client would
  scheduler-killed  the leading scheduler is SIGKILLed together with a worker
                    (so leases must be rescued by the scheduler that takes over)
  postgres-restart  PostgreSQL is restarted in immediate mode (as after a crash)
  redis-killed      Redis is SIGKILLed, then started again 3 s later
  region-down       the far region's S3 endpoint refuses connections for 8 s
  edge-killed       the Varnish edge is SIGKILLed during uploads

After each phase, once its jobs are finished (or the phase's time is up), it
prints:
  jobs lost          acknowledged uploads (201) without a video, plus jobs of
                     the publishing and replication chain not completed
  objects corrupt    copies whose bytes do not hash to their digest, or are
                     missing where the catalog says they are (`reel verify`)
  videos unplayable  acknowledged videos whose playlists and every segment do
                     not answer 200, fetched from the URLs the API's metadata
                     gives a viewer (the edge's when it offers one)
  stuck past lease   the longest a running job stayed past its lease expiry
The last line is `RESULT jobs_lost=... objects_corrupt=... videos_unplayable=...
max_stuck_past_lease_s=...` over all phases.
"""

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SERVICES = REPO / "scripts" / "services" / "lib"
# The jobs that publish an upload, as `reel jobs` filters them (a family ends in .*).
PUBLISHING = ["--kind", "video.*", "--kind", "replicate"]


def log(message):
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch_stream(master_url):
    """Fetches an HLS master, every playlist it names, and every init and media
    segment those list; None when all answer, else what failed."""
    try:
        base = master_url.rsplit("/", 1)[0]
        with urllib.request.urlopen(master_url, timeout=10) as reply:
            master = reply.read().decode()
        playlists = [line for line in master.splitlines() if line and not line.startswith("#")]
        playlists += [part.split('"')[1] for part in master.split("URI=")[1:]]
        if not playlists:
            return "the master lists no renditions"
        for playlist in playlists:
            folder = f"{base}/{playlist.rsplit('/', 1)[0]}"
            with urllib.request.urlopen(f"{base}/{playlist}", timeout=10) as reply:
                media = reply.read().decode()
            if "#EXT-X-ENDLIST" not in media:
                return f"{playlist} is not complete"
            for name in ["init.mp4"] + [line for line in media.splitlines() if line and not line.startswith("#")]:
                with urllib.request.urlopen(f"{folder}/{name}", timeout=10) as reply:
                    if reply.status != 200 or not reply.read():
                        return f"{playlist}: {name} answered {reply.status}"
        return None
    except (OSError, urllib.error.URLError, ValueError, IndexError) as error:
        return f"{type(error).__name__}: {error}"


def record_pid(pids, name, pid):
    """Rewrites NAME=PID in a services `pids` file after this script restarted that service."""
    pids.write_text("".join(f"{name}={pid}\n" if line.startswith(f"{name}=") else line + "\n"
                            for line in pids.read_text().splitlines()))


class Processes:
    """Every process started here, by name; each in its own process group."""

    def __init__(self, folder):
        self.folder = folder
        self.running = {}
        self.lock = threading.Lock()

    def start(self, name, args, env):
        out = open(self.folder / f"{name}.log", "ab")
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
        out.close()
        with self.lock:
            self.running[name] = proc
        return proc

    def kill(self, name, sig=signal.SIGKILL):
        with self.lock:
            proc = self.running.pop(name, None)
        if proc is None:
            return None
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        return proc.pid

    def names(self, prefix):
        with self.lock:
            return sorted(n for n in self.running if n.startswith(prefix))

    def pid(self, name):
        with self.lock:
            proc = self.running.get(name)
            return proc.pid if proc else None

    def stop_all(self):
        """SIGTERM to every process at once, then SIGKILL to any still there after 20 s."""
        with self.lock:
            running, self.running = dict(self.running), {}
        for proc in running.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 20
        for proc in running.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Proxy:
    """A TCP proxy on a fixed loopback port that can be taken down (refusing
    and cutting connections) and brought back: a region's store unreachable."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.port = free_port()
        self.listener = None
        self.accepting = None
        self.connections = set()
        self.lock = threading.Lock()
        self.up()

    def up(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        self.accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self.accepting.start()

    def down(self):
        listener, thread = self.listener, self.accepting
        self.listener = self.accepting = None
        if listener:
            # shutdown wakes the accept() blocked in the other thread; only then is the port free.
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
            thread.join(timeout=5)
        with self.lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.connections.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while True:
                data = source.recv(1 << 16)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:
            self.connections.discard(source)
            self.connections.discard(sink)


class Chaos:
    def __init__(self, args):
        self.args = args
        self.reel = args.reel
        self.dir = Path(args.dir).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.procs = Processes(self.dir)
        self.database = os.environ["REEL_DATABASE_URL"]
        self.api_port = free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.acknowledged = []      # video ids the API answered 201 for
        self.refused = 0            # uploads never acknowledged after every retry
        self.stuck_max = 0.0
        self.stuck_phase = 0.0
        self.sampling = True
        self.results = []
        self.proxy = Proxy(int(os.environ["REEL_S3_ENDPOINT"].rsplit(":", 1)[1].strip("/")))
        self.env = dict(os.environ)
        self.env.update({
            "REEL_DATA_DIR": str(self.dir / "data"),
            "REEL_REGIONS": "home=file:regions/home,far=s3:REEL_CHAOS_S3_",
            "REEL_CHAOS_S3_ENDPOINT": f"http://127.0.0.1:{self.proxy.port}",
            "REEL_LOG_LEVEL": "warning",
            "REEL_EDGE_TOKEN": f"chaos-edge-token-{random.randrange(1 << 40)}",
        })
        for key in ("BUCKET", "REGION", "ACCESS_KEY", "SECRET_KEY"):
            self.env[f"REEL_CHAOS_S3_{key}"] = os.environ[f"REEL_S3_{key}"]
        self.worker_count = 0
        self.scheduler_count = 0

    # --- helpers ---------------------------------------------------------

    def sql(self, query):
        """One value (or rows as lists) from psql; None while PostgreSQL is away."""
        done = subprocess.run(["psql", self.database, "-XAtq", "-F", "\t", "-c", query], capture_output=True, text=True)
        if done.returncode != 0:
            return None
        return [line.split("\t") for line in done.stdout.strip().splitlines()]

    def reel_cli(self, *args, check=True):
        return subprocess.run([self.reel, *args], env=self.env, capture_output=True, text=True, check=check, cwd=self.dir)

    def start_api(self):
        self.procs.start("api", [self.reel, "api", "--port", str(self.api_port), "--connections", "8"], self.env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.api + "/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise RuntimeError("the API did not become ready in 30 s (see api.log)")

    def start_worker(self):
        self.worker_count += 1
        name = f"worker-{self.worker_count}"
        self.procs.start(name, [self.reel, "worker", "--queues", "media=1,replication=2,edges=2", "--lease", "5",
                                "--poll-interval", "0.5", "--retry-base", "0.5"], self.env)
        return name

    def start_scheduler(self):
        self.scheduler_count += 1
        name = f"scheduler-{self.scheduler_count}"
        self.procs.start(name, [self.reel, "scheduler", "--interval", "0.5", "--leader-ttl", "2"], self.env)
        return name

    def sampler(self):
        while self.sampling:
            rows = self.sql("SELECT coalesce(max(extract(epoch FROM now() - lease_expires_at)), 0) FROM reel_jobs "
                            "WHERE state = 'running' AND lease_expires_at < now()")
            if rows:
                value = float(rows[0][0])
                self.stuck_max = max(self.stuck_max, value)
                self.stuck_phase = max(self.stuck_phase, value)
            time.sleep(0.5)

    def upload(self, path):
        """Uploads like a client: retries connection failures and 5xx answers. Returns the id or None."""
        body = Path(path).read_bytes()
        for attempt in range(10):
            request = urllib.request.Request(self.api + "/v1/uploads?title=chaos", data=body, method="POST", headers={
                "Content-Type": "video/mp4", "Authorization": f"Bearer {self.token}"})
            try:
                with urllib.request.urlopen(request, timeout=60) as reply:
                    video = json.load(reply)["id"]
                    self.acknowledged.append(video)
                    return video
            except urllib.error.HTTPError as error:
                if error.code < 500 and error.code != 429:
                    log(f"upload refused for good: {error.code} {error.read()[:200]!r}")
                    break
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5 + attempt * 0.3)
        self.refused += 1
        return None

    def upload_all(self, count, threads=3):
        clips = [self.clip(i) for i in range(count)]
        with ThreadPoolExecutor(threads) as pool:
            return [v for v in pool.map(self.upload, clips) if v]

    def clip(self, n):
        """A distinct 1 s clip (its own frames, so its own segments), cut from the long source."""
        self.clip_number += 1
        return self.clips / f"{self.clip_number % self.clip_count:04d}.mp4"

    def make_clips(self):
        self.clips = self.dir / "clips"
        self.clips.mkdir(exist_ok=True)
        self.clip_count = self.args.uploads * self.args.rounds + 6 * self.args.phase_uploads
        self.clip_number = 0
        source = self.clips / "source.mp4"
        log(f"making {self.clip_count} distinct 1 s clips (360x640 with sound) with the ffmpeg command line")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=360x640:rate=30", "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000",
                        "-t", str(self.clip_count), "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(source)], check=True)
        for i in range(self.clip_count):
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-ss", str(i), "-i", str(source),
                            "-t", "1", "-c", "copy", "-avoid_negative_ts", "make_zero", str(self.clips / f"{i:04d}.mp4")],
                           check=True)

    def wait_finished(self, timeout):
        """Waits until every publishing and replication job is finished; returns the seconds it took."""
        started = time.monotonic()
        while True:
            left = max(0.0, timeout - (time.monotonic() - started))
            waited = self.reel_cli("jobs", "wait", *PUBLISHING, "--timeout", f"{left:.1f}", "--interval", "1", check=False)
            if waited.returncode == 0:
                return time.monotonic() - started
            if time.monotonic() - started >= timeout:
                return None
            time.sleep(1)  # PostgreSQL did not answer: look again

    def unfinished_jobs(self):
        """The publishing jobs that did not complete, oldest first (None when the CLI cannot answer)."""
        listed = self.reel_cli("jobs", "list", *PUBLISHING, "--json", "--limit", "1000000", check=False)
        if listed.returncode != 0:
            return None
        try:
            jobs = json.loads(listed.stdout)
        except ValueError:
            return None
        return sorted((j for j in jobs if j["state"] != "completed"), key=lambda j: j["id"])

    def playable(self, video):
        """None when the video plays from the URLs a viewer in the edge's region is given, else why not."""
        try:
            with urllib.request.urlopen(f"{self.api}/v1/videos/{video}?region=chaos", timeout=10) as reply:
                metadata = json.load(reply)
            edge = metadata.get("edge")
            return fetch_stream(edge["hls"] if edge else self.api + metadata["urls"]["hls"])
        except (OSError, urllib.error.URLError, KeyError, ValueError) as error:
            return f"{type(error).__name__}: {error}"

    def measure(self, phase, videos, seconds):
        drained = self.wait_finished(self.args.phase_timeout)
        ids = ",".join(f"'{v}'" for v in self.acknowledged) or "''"
        missing = self.sql(f"SELECT count(*) FROM unnest(ARRAY[{ids}]::text[]) a(id) WHERE NOT EXISTS (SELECT 1 FROM videos v WHERE v.id = a.id)")
        unfinished = self.unfinished_jobs()
        if missing is None or unfinished is None:
            raise RuntimeError("PostgreSQL does not answer after the phase")
        jobs_lost = int(missing[0][0]) + len(unfinished)
        for job in unfinished[:10]:
            error = (job["errors"][-1]["message"] if job["errors"] else "")[:160]
            log(f"  not completed: job {job['id']} {job['kind']} {job['state']} {error}")
        verify = self.reel_cli("verify", "--json", check=False)
        try:
            report = json.loads(verify.stdout)
        except ValueError:
            raise RuntimeError(f"reel verify failed: {verify.stderr.strip()[-400:]}")
        corrupt = report["corrupt"] + report["missing"] + report["unreadable"]
        for problem in report["problems"][:10]:
            log(f"  object {problem['digest'][:16]} in {problem['region']}: {problem['problem']}")
        # A viewer's player retries: each video gets 20 s (the API's caches and its
        # view of the edges catch up within seconds); how long it took is printed.
        unplayable = 0
        for video in videos:
            started = time.monotonic()
            why = first = self.playable(video)
            while why and time.monotonic() - started < 20:
                time.sleep(1)
                why = self.playable(video)
            if why:
                unplayable += 1
                log(f"  video {video} not playable: {why}")
            elif time.monotonic() - started > 1:
                log(f"  video {video} playable after {time.monotonic() - started:.1f} s of retries (first: {first})")
        result = {"phase": phase, "uploads": len(videos), "jobs_lost": jobs_lost, "objects_corrupt": corrupt,
                  "videos_unplayable": unplayable, "max_stuck_past_lease_s": round(self.stuck_phase, 2),
                  "phase_s": round(seconds, 1), "drained_s": None if drained is None else round(drained, 1),
                  "objects_checked": report["copies_checked"]}
        self.results.append(result)
        print(f"{phase:20s} uploads={len(videos):3d} jobs_lost={jobs_lost} objects_corrupt={corrupt} "
              f"videos_unplayable={unplayable} max_stuck_past_lease_s={self.stuck_phase:.2f} "
              f"(faults and uploads {seconds:.1f} s, then finished in "
              f"{'NOT within %d s' % self.args.phase_timeout if drained is None else '%.1f s' % drained}; "
              f"{report['copies_checked']} copies verified)", flush=True)
        self.stuck_phase = 0.0

    def run_phase(self, name, body):
        if self.args.only and name.split("#")[0] not in self.args.only:
            return
        log(f"phase {name}")
        self.stuck_phase = 0.0
        started = time.monotonic()
        videos = body()
        self.measure(name, videos, time.monotonic() - started)

    def during_uploads(self, fault, threads=3):
        """Runs `fault` in the background while a phase's uploads go on; returns the videos acknowledged."""
        thread = self.in_background(fault)
        videos = self.upload_all(self.args.phase_uploads, threads=threads)
        thread.join()
        return videos

    def in_background(self, body):
        thread = threading.Thread(target=body, daemon=True)
        thread.start()
        return thread

    # --- phases ----------------------------------------------------------

    def workers_killed(self):
        uploading = True
        kills = 0

        def killer():
            nonlocal kills
            while uploading:
                time.sleep(random.uniform(1, 3))
                victims = self.procs.names("worker-")
                if not uploading or not victims:
                    continue
                victim = random.choice(victims)
                self.procs.kill(victim)
                kills += 1
                self.start_worker()

        thread = self.in_background(killer)
        videos = self.upload_all(self.args.uploads)
        # Keep killing while the uploaded videos are transcoded, for as long again as the uploads took.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.wait_finished(0.1) is None:
            time.sleep(1)
        uploading = False
        thread.join()
        log(f"  {kills} workers killed")
        return videos

    def api_killed(self):
        def killer():
            for delay in (1.0, 2.5):
                time.sleep(delay)
                self.procs.kill("api")
                time.sleep(1)
                self.start_api()
        return self.during_uploads(killer, threads=2)

    def scheduler_killed(self):
        def killer():
            time.sleep(1.5)
            rows = self.sql("SELECT leader_id FROM reel_leaders WHERE name = 'scheduler' AND expires_at > now()")
            leader_pid = int(rows[0][0].split(":")[1]) if rows else None
            name = next((n for n in self.procs.names("scheduler-") if self.procs.pid(n) == leader_pid), None)
            if name:
                self.procs.kill(name)
                log(f"  killed the leading scheduler {name} (pid {leader_pid})")
            else:
                log(f"  no leading scheduler found to kill (leader row: {rows})")
            victims = self.procs.names("worker-")
            if victims:
                self.procs.kill(victims[0])
            time.sleep(1)
            self.start_worker()
            self.start_scheduler()
        return self.during_uploads(killer)

    def postgres_restart(self):
        def restart():
            time.sleep(1.5)
            services = os.environ["REEL_SERVICES_DIR"]
            command = (f'. "{SERVICES}/services.sh"; pgbin=$(_reel_pg_bin) && '
                       f'_reel_as_pg "$pgbin/pg_ctl" restart -m immediate -w -t 60 -D "{services}/pg" -l "{services}/postgres.log"')
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
            log(f"  PostgreSQL restarted in immediate mode (exit {done.returncode})")
            # The new postmaster's PID is what scripts/services/lib/services.sh must stop at the end.
            record_pid(Path(services) / "pids", "postgres", (Path(services) / "pg" / "postmaster.pid").read_text().split()[0])
        return self.during_uploads(restart)

    def redis_killed(self):
        services = Path(os.environ["REEL_SERVICES_DIR"])
        port = os.environ["REEL_REDIS_PORT"]

        def kill_and_restart():
            time.sleep(1.5)
            pid = int((services / "redis.pid").read_text().strip())
            os.kill(pid, signal.SIGKILL)
            log(f"  Redis (pid {pid}) killed")
            time.sleep(3)
            subprocess.run(["redis-server", "--bind", "127.0.0.1", "--port", port, "--daemonize", "yes",
                            "--pidfile", str(services / "redis.pid"), "--save", "", "--appendonly", "no",
                            "--dir", str(services), "--logfile", str(services / "redis.log")], check=True)
            time.sleep(0.5)
            new_pid = (services / "redis.pid").read_text().strip()
            record_pid(services / "pids", "redis", new_pid)
            log(f"  Redis started again (pid {new_pid})")
        return self.during_uploads(kill_and_restart)

    def region_down(self):
        def outage():
            time.sleep(1)
            self.proxy.down()
            log("  region far unreachable")
            time.sleep(8)
            self.proxy.up()
            log("  region far reachable again")
        return self.during_uploads(outage)

    def edge_killed(self):
        def kill():
            time.sleep(1.5)
            pids = self.edge_pids()
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            log(f"  edge varnishd killed (manager and cache processes: {pids})")
        return self.during_uploads(kill)

    def edge_pids(self):
        """varnishd's manager and cache processes of this run's edge (found by its working folder)."""
        folder = str(self.dir / "edge-chaos-edge" / "varnish")
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    args = (entry / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if args and args[0].endswith(b"varnishd") and folder.encode() in args:
                    pids.append(int(entry.name))
        return pids

    # --- the run ---------------------------------------------------------

    def run(self):
        self.make_clips()
        self.reel_cli("migrate")
        self.token = self.reel_cli("tokens", "create", "--name", "chaos", "--scope", "upload").stdout.strip()
        self.start_api()
        for _ in range(2):
            self.start_worker()
            self.start_scheduler()
        edge = subprocess.run(["bash", "-c", f'. "{SERVICES}/services.sh"; . "{SERVICES}/edges.sh"; '
                               f'reel_edge_start "{self.dir}" chaos-edge "{self.api}" 64m'],
                              env={**self.env, "REEL_BIN": self.reel}, capture_output=True, text=True)
        if edge.returncode != 0:
            raise RuntimeError(f"the edge did not start: {edge.stderr.strip()[-400:]}")
        edge_url = edge.stdout.strip().splitlines()[-1]
        self.reel_cli("edges", "add", "chaos-edge", "--region", "chaos", "--url", edge_url,
                      "--workdir", str(self.dir / "edge-chaos-edge" / "varnish"))
        threading.Thread(target=self.sampler, daemon=True).start()

        for round in range(1, self.args.rounds + 1):
            self.run_phase(f"workers-killed#{round}", self.workers_killed)
        self.run_phase("api-killed", self.api_killed)
        self.run_phase("scheduler-killed", self.scheduler_killed)
        self.run_phase("postgres-restart", self.postgres_restart)
        self.run_phase("redis-killed", self.redis_killed)
        self.run_phase("region-down", self.region_down)
        self.run_phase("edge-killed", self.edge_killed)
        self.sampling = False

        total = {key: sum(r[key] for r in self.results) for key in ("jobs_lost", "objects_corrupt", "videos_unplayable")}
        stuck = max([r["max_stuck_past_lease_s"] for r in self.results] + [0])
        print(f"uploads acknowledged={len(self.acknowledged)} never acknowledged={self.refused}", flush=True)
        (self.dir / "chaos-results.json").write_text(json.dumps(self.results, indent=2))
        print(f"RESULT jobs_lost={total['jobs_lost']} objects_corrupt={total['objects_corrupt']} "
              f"videos_unplayable={total['videos_unplayable']} max_stuck_past_lease_s={stuck:.2f}", flush=True)
        return 0 if sum(total.values()) == 0 and self.refused == 0 else 1


def main():
    parser = argparse.ArgumentParser(description="Reel's fault tests")
    parser.add_argument("--reel", required=True, help="the reel binary")
    parser.add_argument("--dir", required=True, help="a folder for logs, clips and stores")
    parser.add_argument("--uploads", type=int, default=50, help="uploads per workers-killed round")
    parser.add_argument("--rounds", type=int, default=2, help="workers-killed rounds")
    parser.add_argument("--phase-uploads", type=int, default=10, help="uploads in each other phase")
    parser.add_argument("--phase-timeout", type=int, default=240, help="seconds a phase's jobs get to finish")
    parser.add_argument("--only", type=lambda s: set(s.split(",")), default=None, help="run only these phases")
    args = parser.parse_args()
    chaos = Chaos(args)

    def stop(signum, frame):
        # Once: a second signal must not cut the cleanup short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise SystemExit(130)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return chaos.run()
    finally:
        chaos.sampling = False
        chaos.procs.stop_all()
        subprocess.run(["bash", "-c", f'. "{SERVICES}/services.sh"; . "{SERVICES}/edges.sh"; reel_edges_stop "{chaos.dir}"'],
                       env={**chaos.env, "REEL_BIN": chaos.reel}, capture_output=True)
        for pid in chaos.edge_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        chaos.proxy.down()


if __name__ == "__main__":
    sys.exit(main())
