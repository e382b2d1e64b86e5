#!/usr/bin/env bash
# Serving benchmark (issue 4), apart from the tests, each figure beside an
# anchor measured in the same run on this machine:
#   1. metadata: GET /v1/videos/ID through the API and its Redis cache, wrk at
#      50 connections (req/s, p50, p99), beside redis-benchmark GET of a 1 KiB
#      value at 50 connections on the same Redis, and beside nginx serving the
#      same JSON answer from a file (the HTTP anchor, wrk at 50 connections);
#   2. segments: GET of a ~200 KiB 360p segment through the API, wrk at 64
#      connections (req/s, MB/s, p99), beside nginx serving the same stored
#      file from disk with sendfile;
#   3. first playable: --first (5) different 15 s 1080x1920 clips, one after
#      another, each from the moment its upload is complete (the 201) until its
#      master playlist and its first 360p segment both answer 200 (p50 and each);
#      then every job of them is waited for, so the serving figures below are
#      measured on an idle worker (the ladder, replication and warming done);
#   4. replication lag: a burst of 20 uploads (4 s 720x1280 clips); per video,
#      from ready in the home region (a file store) until its last object is
#      verified in the second region (an S3 store on SeaweedFS): p50 and p99.
#   5. defences (issue 11): metadata and segments again, through the same API
#      and through a second API on the same catalog and stores started with
#      REEL_SERVER_DEFENCES=off (no header/body/idle timeouts, no connection
#      cap, no Repr-Digest), interleaved off/on twice: req/s and p99 of each;
#   6. scrub: an objects.scrub job at REEL_SCRUB_RATE=20 copies a second for
#      20 s while wrk fetches segments: copies scrubbed a second (from
#      object_scrubs) beside the rate asked, and the segments' p99 during it
#      beside the p99 without it.
# Targets: metadata p99 <= 2 ms and >= 0.5x redis-benchmark; segments >= 0.5x
# nginx; first playable <= 1.5 s; replication p99 <= 5 s; defences cost
# nothing measurable; the scrub holds its rate.
# Usage: scripts/bench/serve.sh [--seconds 10] [--burst 20] [--first 5]
# Starts PostgreSQL, Redis, SeaweedFS, a release `reel api` and `reel worker`
# and nginx on 127.0.0.1 and stops them by PID. Its last line is
#   RESULT meta_p99_ms=… meta_vs_redis=… meta_vs_nginx=… segments_vs_nginx=… first_playable_s=… replication_p99_s=…
#          defences_meta=… defences_segments=… scrub_rate=… scrub_segment_p99_ms=…
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh
. scripts/services/lib/seaweedfs.sh

DURATION=10
BURST=20
FIRST=5
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) DURATION=$2; shift 2 ;;
        --burst) BURST=$2; shift 2 ;;
        --first) FIRST=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

reel_install_packages wrk nginx-light redis-tools
reel_seaweedfs_install
dir=".reel-data/bench-serve-$$"
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
sql() { psql -qtA -F ' ' "$REEL_DATABASE_URL" -c "$1"; }

echo "building reel (release)…" >&2
swift build -c release >&2
reel="$(swift build -c release --show-bin-path)/reel"
"$reel" migrate > /dev/null

REEL_LOG_LEVEL=notice "$reel" api --port 0 --open-uploads > "$dir/api.log" 2>&1 & pids+=($!)
api=$(reel_api_url "$dir/api.log")
REEL_SCRUB_RATE=20 REEL_LOG_LEVEL=warning "$reel" worker --queues media=1,replication=2 & pids+=($!)
# The same catalog and stores without the defences, to measure what they cost (phase 5).
REEL_SERVER_DEFENCES=off REEL_LOG_LEVEL=notice "$reel" api --port 0 --open-uploads > "$dir/api-plain.log" 2>&1 & pids+=($!)
plain=$(reel_api_url "$dir/api-plain.log")

echo "3. first playable of $FIRST different 15 s 1080x1920 clips, one after another…" >&2
firsts=()
for n in $(seq 1 "$FIRST"); do
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30,hue=h=$((n * 31))" \
        -f lavfi -i "sine=frequency=$((400 + n * 20)):sample_rate=48000" -t 15 \
        -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$dir/clip-$n.mp4"
    read -r first_n id < <(python3 - "$api" "$dir/clip-$n.mp4" <<'EOF'
import json, sys, time, urllib.request, urllib.error
api, path = sys.argv[1], sys.argv[2]
body = open(path, "rb").read()
request = urllib.request.Request(f"{api}/v1/uploads?title=first-playable", data=body, method="POST",
                                 headers={"Content-Type": "video/mp4"})
video = json.load(urllib.request.urlopen(request))["id"]
complete = time.monotonic()
def ok(url):
    try:
        return urllib.request.urlopen(url, timeout=5).status == 200
    except urllib.error.URLError:
        return False
while not (ok(f"{api}/v1/videos/{video}/master.m3u8") and ok(f"{api}/v1/videos/{video}/360p/0.m4s")):
    if time.monotonic() - complete > 120:
        sys.exit("the video did not become playable within 120 s")
    time.sleep(0.01)
print(f"{time.monotonic() - complete:.2f} {video}")
EOF
)
    firsts+=("$first_n")
    # The whole ladder, its replication and warming: the next upload (and the serving
    # figures after the last) start on an idle worker.
    "$reel" jobs wait --timeout 600 --interval 0.2 > /dev/null
done
first_s=$(python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.2f}")' "${firsts[@]}")
first_all=$(IFS=,; echo "${firsts[*]}")

wrk_run() {  # wrk_run CONNECTIONS URL: prints "requests_per_s p50_ms p99_ms mb_per_s"
    wrk -t2 -c"$1" -d"${DURATION}s" --latency "$2" | python3 -c '
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

echo "1. metadata lookups beside redis-benchmark…" >&2
read -r meta_rps meta_p50 meta_p99 _ < <(wrk_run 50 "$api/v1/videos/$id")
# The same server answering its smallest route (a constant JSON body, no catalog): the
# ceiling of Hummingbird + NIO's HTTP/1.1 on this machine, which metadata cannot pass.
read -r floor_rps floor_p50 floor_p99 _ < <(wrk_run 50 "$api/healthz")
redis_port=${REEL_REDIS_URL##*:}
read -r redis_rps redis_p50 redis_p99 < <(
    redis-benchmark -h 127.0.0.1 -p "$redis_port" -t get -d 1024 -c 50 -n 300000 --csv 2>/dev/null |
        python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
head, row = rows[0], rows[-1]
get = dict(zip(head, row))
print(get["rps"], get["p50_latency_ms"], get["p99_latency_ms"])')

echo "2. segments beside nginx…" >&2
read -r digest bytes < <(sql "SELECT digest, bytes FROM segments WHERE video_id = '$id' AND rendition = '360p' AND number = 1")
read -r seg_rps seg_p50 seg_p99 seg_mb < <(wrk_run 64 "$api/v1/videos/$id/360p/1.m4s")
nport=$(_reel_free_port)
mkdir -p "$dir/nginx"
curl -fsS -o "$dir/nginx/meta.json" "$api/v1/videos/$id"
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
        # The metadata anchor: the API's own answer for the video, served from a file.
        location = /meta.json { alias $dir/nginx/meta.json; default_type application/json; }
    }
}
EOF
nginx -c "$dir/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
sleep 0.5
read -r ng_rps ng_p50 ng_p99 ng_mb < <(wrk_run 64 "http://127.0.0.1:$nport/${digest:0:2}/${digest:2:2}/$digest")
read -r ngm_rps ngm_p50 ngm_p99 _ < <(wrk_run 50 "http://127.0.0.1:$nport/meta.json")

echo "4. replication lag for a burst of $BURST uploads…" >&2
# Different pictures: identical clips would share their (content-addressed) segments.
for n in $(seq 1 "$BURST"); do
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=720x1280:rate=30,hue=h=$((n * 17))" \
        -f lavfi -i "sine=frequency=$((300 + n * 10)):sample_rate=48000" -t 4 \
        -c:v libx264 -preset ultrafast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$dir/short-$n.mp4"
done
burst_start=$(sql "SELECT now()")
uploads=()
for n in $(seq 1 "$BURST"); do
    "$reel" upload "$dir/short-$n.mp4" --api "$api" --json > /dev/null & uploads+=($!)
done
for pid in "${uploads[@]}"; do wait "$pid"; done
for _ in $(seq 1 1800); do
    [ "$(sql "SELECT count(*) FROM videos WHERE created_at >= '$burst_start' AND status <> 'ready'")" = 0 ] && break
    sleep 0.2
done
# A video's copies are enqueued as it becomes ready; wait until they are made.
"$reel" jobs wait --kind replicate --timeout 360 --interval 0.2 > /dev/null
read -r rep_p50 rep_p99 rep_videos < <(sql "
    WITH lag AS (
        SELECT v.id, extract(epoch FROM max(r.verified_at) - v.ready_at) AS seconds
        FROM videos v
        JOIN segments s ON s.video_id = v.id
        JOIN object_replicas r ON r.digest = s.digest AND r.region = 's3'
        WHERE v.created_at >= '$burst_start' AND v.ready_at IS NOT NULL
        GROUP BY v.id, v.ready_at)
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric, 2),
           round(percentile_cont(0.99) WITHIN GROUP (ORDER BY seconds)::numeric, 2), count(*)
    FROM lag")

echo "5. the defences' cost: the same routes with and without them, interleaved…" >&2
segment="/v1/videos/$id/360p/1.m4s"
read -r off1_meta _ off1_meta_p99 _ < <(wrk_run 50 "$plain/v1/videos/$id")
read -r on1_meta _ on1_meta_p99 _ < <(wrk_run 50 "$api/v1/videos/$id")
read -r off1_seg _ off1_seg_p99 _ < <(wrk_run 64 "$plain$segment")
read -r on1_seg _ on1_seg_p99 _ < <(wrk_run 64 "$api$segment")
read -r on2_meta _ on2_meta_p99 _ < <(wrk_run 50 "$api/v1/videos/$id")
read -r off2_meta _ off2_meta_p99 _ < <(wrk_run 50 "$plain/v1/videos/$id")
read -r on2_seg _ on2_seg_p99 _ < <(wrk_run 64 "$api$segment")
read -r off2_seg _ off2_seg_p99 _ < <(wrk_run 64 "$plain$segment")
mean() { python3 -c 'import sys; v = list(map(float, sys.argv[1:])); print(f"{sum(v) / len(v):.3f}")' "$@"; }
on_meta=$(mean "$on1_meta" "$on2_meta"); off_meta=$(mean "$off1_meta" "$off2_meta")
on_meta_p99=$(mean "$on1_meta_p99" "$on2_meta_p99"); off_meta_p99=$(mean "$off1_meta_p99" "$off2_meta_p99")
on_seg=$(mean "$on1_seg" "$on2_seg"); off_seg=$(mean "$off1_seg" "$off2_seg")
on_seg_p99=$(mean "$on1_seg_p99" "$on2_seg_p99"); off_seg_p99=$(mean "$off1_seg_p99" "$off2_seg_p99")

echo "6. the scrub at 20 copies a second while segments are served…" >&2
copies=$(sql "SELECT count(*) FROM object_copies")
"$reel" submit objects.scrub --args '{"seconds": 20}' > /dev/null
read -r scrub_rps _ scrub_p99 _ < <(DURATION=20 wrk_run 64 "$api$segment")
"$reel" jobs wait --kind objects.scrub --timeout 60 --interval 0.2 > /dev/null
read -r scrubbed scrub_span < <(sql "SELECT count(*), round(extract(epoch FROM max(scrubbed_at) - min(scrubbed_at))::numeric, 2)
    FROM object_scrubs WHERE scrubbed_at > '-infinity'")
scrub_rate=$(python3 -c 'import sys; n, s = float(sys.argv[1]), float(sys.argv[2]); print(f"{(n - 1) / s:.2f}" if s > 0 else "nan")' "$scrubbed" "$scrub_span")

ratio() { python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print(f"{a / b:.2f}" if b else "nan")' "$1" "$2"; }
printf '\n%-58s %12s %12s %8s\n' "measure" "reel" "anchor" "ratio"
printf '%-58s %12s %12s %8s\n' "metadata GET req/s, API (50 conns) vs redis-benchmark GET 1 KiB" "$meta_rps" "$redis_rps" "$(ratio "$meta_rps" "$redis_rps")"
printf '%-58s %12s %12s %8s\n' "metadata p50 ms vs redis-benchmark" "$meta_p50" "$redis_p50" "$(ratio "$meta_p50" "$redis_p50")"
printf '%-58s %12s %12s %8s\n' "metadata p99 ms vs redis-benchmark (target <= 2)" "$meta_p99" "$redis_p99" "$(ratio "$meta_p99" "$redis_p99")"
printf '%-58s %12s %12s %8s\n' "metadata GET req/s, API vs nginx serving the same JSON" "$meta_rps" "$ngm_rps" "$(ratio "$meta_rps" "$ngm_rps")"
printf '%-58s %12s %12s %8s\n' "metadata p99 ms, API vs nginx" "$meta_p99" "$ngm_p99" "$(ratio "$meta_p99" "$ngm_p99")"
printf '%-58s %12s %12s %8s\n' "the API's /healthz req/s (its HTTP ceiling) vs redis" "$floor_rps" "$redis_rps" "$(ratio "$floor_rps" "$redis_rps")"
printf '%-58s %12s %12s %8s\n' "the API's /healthz p99 ms vs redis-benchmark" "$floor_p99" "$redis_p99" "$(ratio "$floor_p99" "$redis_p99")"
printf '%-58s %12s %12s %8s\n' "$((bytes / 1024)) KiB segment req/s, API vs nginx sendfile (64 conns)" "$seg_rps" "$ng_rps" "$(ratio "$seg_rps" "$ng_rps")"
printf '%-58s %12s %12s %8s\n' "segment MB/s, API vs nginx" "$seg_mb" "$ng_mb" "$(ratio "$seg_mb" "$ng_mb")"
printf '%-58s %12s %12s %8s\n' "segment p99 ms, API vs nginx" "$seg_p99" "$ng_p99" "$(ratio "$seg_p99" "$ng_p99")"
printf '%-58s %12s %12s\n' "first playable after upload complete, p50 s (target <= 0.5)" "$first_s" "-"
printf '  each: %s s\n' "$first_all"
printf '%-58s %12s %12s\n' "replication lag p50 s, $rep_videos videos to S3" "$rep_p50" "-"
printf '%-58s %12s %12s\n' "replication lag p99 s (target <= 5)" "$rep_p99" "-"
printf '%-58s %12s %12s %8s\n' "metadata req/s with defences vs without (2 runs each)" "$on_meta" "$off_meta" "$(ratio "$on_meta" "$off_meta")"
printf '%-58s %12s %12s %8s\n' "metadata p99 ms with defences vs without" "$on_meta_p99" "$off_meta_p99" "$(ratio "$on_meta_p99" "$off_meta_p99")"
printf '%-58s %12s %12s %8s\n' "segment req/s with defences vs without" "$on_seg" "$off_seg" "$(ratio "$on_seg" "$off_seg")"
printf '%-58s %12s %12s %8s\n' "segment p99 ms with defences vs without" "$on_seg_p99" "$off_seg_p99" "$(ratio "$on_seg_p99" "$off_seg_p99")"
printf '%-58s %12s %12s %8s\n' "scrub copies/s ($scrubbed of $copies copies) vs the rate asked" "$scrub_rate" "20" "$(ratio "$scrub_rate" 20)"
printf '%-58s %12s %12s %8s\n' "segment p99 ms during the scrub vs without it" "$scrub_p99" "$on_seg_p99" "$(ratio "$scrub_p99" "$on_seg_p99")"
printf 'RESULT meta_p99_ms=%s meta_vs_redis=%s meta_vs_nginx=%s segments_vs_nginx=%s first_playable_s=%s replication_p99_s=%s defences_meta=%s defences_segments=%s scrub_rate=%s scrub_segment_p99_ms=%s\n' \
    "$meta_p99" "$(ratio "$meta_rps" "$redis_rps")" "$(ratio "$meta_rps" "$ngm_rps")" "$(ratio "$seg_rps" "$ng_rps")" "$first_s" "$rep_p99" \
    "$(ratio "$on_meta" "$off_meta")" "$(ratio "$on_seg" "$off_seg")" "$scrub_rate" "$scrub_p99"
