#!/usr/bin/env bash
# Unit costs for the capacity model (issue 15, docs/capacity.md), measured on this
# machine with a release build: PostgreSQL, Redis, an API, one worker and one Varnish
# edge on 127.0.0.1, two file regions (home and a replica).
#
#   scripts/bench/unit-costs.sh [--uploads 3] [--seconds 20] [--plays 50] > units.json
#
# It uploads UPLOADS clips of SECONDS s at 1080x1920 (the whole four-rung ladder) and
# waits for each to be published, replicated and warmed, then plays every video PLAYS
# times through the edge (master, the 720p variant's playlist, its init and every
# segment), and prints one JSON object:
#   worker_cpu_s_per_video_minute   worker CPU (user + system) per minute of source video,
#                                   for the whole pipeline: ingest, transcode, package,
#                                   replicate, warm
#   api_cpu_s_per_upload            the API's CPU per upload (receiving, hashing, storing)
#   stored_bytes_per_video_minute   bytes stored per region per minute of video (source,
#                                   renditions, poster, sprite)
#   rendition_bytes_per_minute      {rung: bytes per minute watched} (what a view costs)
#   pg_commits_per_upload, pg_rows_written_per_upload, pg_wal_bytes_per_upload
#   jobs_per_upload                 jobs enqueued per upload, every kind
#   origin_requests_per_play        the edge's fetches from the API per play, after the
#                                   first play of each video (master playlists cached)
# and a last line `RESULT …` with the same figures. Everything it starts is stopped by PID.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh
. scripts/services/lib/edges.sh

UPLOADS=3
SECONDS_OF_VIDEO=20
PLAYS=50
while [ $# -gt 0 ]; do
    case "$1" in
        --uploads) UPLOADS=$2; shift 2 ;;
        --seconds) SECONDS_OF_VIDEO=$2; shift 2 ;;
        --plays) PLAYS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

reel_install_packages
dir=".reel-data/bench-units-$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    reel_edges_stop "$dir"
    reel_services_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
reel_services_start "$dir"
dir=$(cd "$dir" && pwd -P)
export REEL_DATA_DIR="$dir/data"
export REEL_REGIONS="home=file:regions/home,replica=file:regions/replica"
export REEL_MIGRATIONS_DIR="$PWD/migrations"
export REEL_EDGE_TOKEN="units-edge-token-$RANDOM$RANDOM$RANDOM"
sql() { psql -qtA -F ' ' "$REEL_DATABASE_URL" -c "$1"; }
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }   # user + system seconds (USER_HZ = 100)

echo "building reel (release)…" >&2
swift build -c release >&2
REEL_BIN="$(swift build -c release --show-bin-path)/reel"
export REEL_BIN
"$REEL_BIN" migrate > /dev/null

REEL_LOG_LEVEL=notice "$REEL_BIN" api --port 0 --open-uploads > "$dir/api.log" 2>&1 & api_pid=$!; pids+=("$api_pid")
api=$(reel_api_url "$dir/api.log")
# A long poll interval: jobs arrive by LISTEN, and idle polls would count as commits.
REEL_LOG_LEVEL=warning "$REEL_BIN" worker --queues media=1,replication=2,edges=2 --poll-interval 30 & worker_pid=$!
pids+=("$worker_pid")
edge=$(reel_edge_start "$dir" units "$api" 512m)
"$REEL_BIN" edges add units --region units --url "$edge" --workdir "$dir/edge-units/varnish" > /dev/null

# A different clip per upload (hue and tone): identical bytes would be stored once.
for i in $(seq 1 "$UPLOADS"); do
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30" \
        -f lavfi -i "sine=frequency=$((300 + 40 * i)):sample_rate=48000" -t "$SECONDS_OF_VIDEO" -vf "hue=h=$((37 * i))" \
        -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -c:a aac -shortest "$dir/clip-$i.mp4"
done

read -r commits0 rows0 <<< "$(sql "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()")"
wal0=$(sql "SELECT pg_current_wal_lsn()")
worker_cpu0=$(cpu "$worker_pid"); api_cpu0=$(cpu "$api_pid")

echo "uploading $UPLOADS clips of ${SECONDS_OF_VIDEO} s (1080x1920)…" >&2
ids=()
for i in $(seq 1 "$UPLOADS"); do
    ids+=("$(curl -fsS -X POST -H "Content-Type: video/mp4" --data-binary "@$dir/clip-$i.mp4" "$api/v1/uploads?title=units-$i" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done
list=$(printf "'%s'," "${ids[@]}"); list=${list%,}
for _ in $(seq 1 3000); do
    left=$(sql "SELECT count(*) FROM reel_jobs WHERE state NOT IN ('completed', 'discarded', 'cancelled')")
    [ "$left" = 0 ] && break
    sleep 0.2
done
[ "$(sql "SELECT count(*) FROM videos WHERE id IN ($list) AND status = 'ready'")" = "$UPLOADS" ] || {
    echo "not every video became ready" >&2; exit 1; }

read -r commits1 rows1 <<< "$(sql "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = current_database()")"
wal_bytes=$(sql "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$wal0')")
worker_cpu1=$(cpu "$worker_pid"); api_cpu1=$(cpu "$api_pid")
jobs=$(sql "SELECT count(*) FROM reel_jobs")
stored=$(sql "SELECT coalesce(sum(r.bytes), 0) FROM object_replicas r WHERE r.region = 'replica' AND r.state = 'verified'")
renditions=$(sql "SELECT json_object_agg(name, bytes_per_minute) FROM (
    SELECT r.name, round(sum(s.bytes) * 60.0 / nullif(sum(s.duration::float8 / r.timescale), 0)) AS bytes_per_minute
    FROM renditions r JOIN segments s ON s.video_id = r.video_id AND s.rendition = r.name
    WHERE r.video_id IN ($list) GROUP BY r.name) t")

echo "playing each video $PLAYS times through the edge…" >&2
before=$(varnishstat -j -n "$dir/edge-units/varnish" -f MAIN.backend_req | python3 -c 'import json,sys; c=json.load(sys.stdin); c=c.get("counters", c); print(c["MAIN.backend_req"]["value"])')
python3 - "$edge" "$PLAYS" "${ids[@]}" <<'EOF'
import sys, urllib.request
edge, plays, ids = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def get(path):
    with urllib.request.urlopen(edge + path, timeout=30) as r:
        return r.read()
for video in ids:
    master = get(f"/v1/videos/{video}/master.m3u8").decode()
    variant = next(l for l in master.splitlines() if l.startswith("720p"))
    folder = variant.rsplit("/", 1)[0]
    playlist = get(f"/v1/videos/{video}/{variant}").decode()
    files = [l for l in playlist.splitlines() if l and not l.startswith("#")]
    init = [l.split('URI="')[1].split('"')[0] for l in playlist.splitlines() if l.startswith("#EXT-X-MAP")]
    for _ in range(plays):
        get(f"/v1/videos/{video}/master.m3u8")
        get(f"/v1/videos/{video}/{variant}")
        for f in init + files:
            get(f"/v1/videos/{video}/{folder}/{f}")
EOF
after=$(varnishstat -j -n "$dir/edge-units/varnish" -f MAIN.backend_req | python3 -c 'import json,sys; c=json.load(sys.stdin); c=c.get("counters", c); print(c["MAIN.backend_req"]["value"])')

python3 - <<EOF
import json
uploads, seconds, plays = $UPLOADS, $SECONDS_OF_VIDEO, $PLAYS
minutes = uploads * seconds / 60
units = {
    "measured_on": "2 cores, release build, file stores, one edge",
    "uploads": uploads, "seconds_per_video": seconds,
    "worker_cpu_s_per_video_minute": round(($worker_cpu1 - $worker_cpu0) / minutes, 2),
    "api_cpu_s_per_upload": round(($api_cpu1 - $api_cpu0) / uploads, 3),
    "stored_bytes_per_video_minute": round($stored / minutes),
    "rendition_bytes_per_minute": json.loads('''$renditions'''),
    "pg_commits_per_upload": round(($commits1 - $commits0) / uploads, 1),
    "pg_rows_written_per_upload": round(($rows1 - $rows0) / uploads, 1),
    "pg_wal_bytes_per_upload": round($wal_bytes / uploads),
    "jobs_per_upload": round($jobs / uploads, 1),
    "origin_requests_per_play": round(($after - $before) / (plays * uploads), 4),
}
print(json.dumps(units, indent=2, sort_keys=True))
print("RESULT " + " ".join(f"{k}={v}" for k, v in sorted(units.items()) if not isinstance(v, (dict, str))))
EOF
