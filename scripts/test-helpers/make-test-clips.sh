#!/usr/bin/env bash
# Generates the media test cases with the ffmpeg command line (tests only:
# Reel itself never shells out to ffmpeg). Usage: scripts/test-helpers/make-test-clips.sh DIR
# Skips files that already exist. Needs Debian's ffmpeg (scripts/test.sh installs it).
set -euo pipefail
out=${1:?usage: scripts/test-helpers/make-test-clips.sh DIR}
mkdir -p "$out"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
make() { local name=$1; shift; [ -s "$out/$name" ] || "$@"; }

src="-f lavfi -i testsrc2=size=1080x1920:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000"
# A vertical phone clip: 1080x1920, 30 fps, H.264 + AAC, 2 s.
make vertical.mp4 ff $src -t 2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest "$out/vertical.mp4"
# Coded landscape with a display matrix that turns it vertical (how phones store
# portrait video). ffmpeg 5.1 writes the matrix only when remuxing; ffprobe then
# reports rotation=90 (counter-clockwise).
if [ ! -s "$out/rotated.mp4" ]; then
    ff -f lavfi -i testsrc2=size=640x360:rate=30 -t 1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$out/landscape.mp4"
    ff -i "$out/landscape.mp4" -c copy -metadata:s:v:0 rotate=90 "$out/rotated.mp4"
fi
# VP9 in WebM, no audio, odd dimensions.
make vp9.webm ff -f lavfi -i testsrc2=size=641x359:rate=25 -t 1 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 \
    -vf scale=641:359 -pix_fmt yuv420p "$out/vp9.webm"
# Audio only.
make audio-only.m4a ff -f lavfi -i sine=frequency=440:sample_rate=44100 -t 1 -c:a aac "$out/audio-only.m4a"
# A PNG with a video extension.
make image.mp4 ff -f lavfi -i testsrc2=size=320x240 -frames:v 1 -f image2 -c:v png "$out/image.mp4"
# Not media at all, and nothing at all.
[ -s "$out/not-a-video.mp4" ] || printf 'this is a text file, not a video\n%.0s' $(seq 1 200) > "$out/not-a-video.mp4"
: > "$out/empty.mp4"
# The first 2 KiB of a real file: the moov atom is missing.
[ -s "$out/truncated.mp4" ] || head -c 2048 "$out/vertical.mp4" > "$out/truncated.mp4"
# One frame only.
make one-frame.mp4 ff -f lavfi -i testsrc2=size=720x1280:rate=30 -frames:v 1 -c:v libx264 -pix_fmt yuv420p "$out/one-frame.mp4"
# Variable frame rate: 10 fps for a second, then 30 fps.
if [ ! -s "$out/vfr.mp4" ]; then
    ff -f lavfi -i testsrc2=size=360x640:rate=10 -t 1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$out/vfr-a.mp4"
    ff -f lavfi -i testsrc2=size=360x640:rate=30 -t 1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$out/vfr-b.mp4"
    printf "file '%s'\nfile '%s'\n" "$out/vfr-a.mp4" "$out/vfr-b.mp4" > "$out/vfr.txt"
    ff -f concat -safe 0 -i "$out/vfr.txt" -c copy "$out/vfr.mp4"
fi
# 1 s each at 30, 24, 60 and 15 fps, with 4 s of audio: every manifest's
# durations must be what the segments hold, and the video must last 4 s.
if [ ! -s "$out/vfr-steps.mp4" ]; then
    for r in 30 24 60 15; do
        ff -f lavfi -i testsrc2=size=360x640:rate=$r -t 1 -c:v libx264 -preset ultrafast -bf 0 -pix_fmt yuv420p "$out/vfr-step-$r.mp4"
    done
    printf "file '%s'\n" "$out/vfr-step-30.mp4" "$out/vfr-step-24.mp4" "$out/vfr-step-60.mp4" "$out/vfr-step-15.mp4" > "$out/vfr-steps.txt"
    ff -f concat -safe 0 -i "$out/vfr-steps.txt" -f lavfi -i sine=frequency=440:sample_rate=48000 -t 4 \
        -map 0:v -map 1:a -c:v copy -c:a aac "$out/vfr-steps.mp4"
    rm -f "$out"/vfr-step-*.mp4 "$out/vfr-steps.txt"
fi
# A very long GOP: one keyframe in 4 s.
make long-gop.mp4 ff -f lavfi -i testsrc2=size=360x640:rate=30 -t 4 -c:v libx264 -preset ultrafast -g 1000 -pix_fmt yuv420p "$out/long-gop.mp4"
# HEVC 10-bit.
make hevc10.mp4 ff -f lavfi -i testsrc2=size=360x640:rate=30 -t 1 -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le \
    -x265-params log-level=error -tag:v hvc1 "$out/hevc10.mp4"
# Hundreds of streams: one video and 200 audio tracks.
if [ ! -s "$out/many-streams.mkv" ]; then
    maps=(); for _ in $(seq 1 200); do maps+=(-map 1:a); done
    ff -f lavfi -i testsrc2=size=360x640:rate=30 -f lavfi -i sine=frequency=440:sample_rate=8000 -t 1 \
        -map 0:v "${maps[@]}" -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a pcm_s16le "$out/many-streams.mkv"
fi
# 16000x16000: one frame, huge.
make huge.mkv ff -f lavfi -i color=c=blue:size=16000x16000:rate=1 -frames:v 1 -c:v ffv1 "$out/huge.mkv"
# Two sources of very different difficulty for per-title bit rates (480x854, 6 s, 30 fps):
# one detailed picture held still, and the same picture under strong noise, new every frame.
make still.mp4 ff -f lavfi -i testsrc2=size=480x854:rate=30 -vf "select=eq(n\,0),loop=loop=-1:size=1:start=0,setpts=N/30/TB" \
    -t 6 -r 30 -c:v libx264 -preset ultrafast -crf 16 -pix_fmt yuv420p "$out/still.mp4"
make noise.mp4 ff -f lavfi -i testsrc2=size=480x854:rate=30 -vf "noise=alls=20:allf=t+u" \
    -t 6 -c:v libx264 -preset ultrafast -crf 26 -pix_fmt yuv420p "$out/noise.mp4"
echo "$out"
