#!/usr/bin/env python3
"""Prints scripts/bench/media.sh's tables from the measurements it left in
--work: per clip, wall and CPU time, peak RSS and the first 360p segment for
Reel, the ffmpeg command line 5.1 and 8.1 and Shaka Streamer, with Reel's
ratio to the faster ffmpeg command line; PSNR, SSIM and bit rate per rung; the
targets; and, last, one machine-readable RESULT line (worst case over clips).
"""

import argparse
import json
import os
import re
import subprocess

RUNGS = ["1080p", "720p", "480p", "360p"]
TOOLS = [("reel", "reel"), ("ff5", "ffmpeg 5.1"), ("ff8", "ffmpeg 8.1"), ("shaka", "Shaka Streamer")]


def load(path):
    with open(path) as f:
        return json.load(f)


def best(folder, tool, runs):
    """The run with the shortest wall time."""
    found = [load(p) for n in range(1, runs + 1) if os.path.exists(p := os.path.join(folder, f"{tool}.{n}.json"))]
    return min(found, key=lambda r: r["wall_s"]) if found else None


def fmt(value, digits=2):
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def shaka_settings(folder):
    """The encoder settings Shaka Streamer chose, as its ffmpeg was told them."""
    text = ""
    for stream in ["stdout", "stderr"]:
        log = os.path.join(folder, f"shaka.1.json.{stream}")
        text += open(log, errors="replace").read() if os.path.exists(log) else ""
    command = next((line for line in text.splitlines() if "ffmpeg" in line and "-c:v" in line), "")
    picked = []
    for flag in ["-preset", "-profile:v", "-g", "-keyint_min", "-b:v", "-frag_duration"]:
        values = re.findall(rf" {re.escape(flag)} (\S+)", command)
        if values:
            picked.append(f"{flag} {'/'.join(dict.fromkeys(values))}")
    return ", ".join(picked) or "(not logged)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--clips", required=True)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--per-rung", type=int, default=0)
    parser.add_argument("--shaka-ffmpeg", default="")
    args = parser.parse_args()

    worst = {"wall_vs_ffmpeg": None, "psnr_delta_db": None, "first_segment_s": None, "peak_rss_mb": None}

    def worse(key, value, higher_is_worse=True):
        old = worst[key]
        if value is None:
            return
        if old is None or (value > old if higher_is_worse else value < old):
            worst[key] = value

    for seconds in args.clips.split():
        folder = os.path.join(args.work, seconds)
        results = {tool: best(folder, tool, args.runs) for tool, _ in TOOLS}
        quality = {t: load(os.path.join(folder, f"{t}.quality.json")) for t in ["reel", "ff5", "ff8"]}
        ffmpegs = [t for t in ["ff5", "ff8"] if results[t]]
        faster = min(ffmpegs, key=lambda t: results[t]["wall_s"])
        reel = results["reel"]

        print(f"\n== {seconds} s clip, 1080x1920 30 fps, 4-rung ladder + AAC (best of {args.runs}; Shaka Streamer once) ==")
        print(f"{'measure':<30}" + "".join(f"{label:>16}" for _, label in TOOLS) + f"{'reel/faster CLI':>17}")
        for key, label, digits in [("wall_s", "wall s", 2), ("cpu_s", "CPU s", 2), ("peak_rss_mb", "peak RSS MB", 0),
                                   ("first_segment_s", "first 360p segment s", 2)]:
            row = f"{label:<30}"
            for tool, _ in TOOLS:
                value = results[tool][key] if results[tool] else None
                row += f"{fmt(float(value) if value is not None else None, digits):>16}"
            ratio = reel[key] / results[faster][key] if reel[key] and results[faster][key] else None
            print(row + f"{fmt(ratio):>17}")
        print(f"  faster ffmpeg command line: {dict(TOOLS)[faster]}")
        print(f"  Shaka Streamer's own encoder settings: libx264 {shaka_settings(folder)}, "
              "one-pass ABR without maxrate/bufsize, B-frames and scene cuts on (x264 defaults)")

        print(f"\n{'rung: PSNR dB / SSIM / kb/s':<30}" + "".join(f"{dict(TOOLS)[t]:>26}" for t in ["reel", "ff5", "ff8"])
              + f"{'PSNR reel-faster':>18}")
        for i, name in enumerate(RUNGS):
            row = f"{name:<30}"
            for tool in ["reel", "ff5", "ff8"]:
                q = quality[tool].get(f"r{i}", {})
                row += f"{fmt(q.get('psnr')):>10} /{fmt(q.get('ssim'), 4):>7} /{q.get('kbps', '-'):>5}"
            reel_psnr, ff_psnr = quality["reel"][f"r{i}"]["psnr"], quality[faster][f"r{i}"]["psnr"]
            delta = reel_psnr - ff_psnr if reel_psnr is not None and ff_psnr is not None else None
            worse("psnr_delta_db", delta, higher_is_worse=False)
            print(row + f"{fmt(delta):>18}")

        worse("wall_vs_ffmpeg", reel["wall_s"] / results[faster]["wall_s"])
        worse("first_segment_s", reel["first_segment_s"])
        worse("peak_rss_mb", reel["peak_rss_mb"])

        if args.per_rung:
            jobs = [load(os.path.join(folder, f"rung.{r}.json")) for r in RUNGS]
            total, slowest = sum(j["wall_s"] for j in jobs), max(j["wall_s"] for j in jobs)
            print(f"\n{'one job per rung vs one per video':<44}{'per rung':>12}{'per video':>12}{'ratio':>8}")
            print(f"{'CPU-bound cost (sum of jobs, s)':<44}{total:>12.2f}{reel['wall_s']:>12.2f}{total / reel['wall_s']:>8.2f}")
            print(f"{'wall, a machine per rung (s)':<44}{slowest:>12.2f}{reel['wall_s']:>12.2f}{slowest / reel['wall_s']:>8.2f}")

    if args.shaka_ffmpeg:
        version = subprocess.run([args.shaka_ffmpeg, "-version"], capture_output=True, text=True).stdout.splitlines()[:1]
        print(f"\nffmpeg 8.1: {version[0] if version else args.shaka_ffmpeg}")
    print("targets: wall <= 0.9x the faster ffmpeg command line; PSNR within 0.1 dB of it; "
          "first segment <= 1 s; peak RSS < 600 MB for 60 s")
    print("RESULT " + " ".join(f"{k}={fmt(v)}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
