#!/usr/bin/env python3
"""Reel's capacity model (docs/capacity.md): what a deployment needs for a given day.

    scripts/bench/unit-costs.sh > units.json          # unit costs measured on this machine
    scripts/capacity.py units.json [--uploads-per-day 1e6] [--plays-per-day 1e9] [--json]

Reads the unit costs `scripts/bench/unit-costs.sh` measured and prints, per role, what a
day of UPLOADS and PLAYS needs at its peak hour: worker cores and hosts, API cores,
PostgreSQL commits, queue operations and WAL against a single primary's limits, object
storage and its growth, egress and edge hosts, origin requests, and the edge hit ratio
needed to keep the origin within its limit. The last lines name the first part to break
(the highest load against its limit) and what to do then. Every assumption that is not
a measurement is a flag with its default printed beside the result.
"""
import argparse
import json
import sys

# Assumptions (flags), with the reasoning in docs/capacity.md.
DEFAULTS = {
    "uploads_per_day": 1e6,
    "plays_per_day": 1e9,
    "video_seconds": 30.0,        # a short video
    "watched_fraction": 0.7,      # of a video, per play
    "peak_to_average": 2.5,       # the busiest hour against the day's mean
    "regions": 2,                 # copies of every object
    "worker_host_cores": 32,
    "api_host_cores": 16,
    "core_utilisation": 0.6,      # planned, leaving room for retries and spikes
    "edge_host_gbps": 20.0,       # one Varnish host on 25 GbE, sendfile from memory
    "origin_gbps": 20.0,          # what the origin APIs and stores may serve together
    "edge_hit_ratio": 0.95,       # bytes the edges answer from cache (a short-video long tail)
    "pg_commits_per_s": 20000.0,  # one primary on NVMe: pgbench TPC-B class, synchronous_commit on
    "pg_wal_mb_per_s": 150.0,     # sustained WAL a primary and its standbys' replay keep up with
    "rung_mix": "1080p=0.25,720p=0.45,480p=0.2,360p=0.1",
}


def parse_mix(text):
    mix = {}
    for part in text.split(","):
        name, share = part.split("=")
        mix[name.strip()] = float(share)
    total = sum(mix.values())
    return {k: v / total for k, v in mix.items()}


def model(units, a):
    day = 86400.0
    peak = a["peak_to_average"]
    video_minutes = a["video_seconds"] / 60.0
    uploads_s = a["uploads_per_day"] / day * peak
    plays_s = a["plays_per_day"] / day * peak
    out = {}

    # Workers: the whole pipeline's CPU per minute of video.
    worker_cores = uploads_s * video_minutes * units["worker_cpu_s_per_video_minute"] / a["core_utilisation"]
    out["worker_cores"] = worker_cores
    out["worker_hosts"] = worker_cores / a["worker_host_cores"]
    # APIs: receiving uploads (plays reach them only on edge misses).
    api_cores = uploads_s * units["api_cpu_s_per_upload"] / a["core_utilisation"]
    out["api_upload_cores"] = api_cores

    # PostgreSQL: commits, rows and WAL per upload; plays are written by each edge agent
    # in one statement every 2 s, so they add rows, not commits, in proportion to plays.
    commits_s = uploads_s * units["pg_commits_per_upload"]
    out["pg_commits_per_s"] = commits_s
    out["pg_commits_load"] = commits_s / a["pg_commits_per_s"]
    out["pg_rows_per_s"] = uploads_s * units["pg_rows_written_per_upload"]
    out["queue_jobs_per_s"] = uploads_s * units["jobs_per_upload"]
    wal_mb_s = uploads_s * units["pg_wal_bytes_per_upload"] / 1e6
    out["pg_wal_mb_per_s"] = wal_mb_s
    out["pg_wal_load"] = wal_mb_s / a["pg_wal_mb_per_s"]

    # Storage.
    stored_day = a["uploads_per_day"] * video_minutes * units["stored_bytes_per_video_minute"] * a["regions"]
    out["stored_tb_per_day"] = stored_day / 1e12
    out["stored_pb_per_year"] = stored_day * 365 / 1e15

    # Egress: what viewers download, by the rung mix.
    mix = parse_mix(a["rung_mix"])
    rungs = units["rendition_bytes_per_minute"]
    audio = rungs.get("audio", 0)
    per_play = sum(share * (rungs.get(name, 0) + audio) for name, share in mix.items()) * video_minutes * a["watched_fraction"]
    out["bytes_per_play"] = per_play
    egress_gbps = plays_s * per_play * 8 / 1e9
    out["egress_gbps_peak"] = egress_gbps
    out["edge_hosts"] = egress_gbps / a["edge_host_gbps"]
    out["egress_pb_per_day"] = a["plays_per_day"] * per_play / 1e15

    # Origin: requests per play with edges (masters cached), and the hit ratio the edges
    # need so that what they miss stays within what the origin can serve.
    out["origin_requests_per_s"] = plays_s * units["origin_requests_per_play"]
    out["edge_hit_ratio_needed"] = max(0.0, 1 - a["origin_gbps"] / egress_gbps) if egress_gbps else 0.0
    out["origin_gbps_at_hit_ratio"] = egress_gbps * (1 - a["edge_hit_ratio"])
    out["origin_load"] = out["origin_gbps_at_hit_ratio"] / a["origin_gbps"]
    return out


def bottleneck(out, a):
    loads = {
        "PostgreSQL commits (one primary)": out["pg_commits_load"],
        "PostgreSQL WAL (one primary and its standbys)": out["pg_wal_load"],
        f"the origin's egress for what edges miss (at a {a['edge_hit_ratio']:.0%} hit ratio)": out["origin_load"],
    }
    return max(loads.items(), key=lambda kv: kv[1]), loads


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("units")
    for key, value in DEFAULTS.items():
        parser.add_argument("--" + key.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--json", action="store_true")
    args = vars(parser.parse_args())
    with open(args.pop("units"), encoding="utf-8") as f:
        text = f.read()
    units = json.loads(text[: text.rindex("}") + 1])
    as_json = args.pop("json")
    out = model(units, args)
    (name, load), loads = bottleneck(out, args)
    if as_json:
        print(json.dumps({"assumptions": args, "units": units, "model": out, "first_to_break": name}, indent=2))
        return
    print(f"{args['uploads_per_day']:,.0f} uploads/day of {args['video_seconds']:.0f} s, {args['plays_per_day']:,.0f} plays/day, "
          f"peak {args['peak_to_average']}x the mean, {args['regions']} regions")
    rows = [
        ("worker cores at peak", out["worker_cores"], f"{out['worker_hosts']:.1f} hosts of {args['worker_host_cores']} cores"),
        ("API cores for uploads", out["api_upload_cores"], ""),
        ("PostgreSQL commits/s", out["pg_commits_per_s"], f"{out['pg_commits_load']:.0%} of {args['pg_commits_per_s']:,.0f}"),
        ("PostgreSQL rows written/s", out["pg_rows_per_s"], ""),
        ("queue jobs/s", out["queue_jobs_per_s"], "each: an enqueue, a claim, an ack"),
        ("WAL MB/s", out["pg_wal_mb_per_s"], f"{out['pg_wal_load']:.0%} of {args['pg_wal_mb_per_s']:.0f}"),
        ("stored TB/day (all regions)", out["stored_tb_per_day"], f"{out['stored_pb_per_year']:.1f} PB a year"),
        ("bytes per play", out["bytes_per_play"], f"mix {args['rung_mix']}"),
        ("egress Gb/s at peak", out["egress_gbps_peak"], f"{out['edge_hosts']:.0f} edge hosts of {args['edge_host_gbps']:.0f} Gb/s"),
        ("origin requests/s with edges", out["origin_requests_per_s"], "masters cached; misses of the tail excluded"),
        ("edge hit ratio needed", out["edge_hit_ratio_needed"], f"origin limit {args['origin_gbps']:.0f} Gb/s"),
        ("origin Gb/s at the assumed hit ratio", out["origin_gbps_at_hit_ratio"], f"{out['origin_load']:.0%} of {args['origin_gbps']:.0f} Gb/s"),
    ]
    for label, value, note in rows:
        print(f"{label:34} {value:>16,.3f}  {note}")
    print(f"first to break: {name} at {load:.0%} of its limit")
    print("loads: " + ", ".join(f"{k}: {v:.0%}" for k, v in loads.items()))


if __name__ == "__main__":
    sys.exit(main())
