#!/usr/bin/env bash
# Start-up benchmark in Chromium, apart from the tests: how long Video.js 7
# (VHS, Media Source Extensions) takes from being handed an HLS master to its
# first frame playing (scripts/test-helpers/play-check.py's startup figure), for one packaged
# clip (`reel transcode`, a 10 s 1080x1920 30 fps clip with stereo AAC) in
# three layouts over the same segments, interleaved, --runs each:
#   * muxed-low:  what Reel serves, variants that carry the audio ({rung}.av/),
#                 lowest rung first;
#   * group-low:  what Reel served before (issue 11, item 9), the same rungs
#                 with the audio as an EXT-X-MEDIA group, lowest first;
#   * group-high: the audio group with the highest rung first, the order the
#                 ffmpeg command line writes.
# Prints each layout's median and the ratios; the last line is machine-readable:
#   RESULT startup_ms=… before_ms=… ratio=… high_first_ms=…
# Usage: scripts/bench/startup.sh [--runs 5]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

RUNS=5
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

bash scripts/services/install-player.sh >&2
echo "building reel…" >&2
swift build --product reel >&2
reel="$(swift build --show-bin-path)/reel"
work=$(mktemp -d "${TMPDIR:-/tmp}/reel-bench-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT

ffmpeg -hide_banner -loglevel error -f lavfi -i "testsrc2=size=1080x1920:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -ac 2 -t 10 -c:v libx264 -preset veryfast -pix_fmt yuv420p -c:a aac "$work/clip.mp4"
"$reel" transcode "$work/clip.mp4" --output-dir "$work/out" > /dev/null

python3 - "$work/out" "$RUNS" <<'EOF'
import re, statistics, subprocess, sys
from pathlib import Path

root, runs = Path(sys.argv[1]), int(sys.argv[2])
master = (root / "master.m3u8").read_text()
audio = '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,URI="audio/index.m3u8"'
variants = re.findall(r"(#EXT-X-STREAM-INF:[^\n]*)\n([^\n]+)\.av/index\.m3u8", master)
group = [(inf + ',AUDIO="audio"', f"{rung}/index.m3u8") for inf, rung in variants]
def write(name, pairs):
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS", audio]
    for inf, uri in pairs:
        lines += [inf, uri]
    (root / name).write_text("\n".join(lines) + "\n")
write("group-low.m3u8", group)
write("group-high.m3u8", list(reversed(group)))
layouts = {"muxed-low": "master.m3u8", "group-low": "group-low.m3u8", "group-high": "group-high.m3u8"}
times = {name: [] for name in layouts}
for run in range(runs):
    for name, manifest in layouts.items():
        out = subprocess.run([sys.executable, "scripts/test-helpers/play-check.py", str(root), "--hls", manifest, "--only", "abr",
                              "--no-install", "--dash", "none.mpd"], capture_output=True, text=True, timeout=180).stdout
        line = next((l for l in out.splitlines() if l.startswith("PASS hls abr")), None)
        found = re.search(r"startup=(\d+)ms", line or "")
        if not found:
            sys.exit(f"{name} did not play: {out[-800:]}")
        times[name].append(int(found.group(1)))
median = {name: statistics.median(values) for name, values in times.items()}
for name, values in times.items():
    print(f"{name:11s} median {median[name]:7.1f} ms  runs {values}")
print(f"Reel's HLS (variants with audio) vs before (audio group): {median['muxed-low'] / median['group-low']:.2f}x; "
      f"highest rung first: {median['group-high'] / median['group-low']:.2f}x of before")
print(f"RESULT startup_ms={median['muxed-low']:.0f} before_ms={median['group-low']:.0f} "
      f"ratio={median['muxed-low'] / median['group-low']:.2f} high_first_ms={median['group-high']:.0f}")
EOF
