#!/usr/bin/env bash
# Reel end to end on the embedded defaults: PostgreSQL, Redis, two regions
# (file stores under .reel-data/), the API, a Varnish edge in front of it, a
# worker and the scheduler. It
# uploads a generated 15 s vertical clip with `reel upload` (progress bar),
# waits until it is playable, prints its URLs, shows its replication and the
# edge's warming (a first request through the edge is a cache hit), and
# finally plays it from the API in headless Chromium (Video.js, HLS and DASH,
# every rendition, then on the API's own player page) and says whether
# playback reached the end; last, it signs in to the operator's dashboard at
# /admin in Chromium and opens every page (screenshots: .reel-data/demo-dashboard/).
# Stops everything it started, by PID, when it ends (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/services/lib/services.sh
. scripts/services/lib/edges.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

reel_install_packages
bash scripts/services/install-player.sh
dir=".reel-data/demo-$$"
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
export REEL_DATA_DIR="$dir/data"
export REEL_REGIONS="region-a=file:regions/region-a,region-b=file:regions/region-b"

say "building"
swift build 2>&1 | tail -1
reel="$(swift build --show-bin-path)/reel"
REEL_BIN="$reel"
export REEL_EDGE_TOKEN="demo-edge-token-$RANDOM$RANDOM$RANDOM"

say "migrating"
"$reel" migrate

say "making an upload token (only its SHA-256 is stored; reel upload reads \$REEL_TOKEN)"
REEL_TOKEN=$("$reel" tokens create --name demo-uploader --scope upload --uploads-per-minute 30)
export REEL_TOKEN

say "starting the API, a worker and the scheduler (regions: $REEL_REGIONS)"
REEL_LOG_LEVEL=notice "$reel" api --port 0 > "$dir/api.log" 2>&1 & pids+=($!)
REEL_LOG_LEVEL=warning "$reel" worker --queues media=1,replication=2,edges=2 & pids+=($!)
REEL_LOG_LEVEL=warning "$reel" scheduler --interval 0.5 & pids+=($!)
api=$(reel_api_url "$dir/api.log")
echo "API at $api"
edge=$(reel_edge_start "$dir" demo-edge "$api" 64m)
"$reel" edges add demo-edge --region demo --url "$edge" --workdir "$(cd "$dir" && pwd -P)/edge-demo-edge/varnish"

say "making a 15 s 1080x1920 clip with the ffmpeg command line"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 15 \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$dir/clip.mp4"
ls -lh "$dir/clip.mp4" | awk '{print $5, $NF}'

say "reel upload (waits until the video is playable)"
"$reel" upload "$dir/clip.mp4" --api "$api" --title "demo clip" --wait
id=$("$reel" videos --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

say "waiting until every rung is stored and replicated"
for _ in $(seq 1 600); do
    status=$(curl -fsS "$api/v1/videos/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    replicated=$("$reel" jobs --kind replicate --state completed --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
    [ "$status" = ready ] && [ "$replicated" = 1 ] && break
    sleep 0.5
done
psql -q "$REEL_DATABASE_URL" -c "SELECT id, status, round(extract(epoch FROM playable_at - created_at)::numeric, 2) AS upload_to_playable_s,
    round(extract(epoch FROM ready_at - created_at)::numeric, 2) AS upload_to_ready_s FROM videos WHERE id = '$id'"
"$reel" videos show "$id"
echo
echo "master playlist: $api/v1/videos/$id/master.m3u8"
echo "DASH manifest:   $api/v1/videos/$id/manifest.mpd"
echo "metadata:        $api/v1/videos/$id"
echo "player page:     $api/v1/videos/$id/player"

say "the edge: warmed on publish, so a first viewer's request is a hit"
psql -q "$REEL_DATABASE_URL" -c "SELECT edge, reason, state, objects, bytes,
    round(extract(epoch FROM finished_at - started_at)::numeric, 3) AS seconds FROM edge_warmings WHERE video_id = '$id' ORDER BY id"
echo "GET $edge/v1/videos/$id/360p/0.m4s → X-Cache-Status: $(curl -fsS -o /dev/null -D - "$edge/v1/videos/$id/360p/0.m4s" |
    tr -d '\r' | sed -n 's/^X-Cache-Status: //Ip')"
echo "metadata for a viewer in region demo: $(curl -fsS "$api/v1/videos/$id?region=demo" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["edge"]["hls"])')"
"$reel" submit edge.stats --any-kind --queue edges > /dev/null
sleep 2
"$reel" edges

say "reel queues"
"$reel" queues

say "playing it from the API in headless Chromium (Video.js: HLS and DASH, every rendition)"
streams=yes
python3 scripts/test-helpers/play-check.py "$api/v1/videos/$id/" --rate 2 --timeout 300 --no-install || streams=no

say "opening the API's player page in headless Chromium and playing the video on it"
page=yes
python3 scripts/test-helpers/player-page-check.py "$api/v1/videos/$id/player" --timeout 120 --no-install || page=no
say "the operator's dashboard: $api/admin (signing in with an admin token; screenshots in .reel-data/demo-dashboard)"
board=yes
operator=$("$reel" tokens create --name demo-operator --scope admin)
python3 scripts/test-helpers/dashboard-check.py "$api" --token "$operator" --video "$id" --edge demo-edge --out .reel-data/demo-dashboard \
    --no-install || board=no
echo "every rendition played to the end: $streams"
echo "the player page played it to the end: $page"
echo "every dashboard page showed what it should: $board"
[ "$streams" = yes ] && [ "$page" = yes ] && [ "$board" = yes ]
