#!/usr/bin/env bash
# Reel end to end on the embedded defaults: PostgreSQL, Redis, two regions
# (file stores under .reel-data/), the API, a Varnish edge in front of it, a
# worker and the scheduler. It registers a webhook receiver (a few lines of
# Python that verify each delivery with PyPI's `standardwebhooks`), uploads a
# generated 15 s vertical clip with a tus client (tuspy, in checksummed
# chunks), prints the verified video.created, video.playable and video.ready
# events as they arrive, prints its URLs, shows its replication and the
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
bash scripts/services/install-clients.sh
py="$PWD/.venv-clients/bin/python"
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
# The demo's webhook receiver listens on loopback, which deliveries reach only when allowed.
export REEL_WEBHOOK_ALLOW_NETWORKS="127.0.0.0/8"

say "migrating"
"$reel" migrate

say "making an upload token (only its SHA-256 is stored; reel upload reads \$REEL_TOKEN)"
REEL_TOKEN=$("$reel" tokens create --name demo-uploader --scope upload --uploads-per-minute 30)
export REEL_TOKEN

say "starting the API, a worker and the scheduler (regions: $REEL_REGIONS)"
REEL_LOG_LEVEL=notice "$reel" api --port 0 > "$dir/api.log" 2>&1 & pids+=($!)
REEL_LOG_LEVEL=warning "$reel" worker --queues media=1,reencode=1,replication=2,edges=2,webhooks=2 & pids+=($!)
REEL_LOG_LEVEL=warning "$reel" scheduler --interval 0.5 & pids+=($!)
api=$(reel_api_url "$dir/api.log")
echo "API at $api"
edge=$(reel_edge_start "$dir" demo-edge "$api" 64m)
"$reel" edges add demo-edge --region demo --url "$edge" --workdir "$(cd "$dir" && pwd -P)/edge-demo-edge/varnish"
# The edge caches master playlists; its agent counts the plays it serves from its log.
REEL_LOG_LEVEL=warning "$reel" edge-agent --edge demo-edge --workdir "$(cd "$dir" && pwd -P)/edge-demo-edge/varnish" & pids+=($!)

say "making a 15 s 1080x1920 clip with the ffmpeg command line"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1080x1920:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 15 \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$dir/clip.mp4"
ls -lh "$dir/clip.mp4" | awk '{print $5, $NF}'

say "an app's webhook receiver (scripts/test-helpers/webhook-receiver.py: standardwebhooks verifies each delivery)"
"$py" scripts/test-helpers/webhook-receiver.py --secrets "$dir/webhook-secrets" --log "$dir/webhooks.jsonl" \
    > >(tee "$dir/receiver.out" | sed -u 's/^/  [receiver] /') 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -qs '"port"' "$dir/receiver.out" && break; sleep 0.1; done
hookport=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$dir/receiver.out")
registered=$(curl -fsS -X POST "$api/v1/webhooks" -H "Authorization: Bearer $REEL_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"url\": \"http://127.0.0.1:$hookport/ok\", \"events\": [\"video.created\", \"video.playable\", \"video.ready\"]}")
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("endpoint", d["endpoint"]["id"], d["endpoint"]["url"], "events", ",".join(d["endpoint"]["events"]))' "$registered"
python3 -c 'import json,sys; print(json.loads(sys.argv[1])["secret"])' "$registered" > "$dir/webhook-secrets"

say "uploading with tus (tuspy, 1 MiB chunks with sha1 checksums); the receiver prints each verified event"
uploaded=$("$py" scripts/test-helpers/tus-client.py upload "$dir/clip.mp4" --endpoint "$api/v1/uploads/tus" --token "$REEL_TOKEN" \
    --chunk 1048576 --checksum --title "demo clip" | tail -n 1)
echo "$uploaded"
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["video_id"])' "$uploaded")
heard() { grep -s "\"verified\": true" "$dir/webhooks.jsonl" | grep "\"type\": \"$1\"" | grep -q "\"id\": \"$id\""; }
for _ in $(seq 1 600); do heard video.playable && break; sleep 0.5; done
heard video.playable && echo "video.playable heard: $id plays now" || echo "no video.playable event within 300 s"

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
for _ in 1 2 3; do curl -fsS -o /dev/null "$edge/v1/videos/$id/master.m3u8"; done
sleep 3
echo "3 viewers fetched the master through the edge; plays counted by its agent: $(psql -qtA "$REEL_DATABASE_URL" -c \
    "SELECT coalesce(sum(plays), 0) FROM video_plays WHERE video_id = '$id'")"
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
for _ in $(seq 1 120); do heard video.ready && break; sleep 0.5; done
webhooks=no
heard video.created && heard video.playable && heard video.ready && webhooks=yes
echo "the webhook receiver verified video.created, video.playable and video.ready: $webhooks"
echo "every rendition played to the end: $streams"
echo "the player page played it to the end: $page"
echo "every dashboard page showed what it should: $board"
[ "$webhooks" = yes ] && [ "$streams" = yes ] && [ "$page" = yes ] && [ "$board" = yes ]
