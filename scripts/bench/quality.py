#!/usr/bin/env python3
"""PSNR and SSIM of every rendition of a ladder against the source scaled to
the rendition's size (bicubic, as both Reel and the ffmpeg command line scale),
in one pass of the ffmpeg command line's psnr and ssim filters, plus each
rendition's measured video bit rate (its media segments' bytes over the clip's
duration), so quality is compared at the bit rate actually spent.

Usage: quality.py --source CLIP --seconds S --ffmpeg FFMPEG NAME=PLAYLIST:WxH ...
Prints one JSON object: {NAME: {"psnr": dB, "ssim": x, "kbps": n}, ...}.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--ffmpeg", default="ffmpeg")
    parser.add_argument("renditions", nargs="+", help="NAME=PLAYLIST:WxH")
    args = parser.parse_args()

    renditions = []
    for spec in args.renditions:
        name, rest = spec.split("=", 1)
        path, size = rest.rsplit(":", 1)
        width, height = size.split("x")
        renditions.append((name, path, int(width), int(height)))

    command = [args.ffmpeg, "-hide_banner", "-nostats", "-i", args.source]
    for _, path, _, _ in renditions:
        command += ["-i", path]
    n = len(renditions)
    graph = [f"[0:v]setpts=PTS-STARTPTS,split={n}" + "".join(f"[s{i}]" for i in range(n))]
    for i, (_, _, width, height) in enumerate(renditions):
        graph.append(f"[s{i}]scale={width}:{height}:flags=bicubic,split[rp{i}][rs{i}]")
        graph.append(f"[{i + 1}:v]setpts=PTS-STARTPTS,split[dp{i}][ds{i}]")
        graph.append(f"[dp{i}][rp{i}]psnr@q{i}[op{i}]")
        graph.append(f"[ds{i}][rs{i}]ssim@q{i}[os{i}]")
    command += ["-filter_complex", ";".join(graph)]
    for i in range(n):
        command += ["-map", f"[op{i}]", "-f", "null", "-", "-map", f"[os{i}]", "-f", "null", "-"]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-2000:])
        sys.exit(f"quality.py: {args.ffmpeg} failed with {run.returncode}")

    result = {}
    for i, (name, path, _, _) in enumerate(renditions):
        psnr = re.search(rf"\[psnr@q{i} @ [^]]*\] PSNR .*average:([0-9.]+|inf)", run.stderr)
        ssim = re.search(rf"\[ssim@q{i} @ [^]]*\] SSIM .*All:([0-9.]+)", run.stderr)
        segments = [p for p in glob.glob(os.path.join(os.path.dirname(path), "*.m4s"))]
        media_bytes = sum(os.path.getsize(p) for p in segments)
        result[name] = {
            "psnr": float(psnr.group(1)) if psnr else None,
            "ssim": float(ssim.group(1)) if ssim else None,
            "kbps": round(media_bytes * 8 / args.seconds / 1000),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
