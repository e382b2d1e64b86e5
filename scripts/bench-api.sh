#!/usr/bin/env bash
# Objects, regions and the read API, apart from the tests, each figure beside
# an anchor measured in the same run on this machine:
#   1. time from the start of an upload to playable (a 15 s 1080x1920 clip),
#      beside the time the ffmpeg command line takes to write its first 360p
#      HLS segment of the same ladder;
#   2. replication of that video's objects to an S3 region (SeaweedFS),
#      beside `aws s3 cp --recursive` of the same files to the same server;
#   3. metadata lookups (GET /v1/videos/ID) through the Redis cache, beside
#      the same API reading PostgreSQL on every request (and the seed's
#      promise of < 100 ms);
#   4. serving a segment (GET …/360p/0.m4s) from the API, beside nginx
#      serving the same stored file.
# Usage: scripts/bench-api.sh [--seconds 10] [--connections 32]
# Starts PostgreSQL, Redis, SeaweedFS, the API, a worker and nginx on
# 127.0.0.1 and stops them by PID at the end. Prints one RESULT line last.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/services.sh
. scripts/lib/seaweedfs.sh

DURATION=10
CONNECTIONS=32
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

reel_install_packages wrk nginx-light awscli
reel_seaweedfs_install
dir=".reel-data/bench-api-$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    REEL_SEAWEEDFS_STOP_TIMEOUT=2 reel_seaweedfs_stop "$dir"
    reel_services_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
reel_services_start "$dir"
reel_seaweedfs_start "$dir"
dir=$(cd "$dir" && pwd -P)
export REEL_DATA_DIR="$dir/data"
export REEL_REGIONS="home=file:regions/home,s3=s3:REEL_S3_"
export REEL_MIGRATIONS_DIR="$PWD/migrations"

echo "building reel (release)…" >&2
swift build -c release >&2
reel="$(swift build -c release --show-bin-path)/reel"
"$reel" migrate > /dev/null

start_api() {  # start_api LOG [redis]: starts the API; sets api_url and api_pid
    local log=$1 url=
    if [ "${2:-}" = redis ]; then
        REEL_LOG_LEVEL=notice "$reel" api --port 0 > "$log" 2>&1 &
    else
        env -u REEL_REDIS_URL REEL_LOG_LEVEL=notice "$reel" api --port 0 > "$log" 2>&1 &
    fi
    api_pid=$!
    pids+=("$api_pid")
    for _ in $(seq 1 100); do
        url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n 1)
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { cat "$log" >&2; exit 1; }
    api_url=$url
}
start_api "$dir/api.log" redis
api=$api_url
REEL_LOG_LEVEL=warning "$reel" worker --queues media=1,replication=1 & pids+=($!)

echo "1. upload to playable…" >&2
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 15 \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$dir/clip.mp4"
upload=$("$reel" upload "$dir/clip.mp4" --api "$api" --wait --json)
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$upload")
reel_playable=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$upload")
# The anchor: the ffmpeg command line's first 360p segment of the same 4-rung ladder.
mkdir -p "$dir/ffmpeg"
start_ns=$(date +%s%N)
ffmpeg -hide_banner -loglevel error -y -i "$dir/clip.mp4" \
    -filter_complex "[0:v]split=4[a][b][c][d];[a]scale=1080:1920[o0];[b]scale=720:1280[o1];[c]scale=480:854[o2];[d]scale=360:640[o3]" \
    -map "[o0]" -map "[o1]" -map "[o2]" -map "[o3]" -map 0:a \
    -c:v libx264 -preset veryfast -profile:v high -g 60 -keyint_min 60 -sc_threshold 0 -bf 0 \
    -b:v:0 5000k -b:v:1 2800k -b:v:2 1401k -b:v:3 800k -c:a aac -b:a 128k -ar 48000 \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_type fmp4 -hls_flags temp_file -master_pl_name master.m3u8 \
    -var_stream_map "v:0,agroup:aud v:1,agroup:aud v:2,agroup:aud v:3,agroup:aud a:0,agroup:aud" "$dir/ffmpeg/%v/index.m3u8" &
ffpid=$!
# temp_file: a segment gets its name only once it is complete.
while [ ! -f "$dir/ffmpeg/3/index0.m4s" ]; do
    kill -0 "$ffpid" 2>/dev/null || break
    sleep 0.01
done
ff_first=$(python3 -c "print(round(($(date +%s%N) - $start_ns) / 1e9, 2))")
wait "$ffpid" || true

echo "2. replication to the S3 region…" >&2
for _ in $(seq 1 1200); do
    done_=$(psql -qtA "$REEL_DATABASE_URL" -c "SELECT count(*) FROM reel_jobs WHERE kind = 'replicate' AND state = 'completed'")
    [ "$done_" = 1 ] && break
    sleep 0.25
done
read -r rep_s rep_objects rep_bytes < <(psql -qtA -F ' ' "$REEL_DATABASE_URL" -c "
    SELECT round(extract(epoch FROM j.finalized_at - j.attempted_at)::numeric, 2), count(r.*), sum(r.bytes)
    FROM reel_jobs j, object_replicas r WHERE j.kind = 'replicate' AND r.region = 's3' GROUP BY j.id")
# The anchor: the same objects, as files, copied with the AWS CLI.
mkdir -p "$dir/copy"
psql -qtA "$REEL_DATABASE_URL" -c "SELECT digest FROM object_replicas WHERE region = 's3'" | while read -r d; do
    cp "$REEL_DATA_DIR/regions/home/objects/${d:0:2}/${d:2:2}/$d" "$dir/copy/$d"
done
start_ns=$(date +%s%N)
AWS_ACCESS_KEY_ID=$REEL_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$REEL_S3_SECRET_KEY AWS_DEFAULT_REGION=$REEL_S3_REGION \
    aws --endpoint-url "$REEL_S3_ENDPOINT" s3 cp --recursive --quiet "$dir/copy" "s3://$REEL_S3_BUCKET/awscli/"
aws_s=$(python3 -c "print(round(($(date +%s%N) - $start_ns) / 1e9, 2))")

wrk_run() {  # wrk_run URL: prints "requests_per_s p50_ms p99_ms mb_per_s"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m: return "nan"
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return "%.3f" % (float(m.group(1)) * factor)
rps = re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)
tr = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", text)
mb = float(tr.group(1)) * {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}.get(tr.group(2), 1)
print(rps, ms("50%"), ms("99%"), f"{mb:.1f}")'
}

echo "3. metadata lookups…" >&2
read -r meta_rps meta_p50 meta_p99 _ < <(wrk_run "$api/v1/videos/$id")
kill -TERM "$api_pid"; wait "$api_pid" 2>/dev/null || true
start_api "$dir/api-plain.log"
plain=$api_url
read -r pg_rps pg_p50 pg_p99 _ < <(wrk_run "$plain/v1/videos/$id")

echo "4. serving a segment…" >&2
read -r seg_rps seg_p50 seg_p99 seg_mb < <(wrk_run "$plain/v1/videos/$id/360p/0.m4s")
digest=$(psql -qtA "$REEL_DATABASE_URL" -c "SELECT digest FROM segments WHERE video_id = '$id' AND rendition = '360p' AND number = 0")
nport=$(_reel_free_port)
mkdir -p "$dir/nginx"
cat > "$dir/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    server {
        listen 127.0.0.1:$nport;
        root $REEL_DATA_DIR/regions/home/objects;
        default_type video/mp4;
    }
}
EOF
nginx -c "$dir/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
sleep 0.5
read -r ng_rps ng_p50 ng_p99 ng_mb < <(wrk_run "http://127.0.0.1:$nport/${digest:0:2}/${digest:2:2}/$digest")

ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print(f"{a / b:.2f}" if b else "nan")' "$1" "$2"; }
printf '\n%-52s %12s %12s %8s\n' "measure" "reel" "anchor" "ratio"
printf '%-52s %12s %12s %8s\n' "upload start to playable vs ffmpeg's first 360p segment (s)" "$reel_playable" "$ff_first" "$(ratio "$reel_playable" "$ff_first")"
printf '%-52s %12s %12s %8s\n' "replicate $rep_objects objects, $((rep_bytes / 1000000)) MB, to S3 vs aws s3 cp (s)" "$rep_s" "$aws_s" "$(ratio "$rep_s" "$aws_s")"
printf '%-52s %12s %12s %8s\n' "metadata lookups/s, Redis cache vs PostgreSQL only" "$meta_rps" "$pg_rps" "$(ratio "$meta_rps" "$pg_rps")"
printf '%-52s %12s %12s %8s\n' "metadata p50 ms (cache vs PostgreSQL)" "$meta_p50" "$pg_p50" "$(ratio "$meta_p50" "$pg_p50")"
printf '%-52s %12s %12s %8s\n' "metadata p99 ms (cache; target < 100)" "$meta_p99" "$pg_p99" "$(ratio "$meta_p99" "$pg_p99")"
printf '%-52s %12s %12s %8s\n' "segment requests/s, API vs nginx on the same file" "$seg_rps" "$ng_rps" "$(ratio "$seg_rps" "$ng_rps")"
printf '%-52s %12s %12s %8s\n' "segment MB/s, API vs nginx" "$seg_mb" "$ng_mb" "$(ratio "$seg_mb" "$ng_mb")"
printf 'RESULT upload_to_playable_s=%s ffmpeg_first_segment_s=%s replicate_s=%s aws_cp_s=%s metadata_rps=%s metadata_p99_ms=%s segment_rps=%s nginx_rps=%s\n' \
    "$reel_playable" "$ff_first" "$rep_s" "$aws_s" "$meta_rps" "$meta_p99" "$seg_rps" "$ng_rps"
