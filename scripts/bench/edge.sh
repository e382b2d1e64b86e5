#!/usr/bin/env bash
# Edge benchmark (issue 5), apart from the tests. In one run, with real
# Varnish edges (Debian's varnishd) in front of a release `reel api`:
#
#   1. fresh videos: 20 uploads of a 6 s 720x1280 clip (three rungs), each
#      warmed through one edge on publish, while a second edge is never
#      warmed: through each, time to first byte of the lowest rung's first
#      segment and time to fetch the init and first 3 segments of the lowest
#      and the highest rung; the share of the warm edge's answers that were
#      hits; how soon after the video became playable (and ready) each
#      warming was done.
#   2. Zipf(0.8) replay: 10,000 plays over 200 videos (catalog copies of one
#      6 s 360p upload: same objects, different URLs, so the edge caches each
#      video apart) through an edge whose cache (32 MiB) is a quarter of the
#      catalogue, once without warming and once with popularity warming: the
#      last hour's plays (another Zipf draw) plus the replay's own, ranked by
#      edge.popular (which warms the most played videos up to half the
#      edge's cache) before the replay and every 2 s during it, as the
#      scheduler does every few minutes on a long run. Viewers' hit ratio
#      (their answers' X-Cache-Status) and origin offload (the edge's
#      counters, warming traffic included).
#
# Targets: 100 % hits on warmed objects; warming done <= 2 s after a video
# becomes playable; a better Zipf hit ratio with popularity warming.
# Starts PostgreSQL, Redis, the API, a worker and three varnishd on 127.0.0.1
# and stops them by PID. Its last line is
#   RESULT warmed_hit_ratio=… warm_done_s=… zipf_hit_ratio_warm=… zipf_hit_ratio_cold=…
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh
. scripts/services/lib/edges.sh

VIDEOS=20
PLAYS=10000
CATALOGUE=200
ZIPF_MEMORY=32m
while [ $# -gt 0 ]; do
    case "$1" in
        --videos) VIDEOS=$2; shift 2 ;;
        --plays) PLAYS=$2; shift 2 ;;
        --catalogue) CATALOGUE=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

reel_install_packages
dir=".reel-data/bench-edge-$$"
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
export REEL_REGIONS="home=file:regions/home"
export REEL_MIGRATIONS_DIR="$PWD/migrations"
export REEL_EDGE_TOKEN="bench-edge-token-$RANDOM$RANDOM$RANDOM"
sql() { psql -qtA -F ' ' "$REEL_DATABASE_URL" -c "$1"; }
counters() {  # counters WORKDIR: "hits misses client_bytes origin_bytes"
    varnishstat -j -n "$1" | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
v = lambda k: c.get(k, {}).get("value", 0)
origin = sum(x["value"] for k, x in c.items() if k.startswith("VBE.") and k.endswith(".beresp_bodybytes"))
print(v("MAIN.cache_hit"), v("MAIN.cache_miss"), v("MAIN.s_resp_bodybytes"), origin)'
}

echo "building reel (release)…" >&2
swift build -c release >&2
REEL_BIN="$(swift build -c release --show-bin-path)/reel"
export REEL_BIN
"$REEL_BIN" migrate > /dev/null
# No scheduler runs here: the periodic edge jobs that `reel edges add` installs
# never fire, and this run enqueues the popularity warming itself.

REEL_LOG_LEVEL=notice "$REEL_BIN" api --port 0 --open-uploads > "$dir/api.log" 2>&1 & pids+=($!)
api=$(reel_api_url "$dir/api.log")
REEL_LOG_LEVEL=warning "$REEL_BIN" worker --queues media=1,edges=4 --poll-interval 0.2 & pids+=($!)

warm_edge=$(reel_edge_start "$dir" fresh-warm "$api" 256m)
cold_edge=$(reel_edge_start "$dir" fresh-cold "$api" 256m)
"$REEL_BIN" edges add fresh-warm --region bench --url "$warm_edge" --workdir "$dir/edge-fresh-warm/varnish" > /dev/null

echo "1. $VIDEOS fresh videos through a warmed and an unwarmed edge…" >&2
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=720x1280:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 6 \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$dir/fresh.mp4"
python3 scripts/bench/edge_bench.py fresh "$api" "$warm_edge" "$cold_edge" "$dir/fresh.mp4" "$VIDEOS" > "$dir/fresh.json"
"$REEL_BIN" edges remove fresh-warm > /dev/null

echo "2. Zipf(0.8): $PLAYS plays over $CATALOGUE videos, edge cache $ZIPF_MEMORY…" >&2
ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=360x640:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 6 \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$dir/zipf.mp4"
source_id=$(curl -fsS -X POST -H "Content-Type: video/mp4" --data-binary "@$dir/zipf.mp4" "$api/v1/uploads?title=zipf-source" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 600); do
    [ "$(sql "SELECT status FROM videos WHERE id = '$source_id'")" = ready ] && break
    sleep 0.2
done
python3 scripts/bench/edge_bench.py clone "$source_id" "$CATALOGUE" > "$dir/ids"
catalogue_mb=$(sql "SELECT round(sum(bytes) / 1048576.0, 1) FROM segments s JOIN renditions r ON r.video_id = s.video_id
    AND r.name = s.rendition WHERE s.video_id LIKE 'zipf%' AND (r.kind = 'audio' OR r.height = (SELECT min(height)
    FROM renditions WHERE video_id = '$source_id' AND kind = 'video')) AND s.number < 3")

zipf_run() {  # zipf_run NAME WARM(yes|no): prints "hit_ratio offload seconds failures"
    local name=$1 warm=$2 url workdir before after
    url=$(reel_edge_start "$dir" "$name" "$api" "$ZIPF_MEMORY")
    workdir="$dir/edge-$name/varnish"
    if [ "$warm" = yes ]; then
        sql "DELETE FROM video_plays" > /dev/null
        python3 scripts/bench/edge_bench.py history "$PLAYS" 2 "$dir/ids"
        "$REEL_BIN" edges add "$name" --region zipf --url "$url" --workdir "$workdir" \
            --capacity $(( ${ZIPF_MEMORY%m} * 1048576 )) > /dev/null
        "$REEL_BIN" submit edge.popular --args "{\"top\": $CATALOGUE, \"minutes\": 60}" > /dev/null
        # The ranking job enqueues one warming per video on the same queue: wait for them all.
        "$REEL_BIN" jobs wait --queue edges --timeout 120 --interval 0.2 > /dev/null
        warmed=$(sql "SELECT count(*) FROM edge_warmings WHERE edge = '$name' AND reason = 'popular' AND state = 'done'")
        echo "   popularity warming: $warmed videos warmed into $name" >&2
    fi
    before=$(counters "$workdir")
    local rewarm=
    if [ "$warm" = yes ]; then
        ( while sleep 2; do
              "$REEL_BIN" submit edge.popular --args "{\"top\": $CATALOGUE, \"minutes\": 60}" > /dev/null 2>&1 || true
          done ) > /dev/null 2>&1 & rewarm=$!
    fi
    replay=$(python3 scripts/bench/edge_bench.py replay "$url" "$PLAYS" 1 "$dir/ids")
    if [ -n "$rewarm" ]; then kill "$rewarm" 2>/dev/null; wait "$rewarm" 2>/dev/null || true; fi
    after=$(counters "$workdir")
    if [ "$warm" = yes ]; then "$REEL_BIN" edges remove "$name" > /dev/null; fi
    reel_edge_stop "$dir" "$name"
    python3 - "$before" "$after" "$replay" <<'EOF'
import json, sys
b = [int(x) for x in sys.argv[1].split()]
a = [int(x) for x in sys.argv[2].split()]
r = json.loads(sys.argv[3])
hits, misses, served, origin = (a[i] - b[i] for i in range(4))
print(f"{r['viewer_hit_ratio']:.4f} {1 - origin / max(1, served):.4f} {r['seconds']:.1f} {r['failures']}")
EOF
}
read -r cold_ratio cold_offload cold_s cold_fail < <(zipf_run zipf-cold no)
read -r warm_ratio warm_offload warm_s warm_fail < <(zipf_run zipf-warm yes)

python3 - "$dir/fresh.json" "$cold_ratio" "$cold_offload" "$warm_ratio" "$warm_offload" "$cold_fail" "$warm_fail" \
    "$catalogue_mb" "$ZIPF_MEMORY" "$PLAYS" "$CATALOGUE" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
cold_ratio, cold_offload, warm_ratio, warm_offload = map(float, sys.argv[2:6])
cold_fail, warm_fail, catalogue_mb, memory, plays, catalogue = sys.argv[6:12]
w, c = f["warm"], f["cold"]
def row(label, reel, anchor="-", ratio="-"):
    print(f"{label:<64} {reel:>10} {anchor:>10} {ratio:>8}")
print()
row("measure", "warmed", "unwarmed", "ratio")
row(f"TTFB {f['low']} segment 0, ms p50 ({f['videos']} fresh videos)", f"{w['ttfb_ms_p50']:.2f}", f"{c['ttfb_ms_p50']:.2f}",
    f"{w['ttfb_ms_p50'] / c['ttfb_ms_p50']:.2f}")
row(f"TTFB {f['low']} segment 0, ms p99", f"{w['ttfb_ms_p99']:.2f}", f"{c['ttfb_ms_p99']:.2f}", f"{w['ttfb_ms_p99'] / c['ttfb_ms_p99']:.2f}")
row(f"init + first 3 segments of {f['low']} (lowest), ms p50", f"{w['first3_low_ms_p50']:.2f}", f"{c['first3_low_ms_p50']:.2f}",
    f"{w['first3_low_ms_p50'] / c['first3_low_ms_p50']:.2f}")
row(f"init + first 3 segments of {f['high']} (highest), ms p50", f"{w['first3_high_ms_p50']:.2f}", f"{c['first3_high_ms_p50']:.2f}",
    f"{w['first3_high_ms_p50'] / c['first3_high_ms_p50']:.2f}")
row("warmed objects answered as HIT (target 100 %)", f"{f['warmed_hit_ratio'] * 100:.1f} %")
row("warming done after playable, s p50 / max (target <= 2)", f"{f['warm_after_playable_s_p50']:.2f} / {f['warm_after_playable_s_max']:.2f}")
row("warming done after ready (every rung), s p50 / max", f"{f['warm_after_ready_s_p50']:.2f} / {f['warm_after_ready_s_max']:.2f}")
print()
row(f"Zipf(0.8) {plays} plays, {catalogue} videos ({catalogue_mb} MB), cache {memory}", "popular", "cold", "")
row("viewers' hit ratio (X-Cache-Status)", f"{warm_ratio:.4f}", f"{cold_ratio:.4f}", f"{warm_ratio / max(cold_ratio, 1e-9):.2f}")
row("origin offload (1 - origin bytes / bytes served, warming included)", f"{warm_offload:.4f}", f"{cold_offload:.4f}", "")
row("failed requests", warm_fail, cold_fail, "")
print("published anchor: Facebook's photo edge caches, hit ratio 0.56-0.63 (Huang et al., SOSP 2013)")
print(f"RESULT warmed_hit_ratio={f['warmed_hit_ratio']:.4f} warm_done_s={f['warm_after_playable_s_max']:.2f} "
      f"zipf_hit_ratio_warm={warm_ratio:.4f} zipf_hit_ratio_cold={cold_ratio:.4f}")
EOF
