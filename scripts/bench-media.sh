#!/usr/bin/env bash
# Media benchmark, apart from the tests: Reel's in-process transcode of a
# vertical 1080x1920 clip into the standard 4-rung ladder (CMAF, HLS + DASH)
# beside the ffmpeg command line making the same ladder (same rungs, bit
# rates, preset, 2 s GOPs, no B-frames, fMP4 HLS), in one run on this machine:
# wall time, peak RSS, and for Reel when the first segment was written.
# Usage: scripts/bench-media.sh [--seconds 15] [--memory-seconds 60]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/services.sh

SECONDS_CLIP=15
MEMORY_SECONDS=60
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_CLIP=$2; shift 2 ;;
        --memory-seconds) MEMORY_SECONDS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
reel_install_packages
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building reel (release)…" >&2
swift build -c release >&2
reel="$(swift build -c release --show-bin-path)/reel"

clip() {  # clip SECONDS FILE: a busy vertical picture and a tone
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$1" \
        -c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p -c:a aac -shortest "$2"
}
measure() {  # measure OUT CMD…: runs CMD, writes "seconds peak_kib" to OUT
    /usr/bin/time -f "%e %M" -o "$1" "${@:2}" > "$1.stdout" 2> "$1.stderr"
}
ratio() { python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.2f}")' "$1" "$2"; }

clip "$SECONDS_CLIP" "$work/clip.mp4"
echo "transcoding a ${SECONDS_CLIP} s 1080x1920 clip…" >&2
measure "$work/reel.time" "$reel" transcode "$work/clip.mp4" --output-dir "$work/reel" --json
measure "$work/ffmpeg.time" ffmpeg -hide_banner -loglevel error -y -i "$work/clip.mp4" \
    -filter_complex "[0:v]split=4[a][b][c][d];[a]scale=1080:1920[o0];[b]scale=720:1280[o1];[c]scale=480:854[o2];[d]scale=360:640[o3]" \
    -map "[o0]" -map "[o1]" -map "[o2]" -map "[o3]" -map 0:a \
    -c:v libx264 -preset veryfast -profile:v high -g 60 -keyint_min 60 -sc_threshold 0 -bf 0 \
    -b:v:0 5000k -maxrate:v:0 7500k -bufsize:v:0 15000k -b:v:1 2800k -maxrate:v:1 4200k -bufsize:v:1 8400k \
    -b:v:2 1401k -maxrate:v:2 2101k -bufsize:v:2 4202k -b:v:3 800k -maxrate:v:3 1200k -bufsize:v:3 2400k \
    -c:a aac -b:a 128k -ar 48000 \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_type fmp4 -master_pl_name master.m3u8 \
    -var_stream_map "v:0,agroup:aud v:1,agroup:aud v:2,agroup:aud v:3,agroup:aud a:0,agroup:aud" "$work/ffmpeg/%v/index.m3u8"
read -r reel_s reel_kib < "$work/reel.time"
read -r ff_s ff_kib < "$work/ffmpeg.time"
first=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["first_lowest_rung_segment_s"])' "$work/reel.time.stdout")

echo "measuring memory on a ${MEMORY_SECONDS} s clip…" >&2
clip "$MEMORY_SECONDS" "$work/long.mp4"
measure "$work/long.time" "$reel" transcode "$work/long.mp4" --output-dir "$work/long" --json
read -r long_s long_kib < "$work/long.time"

printf '\n%-44s %12s %12s %8s\n' "measure" "reel" "ffmpeg CLI" "ratio"
printf '%-44s %12s %12s %8s\n' "${SECONDS_CLIP} s clip, 4-rung ladder: wall seconds" "$reel_s" "$ff_s" "$(ratio "$reel_s" "$ff_s")"
printf '%-44s %12s %12s %8s\n' "${SECONDS_CLIP} s clip: peak RSS MB" "$((reel_kib / 1024))" "$((ff_kib / 1024))" "$(ratio "$reel_kib" "$ff_kib")"
printf '%-44s %12s\n' "first 360p segment written after (s)" "$first"
printf '%-44s %12s\n' "${MEMORY_SECONDS} s clip: wall seconds" "$long_s"
printf '%-44s %12s   (target < 600)\n' "${MEMORY_SECONDS} s clip: peak RSS MB" "$((long_kib / 1024))"
printf 'RESULT transcode_vs_ffmpeg=%s peak_rss_mb_60s=%s first_segment_s=%s\n' "$(ratio "$reel_s" "$ff_s")" "$((long_kib / 1024))" "$first"
