#!/usr/bin/env bash
# Webhook benchmark (issue 14), apart from the tests. In one run, on this
# machine, against one receiver (scripts/test-helpers/webhook-receiver.py,
# which verifies every delivery with PyPI's `standardwebhooks`):
#
#   1. anchor: --count deliveries signed with `standardwebhooks` and POSTed
#      by a plain Python client over --workers keep-alive connections: what
#      the receiver takes when nothing but HTTP stands in between;
#   2. Reel: --count webhook.test events written (each in its own
#      transaction, as every event is), then a release `reel worker --queues
#      webhooks=W` delivers them: durable jobs, signing, the address check,
#      an attempt row each. Deliveries per second from the first to the last
#      verified arrival, and its ratio to the anchor;
#   3. latency on a quiet system: --latency events, one every 20 ms, from
#      the event's commit (webhook_events.created_at) to its verified arrival;
#   4. the same for video.ready: --videos short clips uploaded and published
#      by a worker, from the commit of video.ready to the receiver.
#
# Usage: scripts/bench/webhooks.sh [--count 2000] [--workers 8] [--latency 200] [--videos 5]
# Starts PostgreSQL, Redis, a release `reel api`, `reel worker` and the
# receiver on 127.0.0.1 and stops them by PID. Its last line is
#   RESULT anchor_per_s=… reel_per_s=… reel_vs_anchor=… latency_p50_ms=… latency_p99_ms=… ready_p50_ms=… ready_max_ms=…
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh

COUNT=2000
WORKERS=8
LATENCY=200
VIDEOS=5
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        --latency) LATENCY=$2; shift 2 ;;
        --videos) VIDEOS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

reel_install_packages ffmpeg
bash scripts/services/install-clients.sh
py="$PWD/.venv-clients/bin/python"
dir=".reel-data/bench-webhooks-$$"
pids=()
worker=
cleanup() {
    [ -n "$worker" ] && kill -TERM "$worker" 2>/dev/null || true
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}" $worker; do wait "$pid" 2>/dev/null || true; done
    reel_services_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
reel_services_start "$dir"
dir=$(cd "$dir" && pwd -P)
export REEL_DATA_DIR="$dir/data"
export REEL_REGIONS="home=file:regions/home"
export REEL_MIGRATIONS_DIR="$PWD/migrations"
export REEL_WEBHOOK_ALLOW_NETWORKS="127.0.0.0/8"

echo "building reel (release)…" >&2
swift build -c release >&2
reel="$(swift build -c release --show-bin-path)/reel"
"$reel" migrate > /dev/null
REEL_LOG_LEVEL=notice "$reel" api --port 0 --open-uploads > "$dir/api.log" 2>&1 & pids+=($!)
api=$(reel_api_url "$dir/api.log")

"$py" scripts/test-helpers/webhook-receiver.py --secrets "$dir/secrets" --log "$dir/received.jsonl" --quiet > "$dir/receiver.out" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do grep -q '"port"' "$dir/receiver.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$dir/receiver.out")
[ -n "$port" ] || { cat "$dir/receiver.out" >&2; echo "the receiver did not start" >&2; exit 1; }
hook="http://127.0.0.1:$port/ok"
added=$("$reel" webhooks add --url "$hook" --event video.ready --json)
id=$(printf '%s' "$added" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
secret=$(printf '%s' "$added" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
echo "$secret" > "$dir/secrets"
now() { "$py" -c 'import time; print(time.time())'; }
start_worker() {
    REEL_LOG_LEVEL=warning "$reel" worker --queues "$1" > "$dir/worker.log" 2>&1 & worker=$!
}
stop_worker() { kill -TERM "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; worker=; }

echo "1/4 anchor: $COUNT signed POSTs over $WORKERS connections…" >&2
anchor=$("$py" scripts/bench/webhooks_bench.py anchor "$hook" "$secret" --count "$COUNT" --threads "$WORKERS")
echo "  $anchor" >&2

echo "2/4 reel: $COUNT events, then a worker with webhooks=$WORKERS…" >&2
since=$(now)
"$reel" webhooks test "$id" --count "$COUNT" > /dev/null
start_worker "webhooks=$WORKERS"
"$reel" jobs wait --kind webhook.deliver --timeout 600 > /dev/null
reelrate=$("$py" scripts/bench/webhooks_bench.py rate "$dir/received.jsonl" --since "$since")
echo "  $reelrate" >&2

echo "3/4 latency: $LATENCY events, one every 20 ms…" >&2
since=$(now)
"$reel" webhooks test "$id" --count "$LATENCY" --interval 0.02 > /dev/null
"$reel" jobs wait --kind webhook.deliver --timeout 300 > /dev/null
psql -qtA -F ' ' "$REEL_DATABASE_URL" -c \
    "SELECT id, extract(epoch FROM created_at) FROM webhook_events WHERE type = 'webhook.test' AND created_at >= to_timestamp($since)" \
    > "$dir/created.txt"
latency=$("$py" scripts/bench/webhooks_bench.py latency "$dir/received.jsonl" "$dir/created.txt")
echo "  $latency" >&2

echo "4/4 video.ready: $VIDEOS clips published…" >&2
stop_worker
start_worker "media=1,replication=1,edges=1,webhooks=$WORKERS"
since=$(now)
for n in $(seq 1 "$VIDEOS"); do
    ffmpeg -v error -f lavfi -i "testsrc=duration=2:size=320x240:rate=30" -f lavfi -i "sine=frequency=$((300 + n)):duration=2" \
        -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest -y "$dir/clip$n.mp4"
    REEL_API_URL="$api" "$reel" upload "$dir/clip$n.mp4" --title "bench $n" > /dev/null
done
"$reel" jobs wait --kind 'video.*' --kind webhook.deliver --timeout 600 > /dev/null
psql -qtA -F ' ' "$REEL_DATABASE_URL" -c \
    "SELECT id, extract(epoch FROM created_at) FROM webhook_events WHERE type = 'video.ready' AND created_at >= to_timestamp($since)" \
    > "$dir/ready.txt"
ready=$("$py" scripts/bench/webhooks_bench.py latency "$dir/received.jsonl" "$dir/ready.txt")
echo "  $ready" >&2

field() { printf '%s' "$1" | "$py" -c "import json,sys; print(json.load(sys.stdin).get('$2', '-'))"; }
a=$(field "$anchor" deliveries_per_s)
r=$(field "$reelrate" deliveries_per_s)
ratio=$("$py" -c "print(round($r / $a, 2) if $a else 0)")
printf '\n%-44s %12s %10s\n' "deliveries to one local receiver" "per second" "vs anchor"
printf '%-44s %12s %10s\n' "anchor: standardwebhooks + http.client" "$a" "1.00"
printf '%-44s %12s %10s\n' "reel worker (webhooks=$WORKERS)" "$r" "$ratio"
printf '\n%-44s %10s %10s %10s\n' "commit to verified receipt" "p50 ms" "p99 ms" "max ms"
printf '%-44s %10s %10s %10s\n' "webhook.test, one every 20 ms ($(field "$latency" n))" "$(field "$latency" p50_ms)" "$(field "$latency" p99_ms)" "$(field "$latency" max_ms)"
printf '%-44s %10s %10s %10s\n' "video.ready ($(field "$ready" n) videos)" "$(field "$ready" p50_ms)" "$(field "$ready" p99_ms)" "$(field "$ready" max_ms)"
echo "RESULT anchor_per_s=$a reel_per_s=$r reel_vs_anchor=$ratio latency_p50_ms=$(field "$latency" p50_ms) latency_p99_ms=$(field "$latency" p99_ms) ready_p50_ms=$(field "$ready" p50_ms) ready_max_ms=$(field "$ready" max_ms)"
