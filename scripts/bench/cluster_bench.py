#!/usr/bin/env python3
"""The measuring half of scripts/bench/cluster.sh (which brings the cluster up, starts
the extra APIs and edges these phases use, and prints the table). Runs as root in the
machine's own namespace; every request is made from a thread inside a cluster host's
namespace (scripts/cluster/hosts.py). Each command prints one JSON object.

    cluster_bench.py playable  --env ENV --clips DIR
        for each clip: a one-shot upload through HAProxy (from a-lb); from the moment it
        is acknowledged (201), a viewer in each region (a-lb's namespace for region-a,
        b-api1's for region-b) polls its region's edge as a player starts: the master
        playlist, the lowest rung's media playlist, its first segment; "playable" when
        all three answer 200. Then waits until the video is ready and every object is
        verified in region-b before the next upload, so uploads do not queue.
    cluster_bench.py replication --env ENV --clips DIR
        a burst: every clip uploaded at once through HAProxy; per video, from ready (in
        region-a) to its last object verified in region-b (object_replicas.verified_at);
        beside it, the anchor: the same objects copied with boto3 from region-a's S3
        gateway to region-b's through the relay (a GET then a PUT each, one object at a
        time as a replicate job does, from a-worker's namespace), per video.
    cluster_bench.py clone --env ENV --source VIDEO --count N --out FILE
        N catalog copies of a ready video (scripts/bench/edge_bench.py's clone, on the
        primary), their ids in FILE; waits until region-b's standby has them.
    cluster_bench.py origin --env ENV --edge URL --workdir DIR --ids FILE --plays N
        N Zipf-distributed plays (s=0.8, a fixed seed: the same sequence for every edge)
        through one edge, from a-lb's namespace, 8 keep-alive connections; each play
        fetches the master, the lowest rung's and the audio's playlists, inits and first
        3 segments (as many as it has), twice: cold, then warm. Origin requests: the edge's
        MAIN.backend_req (varnishstat) before and after each pass.
"""

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "cluster"))
sys.path.insert(0, str(HERE))

from hosts import Host, KeepAlive, enter_netns, host_names, psql, read_env  # noqa: E402


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def sql(env, query, timeout=60):
    rows = psql(env, "a-pg", query, timeout)
    if rows is None:
        raise SystemExit(f"psql on the primary failed: {query[:120]}")
    return rows


def first_playable(edge, names, video, started, deadline):
    """Seconds from STARTED until master, lowest media playlist and its first segment answer 200 through EDGE."""
    conn = KeepAlive(edge, names)
    base = f"/v1/videos/{video}/"
    while time.monotonic() < deadline:
        status, _, _, master = conn.get(base + "master.m3u8")
        if status == 200:
            variants = []
            lines = master.decode(errors="replace").splitlines()
            for i, line in enumerate(lines):
                m = re.search(r"BANDWIDTH=(\d+)", line)
                if line.startswith("#EXT-X-STREAM-INF") and m and i + 1 < len(lines):
                    variants.append((int(m.group(1)), lines[i + 1].strip()))
            if variants:
                media = min(variants)[1]
                status, _, _, playlist = conn.get(base + media)
                segments = [x for x in playlist.decode(errors="replace").splitlines() if x and not x.startswith("#")]
                if status == 200 and segments:
                    folder = media.rsplit("/", 1)[0] + "/" if "/" in media else ""
                    status, size, _, _ = conn.get(base + folder + segments[0])
                    if status == 200 and size > 0:
                        return time.monotonic() - started
        time.sleep(0.01)
    return None


def wait_replicated(env, ids, timeout):
    """Until every video is ready and each of its objects is verified in region-b."""
    listed = ",".join(f"'{i}'" for i in ids)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sql(env, f"""
            SELECT count(*) FILTER (WHERE v.status <> 'ready'),
                   count(*) FILTER (WHERE v.status = 'failed'),
                   (SELECT count(*) FROM video_objects o
                     LEFT JOIN object_replicas r ON r.digest = o.digest AND r.region = 'region-b' AND r.state = 'verified'
                     WHERE o.video_id IN ({listed}) AND r.digest IS NULL)
            FROM videos v WHERE v.id IN ({listed})""")
        waiting, failed, missing = (int(x) for x in rows[0])
        if failed:
            raise SystemExit(f"{failed} of the videos failed")
        if waiting == 0 and missing == 0:
            return
        time.sleep(0.25)
    raise SystemExit(f"videos not ready and replicated within {timeout} s")


def replication_lags(env, ids):
    listed = ",".join(f"'{i}'" for i in ids)
    rows = sql(env, f"""
        SELECT v.id, extract(epoch FROM max(r.verified_at) - v.ready_at)
        FROM videos v JOIN video_objects o ON o.video_id = v.id
        JOIN object_replicas r ON r.digest = o.digest AND r.region = 'region-b'
        WHERE v.id IN ({listed}) GROUP BY v.id, v.ready_at""")
    return {vid: float(s) for vid, s in rows}


def cmd_playable(args, env):
    clips = sorted(Path(args.clips).glob("*.mp4"))
    lb = Host("a-lb", 2)
    viewers = {"a": Host("a-lb", 1), "b": Host("b-api1", 1)}
    edges = {"a": env["REEL_CLUSTER_A_EDGE_URL"], "b": env["REEL_CLUSTER_B_EDGE_URL"]}
    names = {"a": host_names("a-lb"), "b": host_names("b-api1")}
    result = {"a": [], "b": [], "replicated": [], "ids": []}
    for n, clip in enumerate(clips):
        video = lb.submit(upload_from_thread, env, clip, f"bench-playable-{n}").result()
        started = time.monotonic()
        deadline = started + 120
        futures = {r: viewers[r].submit(first_playable, edges[r], names[r], video, started, deadline) for r in "ab"}
        for r in "ab":
            seconds = futures[r].result()
            if seconds is None:
                raise SystemExit(f"video {video} not playable through edge-{r} within 120 s")
            result[r].append(seconds)
        wait_replicated(env, [video], 300)
        result["replicated"].append(time.monotonic() - started)
        result["ids"].append(video)
        print(f"  {clip.name}: playable in region-a {result['a'][-1]:.2f} s, region-b {result['b'][-1]:.2f} s, "
              f"replicated {result['replicated'][-1]:.1f} s", file=sys.stderr, flush=True)
    for r in "ab":
        result[f"{r}_p50"] = statistics.median(result[r])
    return result


def boto3_copy(env, digests):
    """Seconds to copy DIGESTS from region-a's bucket to region-b's under bench-copy/, one at a time."""
    import boto3
    from botocore.config import Config

    def client(region, endpoint):
        return boto3.client("s3", endpoint_url=endpoint, region_name=env[f"REEL_CLUSTER_{region}_S3_REGION"],
                            aws_access_key_id=env[f"REEL_CLUSTER_{region}_S3_ACCESS_KEY"],
                            aws_secret_access_key=env[f"REEL_CLUSTER_{region}_S3_SECRET_KEY"],
                            config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}))

    a = client("A", env["REEL_CLUSTER_A_S3_ENDPOINT"])
    b = client("B", env["REEL_CLUSTER_B_S3_ENDPOINT_FROM_OTHER_REGION"])
    # One warm connection each way first, as a worker's store client has.
    b.list_objects_v2(Bucket=env["REEL_CLUSTER_B_S3_BUCKET"], MaxKeys=1)
    a.list_objects_v2(Bucket=env["REEL_CLUSTER_A_S3_BUCKET"], MaxKeys=1)
    started = time.monotonic()
    copied = 0
    for d in digests:
        key = f"objects/{d[0:2]}/{d[2:4]}/{d}"
        data = a.get_object(Bucket=env["REEL_CLUSTER_A_S3_BUCKET"], Key=key)["Body"].read()
        b.put_object(Bucket=env["REEL_CLUSTER_B_S3_BUCKET"], Key=f"bench-copy/{key}", Body=data)
        copied += len(data)
    return time.monotonic() - started, copied


def cmd_replication(args, env):
    clips = sorted(Path(args.clips).glob("*.mp4"))
    lb = Host("a-lb", len(clips))
    ids = lb.map(lambda c: upload_from_thread(env, c, f"bench-burst-{c.stem}"), clips)
    wait_replicated(env, ids, 600)
    lags = replication_lags(env, ids)
    listed = ",".join(f"'{i}'" for i in ids)
    objects = {}
    for vid, digest in sql(env, f"SELECT DISTINCT video_id, digest FROM video_objects WHERE video_id IN ({listed})"):
        objects.setdefault(vid, []).append(digest)
    worker = Host("a-worker", 1)
    copies = []
    total_bytes = 0
    for vid in ids:
        seconds, size = worker.submit(boto3_copy, env, objects[vid]).result()
        copies.append(seconds)
        total_bytes += size
    values = list(lags.values())
    return {"videos": len(ids), "objects": sum(len(v) for v in objects.values()), "bytes": total_bytes,
            "reel_p50": percentile(values, 0.5), "reel_p99": percentile(values, 0.99),
            "boto3_p50": percentile(copies, 0.5), "boto3_p99": percentile(copies, 0.99)}


def upload_from_thread(env, clip, title):
    """A one-shot upload of CLIP through HAProxy, made on the calling thread (already in a-lb's
    namespace); the new video's id."""
    import http.client
    import urllib.parse
    u = urllib.parse.urlsplit(env["REEL_CLUSTER_LB_URL"])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    try:
        conn.request("POST", f"/v1/uploads?title={title}", body=clip.read_bytes(),
                     headers={"Content-Type": "video/mp4", "Authorization": f"Bearer {env['REEL_CLUSTER_UPLOAD_TOKEN']}"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 201:
            raise SystemExit(f"upload of {clip.name} failed: HTTP {r.status} {body[:200]!r}")
        return json.loads(body)["id"]
    finally:
        conn.close()


def cmd_clone(args, env):
    import edge_bench
    edge_bench.sql = lambda query: sql(env, query, timeout=300)
    out = Path(args.out)
    with open(out, "w") as f:
        saved = sys.stdout
        sys.stdout = f
        try:
            edge_bench.clone(args.source, args.count)
        finally:
            sys.stdout = saved
    last = out.read_text().split()[-1]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rows = psql(env, "b-pg", f"SELECT count(*) FROM videos WHERE id = '{last}'")
        if rows and rows[0][0] == "1":
            return {"cloned": args.count, "standby_has_them": True}
        time.sleep(0.5)
    raise SystemExit("region-b's standby did not replay the clones within 120 s")


def backend_requests(workdir):
    out = subprocess.run(["varnishstat", "-n", workdir, "-1", "-f", "MAIN.backend_req"],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[1])


def play_paths(video, rendition, segments):
    paths = [f"/v1/videos/{video}/master.m3u8"]
    for r in (rendition, "audio"):
        paths += [f"/v1/videos/{video}/{r}/index.m3u8", f"/v1/videos/{video}/{r}/init.mp4"]
        paths += [f"/v1/videos/{video}/{r}/{n}.m4s" for n in range(segments)]
    return paths


def cmd_origin(args, env):
    ids = Path(args.ids).read_text().split()[: args.videos]
    rendition = sql(env, f"SELECT name FROM renditions WHERE video_id = '{ids[0]}' AND kind = 'video' "
                         "ORDER BY height LIMIT 1")[0][0]
    segments = min(3, int(sql(env, f"SELECT count(*) FROM segments WHERE video_id = '{ids[0]}' "
                                   f"AND rendition = '{rendition}'")[0][0]))
    weights = [1 / (k ** 0.8) for k in range(1, len(ids) + 1)]
    sample = random.Random(args.seed).choices(ids, weights=weights, k=args.plays)
    lock = threading.Lock()
    position = [0]
    failures = []
    names = host_names("a-lb")

    def work():
        enter_netns("a-lb")
        client = KeepAlive(args.edge, names)
        while True:
            with lock:
                if position[0] >= len(sample):
                    return
                video = sample[position[0]]
                position[0] += 1
            for path in play_paths(video, rendition, segments):
                status, _, _, _ = client.get(path)
                if status != 200:
                    with lock:
                        failures.append(f"{path}: {status}")

    def one_pass():
        position[0] = 0
        before = backend_requests(args.workdir)
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(0.5)
        return backend_requests(args.workdir) - before

    # Cold: the edge has never seen these videos. Warm: the same plays again at once (the
    # masters' 10 s still running), what an edge costs the origin once its popular set is in.
    cold = one_pass()
    warm = one_pass()
    return {"plays": args.plays, "videos": len(set(sample)), "segments_per_rung": segments,
            "origin_per_1000_plays": cold * 1000 / args.plays, "origin_per_1000_plays_warm": warm * 1000 / args.plays,
            "failures": len(failures), "first_failures": failures[:5]}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["playable", "replication", "clone", "origin"])
    p.add_argument("--env", required=True)
    p.add_argument("--clips")
    p.add_argument("--source")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--out")
    p.add_argument("--edge")
    p.add_argument("--workdir")
    p.add_argument("--ids")
    p.add_argument("--videos", type=int, default=200, help="origin: the catalogue the plays draw from")
    p.add_argument("--plays", type=int, default=1000)
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args()
    env = read_env(args.env)
    command = {"playable": cmd_playable, "replication": cmd_replication, "clone": cmd_clone, "origin": cmd_origin}
    print(json.dumps(command[args.command](args, env)), flush=True)


if __name__ == "__main__":
    main()
