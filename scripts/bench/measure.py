#!/usr/bin/env python3
"""Runs one command and measures it the same way for every tool a benchmark
compares: wall time, CPU time (user + system, with every child it waited for),
peak resident memory of the whole process tree (sampled from /proc, so tools
that run helpers side by side, like Shaka Streamer's ffmpeg and packager, count
together), and when the first media segment of a watched folder appeared.

Usage: measure.py --out RESULT.json [--watch DIR --pattern GLOB] -- CMD ARGS...

A segment counts as available once its file exists and is not empty: Reel
writes each segment to a temporary name and renames it when complete; the
ffmpeg command line's HLS muxer and Shaka Packager write each fMP4 segment
from memory in one go when it is complete.
"""

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import time


def tree_rss_kib(root):
    """Sum of VmRSS over `root` and all its descendants, in KiB."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    members, frontier = {root}, [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in members:
                members.add(child)
                frontier.append(child)
    total = 0
    for pid in members:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def first_segment(folder, pattern):
    try:
        for name in os.listdir(folder):
            if fnmatch.fnmatch(name, pattern) and os.path.getsize(os.path.join(folder, name)) > 0:
                return name
    except OSError:
        pass
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--watch")
    parser.add_argument("--pattern", default="*.m4s")
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    start = time.monotonic()
    with open(args.out + ".stdout", "wb") as out, open(args.out + ".stderr", "wb") as err:
        child = subprocess.Popen(command, stdout=out, stderr=err)
    peak = 0
    first, first_name = None, None
    status = None
    while status is None:
        if args.watch and first is None:
            name = first_segment(args.watch, args.pattern)
            if name:
                first, first_name = time.monotonic() - start, name
        peak = max(peak, tree_rss_kib(child.pid))
        pid, status_code, usage = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            status = status_code
            break
        time.sleep(args.interval)
    wall = time.monotonic() - start
    if args.watch and first is None:
        name = first_segment(args.watch, args.pattern)
        if name:
            first, first_name = wall, name
    code = os.waitstatus_to_exitcode(status)
    result = {
        "exit": code,
        "wall_s": round(wall, 3),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
        # wait4 gives the largest single process; the /proc samples give the tree.
        "peak_rss_mb": round(max(peak, usage.ru_maxrss) / 1024, 1),
        "first_segment_s": None if first is None else round(first, 3),
        "first_segment": first_name,
    }
    with open(args.out, "w") as f:
        json.dump(result, f)
    if code != 0:
        sys.stderr.write(f"measure.py: {command[0]} exited with {code}; see {args.out}.stderr\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
