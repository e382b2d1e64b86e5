#!/usr/bin/env bash
# The two-region cluster's benchmarks (issue 15), apart from the tests: a cluster of its
# own (scripts/cluster.sh up, with a release build), each figure beside an anchor
# measured in the same run:
#   1. upload complete -> playable, per region: 15 s 1080x1920 clips uploaded one after
#      another through HAProxy; from the 201, a viewer in each region polls its region's
#      edge for the master, the lowest rung's media playlist and its first segment
#      (the anchor: scripts/bench/serve.sh's figure on one host, docs/benchmarks.md)
#   2. replication lag across the delayed link: a burst of 4 s 720x1280 clips; per video,
#      ready in region-a -> every object verified in region-b (p50, p99), beside boto3
#      copying the same objects from region-a's S3 gateway to region-b's, one at a time
#      (GET then PUT, as a replicate job does), through the same relay
#   3. metadata p99 (GET /v1/videos/ID, wrk, 4 connections, 10 s, a different video each
#      request out of --rows catalog copies, so that neither Redis nor the API's 1 s
#      memory answers): region-b's API reading its standby, beside the same API reading
#      region-a's primary through the relay; both extra API processes without Redis
#   4. PgBouncer's cost: the same measurement on region-a's API host, through PgBouncer
#      (transaction pooling) beside straight to the primary
#   5. origin requests per 1,000 plays (Zipf over 200 videos, 1,000 plays, then the same
#      plays again) through a fresh Varnish with cacheable masters (the default VCL), beside
#      one started with `reel edge-config --pass-masters`: the edge's MAIN.backend_req
#   6. a scaled-down day (scripts/cluster/replay_day.py): uploads and Zipf plays through
#      both regions, the capacity model's ratios measured beside its own
#
#   sudo scripts/bench/cluster.sh [--uploads 3] [--burst 12] [--rows 20000] [--plays 1000]
#                                 [--day-plays 6000] [--day-seconds 60] [--day-uploads 6]
#                                 [--no-day] [--keep]
#
# Root only (network namespaces). Refuses to run while a cluster is up; always takes its
# own down (trap), also on failure; --keep leaves it up. About 8 minutes on 2 cores.
# Output: a table, then
#   RESULT playable_a_s=… playable_b_s=… replication_p99_s=… boto3_p99_s=… meta_standby_p99_ms=…
#          meta_primary_p99_ms=… pgbouncer_p99_ms=… direct_p99_ms=… origin_per_1000=…
#          origin_per_1000_pass=… (and the day's RESULT line before it)
# Work folder: .reel-data/bench-cluster/ (clips, JSON of each phase, wrk output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

UPLOADS=3
BURST=12
ROWS=20000
PLAYS=1000
DAY_PLAYS=6000
DAY_SECONDS=60
DAY_UPLOADS=6
DAY=1
KEEP=
while [ $# -gt 0 ]; do
    case "$1" in
        --uploads) UPLOADS=$2; shift 2 ;;
        --burst) BURST=$2; shift 2 ;;
        --rows) ROWS=$2; shift 2 ;;
        --plays) PLAYS=$2; shift 2 ;;
        --day-plays) DAY_PLAYS=$2; shift 2 ;;
        --day-seconds) DAY_SECONDS=$2; shift 2 ;;
        --day-uploads) DAY_UPLOADS=$2; shift 2 ;;
        --no-day) DAY=; shift ;;
        --keep) KEEP=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

log() { printf '[bench-cluster] %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { log "needs root (network namespaces)"; exit 2; }
if ip netns list 2>/dev/null | grep -q '^reel-' || [ -s .reel-data/cluster/pids ]; then
    log "a cluster is up: this benchmark starts its own; run scripts/cluster.sh down first"
    exit 2
fi

. scripts/services/lib/services.sh
. scripts/services/lib/seaweedfs.sh
. scripts/cluster/lib/netns.sh
. scripts/cluster/lib/procs.sh
. scripts/cluster/lib/reel.sh
_cl_log() { printf '[bench-cluster] %s\n' "$*" >&2; }

reel_install_packages wrk varnish
venv=.venv-bench
if ! "$venv/bin/python" -c 'import boto3' 2>/dev/null; then
    log "installing boto3 ${REEL_BOTO3_VERSION:-1.44.18} into $venv (the replication anchor)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "boto3==${REEL_BOTO3_VERSION:-1.44.18}" >&2
fi
py=$(pwd -P)/$venv/bin/python

dir=$(pwd -P)/.reel-data/bench-cluster
mkdir -p "$dir/clips/playable" "$dir/clips/burst" "$dir/clips/day"
log "clips"
make_clip() {  # make_clip OUT SIZE SECONDS HUE
    [ -s "$1" ] && return 0
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=$2:rate=30,hue=h=$4" \
        -f lavfi -i "sine=frequency=$((300 + $4)):sample_rate=48000" -t "$3" \
        -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -shortest "$1"
}
for n in $(seq 1 "$UPLOADS"); do make_clip "$dir/clips/playable/p$n.mp4" 1080x1920 15 $((n * 23)); done
for n in $(seq 1 "$BURST"); do make_clip "$dir/clips/burst/b$n.mp4" 720x1280 4 $((n * 17 + 5)); done
for n in $(seq 1 "$DAY_UPLOADS"); do make_clip "$dir/clips/day/d$n.mp4" 720x1280 8 $((n * 29 + 11)); done

log "building reel (release)"
swift build -c release >&2
export REEL_CLUSTER_BINARY
REEL_CLUSTER_BINARY="$(swift build -c release --show-bin-path)/reel"

finish() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$KEEP" ]; then
        log "the cluster stays up (--keep): scripts/cluster.sh down"
    else
        bash scripts/cluster.sh down >"$dir/down.log" 2>&1 || log "scripts/cluster.sh down failed: $dir/down.log"
    fi
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

log "scripts/cluster.sh up"
bash scripts/cluster.sh up >"$dir/up.log" 2>&1 || { tail -n 30 "$dir/up.log" >&2; log "the cluster did not come up"; exit 1; }
CL_DIR=$(pwd -P)/.reel-data/cluster
CL_REEL=$CL_DIR/bin/reel
env_file=$CL_DIR/cluster.env
# shellcheck disable=SC1090
. "$env_file"
bench() { "$py" scripts/bench/cluster_bench.py "$@" --env "$env_file"; }

log "1. upload complete -> playable in each region ($UPLOADS uploads of 15 s 1080x1920)"
bench playable --clips "$dir/clips/playable" >"$dir/playable.json"

log "2. replication lag across the link (a burst of $BURST uploads), beside boto3"
bench replication --clips "$dir/clips/burst" >"$dir/replication.json"
burst_source=$(ip netns exec "$(cl_ns a-pg)" psql -XAtq -h "$(cl_addr a-pg)" -U reel -d reel \
    -c "SELECT id FROM videos WHERE title = 'bench-burst-b1' AND status = 'ready' LIMIT 1")

log "3-4. metadata p99 ($ROWS catalog copies; extra APIs without Redis)"
bench clone --source "$burst_source" --count "$ROWS" --out "$dir/ids.txt" >"$dir/clone.json"
cat >"$dir/ids.lua" <<EOF
local ids = {}
for line in io.lines("$dir/ids.txt") do ids[#ids + 1] = line end
local n = 0
function request()
    n = n + 1
    return wrk.format("GET", "/v1/videos/" .. ids[(n % #ids) + 1])
end
EOF
# extra_api HOST PROC PORT DROP_REGEX [NAME=VALUE...]: `reel api` on HOST:PORT with HOST's
# environment less the variables DROP_REGEX matches, plus NAME=VALUE.
extra_api() {
    local host=$1 proc=$2 port=$3 drop=$4 vars=()
    shift 4
    mapfile -t vars < <(_cl_reel_env_args "$host" | grep -v -E "^($drop)=")
    cl_spawn "$host" "$proc" "$(cl_log_of "$host" "$proc")" env -i "${vars[@]}" "$@" REEL_LOG_LEVEL=warning \
        "$CL_REEL" api --host "$(cl_addr "$host")" --port "$port"
    cl_wait "$host" "$proc" "GET /readyz = 200" curl -fsS -o /dev/null --max-time 2 "http://$(cl_addr "$host"):$port/readyz"
}
extra_api b-api1 api-standby 8091 "REEL_REDIS_URL"
extra_api b-api1 api-primary 8092 "REEL_REDIS_URL|REEL_DATABASE_READ_URL"
extra_api a-api1 api-direct 8091 "REEL_REDIS_URL|REEL_DATABASE_POOLER|REEL_DATABASE_URL" \
    "REEL_DATABASE_URL=$REEL_CLUSTER_A_DATABASE_URL"
extra_api a-api1 api-pgbouncer 8092 "REEL_REDIS_URL"

# meta HOST PORT NAME: wrk from HOST against its extra API; prints "rps p50_ms p99_ms memory_reads database_reads".
meta() {
    local host=$1 port=$2 name=$3 url
    url="http://$(cl_addr "$host"):$port"
    ip netns exec "$(cl_ns "$host")" wrk -t1 -c4 -d10s --latency -s "$dir/ids.lua" "$url" >"$dir/wrk-$name.txt"
    ip netns exec "$(cl_ns "$host")" curl -fsS "$url/metrics" >"$dir/metrics-$name.txt"
    python3 - "$dir/wrk-$name.txt" "$dir/metrics-$name.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else float("nan")
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit(f"{sys.argv[1]}: {errors.group(1)} answers were not 200")
reads = {}
for line in open(sys.argv[2]):
    m = re.match(r'reel_catalog_reads_total\{source="([a-z_]+)"\}\s+([\d.e+]+)', line)
    if m:
        reads[m.group(1)] = float(m.group(2))
print(f"{rps:.0f} {ms('50%'):.2f} {ms('99%'):.2f} {reads.get('memory', 0):.0f} "
      f"{reads.get('database_after_miss', 0) + reads.get('cache_absent', 0) + reads.get('database_redis_down', 0):.0f}")
EOF
}
read -r standby_rps standby_p50 standby_p99 standby_mem standby_db < <(meta b-api1 8091 standby)
read -r remote_rps remote_p50 remote_p99 remote_mem remote_db < <(meta b-api1 8092 primary)
read -r direct_rps direct_p50 direct_p99 direct_mem direct_db < <(meta a-api1 8091 direct)
read -r pgb_rps pgb_p50 pgb_p99 pgb_mem pgb_db < <(meta a-api1 8092 pgbouncer)
read -r direct2_rps _ direct2_p99 _ _ < <(meta a-api1 8091 direct2)
read -r pgb2_rps _ pgb2_p99 _ _ < <(meta a-api1 8092 pgbouncer2)
read -r direct3_rps _ direct3_p99 _ _ < <(meta a-api1 8091 direct3)
read -r pgb3_rps _ pgb3_p99 _ _ < <(meta a-api1 8092 pgbouncer3)

log "5. origin requests per 1,000 plays, cacheable masters beside --pass-masters"
# bench_edge NAME PORT [edge-config flags]: a Varnish on a-edge, not registered (never warmed).
bench_edge() {
    local name=$1 port=$2 work=$CL_DIR/a-edge/$1
    shift 2
    mkdir -p "$work"
    "$CL_REEL" edge-config --edge "$name" --origin "$REEL_CLUSTER_LB_URL" --token "$REEL_CLUSTER_EDGE_TOKEN" \
        --memory 256m --purgers 127.0.0.1 "$@" >"$work/edge.vcl"
    cl_spawn a-edge "$name" "$(cl_log_of a-edge "$name")" varnishd -F -a "$(cl_addr a-edge):$port" \
        -f "$work/edge.vcl" -n "$work/varnish" -s malloc,256m -T none
    cl_wait a-edge "$name" "GET /__reel/edge = 200" curl -fsS -o /dev/null --max-time 2 "http://$(cl_addr a-edge):$port/__reel/edge"
}
bench_edge bench-cache 6091
bench_edge bench-pass 6092 --pass-masters
bench origin --edge "http://$(cl_addr a-edge):6091" --workdir "$CL_DIR/a-edge/bench-cache/varnish" \
    --ids "$dir/ids.txt" --plays "$PLAYS" >"$dir/origin-cache.json"
bench origin --edge "http://$(cl_addr a-edge):6092" --workdir "$CL_DIR/a-edge/bench-pass/varnish" \
    --ids "$dir/ids.txt" --plays "$PLAYS" >"$dir/origin-pass.json"

day_line=
if [ -n "$DAY" ]; then
    log "6. a scaled-down day: $DAY_UPLOADS uploads, $DAY_PLAYS plays over $DAY_SECONDS s"
    "$py" scripts/cluster/replay_day.py --env "$env_file" --clips "$dir/clips/day" --catalogue "$dir/ids.txt" \
        --plays "$DAY_PLAYS" --seconds "$DAY_SECONDS" | tee "$dir/day.txt"
    day_line=$(grep '^RESULT' "$dir/day.txt" | tail -n 1)
fi

python3 - "$dir" "$standby_p50 $standby_p99 $standby_rps $standby_mem $standby_db" \
    "$remote_p50 $remote_p99 $remote_rps $remote_mem $remote_db" \
    "$direct_p50 $direct_p99 $direct_rps $direct_mem $direct_db $direct2_p99 $direct2_rps $direct3_p99 $direct3_rps" \
    "$pgb_p50 $pgb_p99 $pgb_rps $pgb_mem $pgb_db $pgb2_p99 $pgb2_rps $pgb3_p99 $pgb3_rps" "$REEL_CLUSTER_DELAY_MS" <<'EOF'
import json, statistics, sys
d = sys.argv[1]
load = lambda name: json.load(open(f"{d}/{name}.json"))
play, rep = load("playable"), load("replication")
cache, passing = load("origin-cache"), load("origin-pass")
standby, remote, direct, pgb = ([float(x) for x in a.split()] for a in sys.argv[2:6])
delay = sys.argv[6]
def row(name, reel, anchor, unit=""):
    ratio = reel / anchor if anchor else float("nan")
    print(f"{name:<62} {reel:>10.2f} {anchor:>10.2f} {ratio:>7.2f}")
print(f"relay delay {delay} ms each way; figures beside their anchor, and the ratio")
print(f"{'':<62} {'reel':>10} {'anchor':>10} {'ratio':>7}")
row("upload -> playable, region-a edge, p50 s (anchor: region-b)", play["a_p50"], play["b_p50"])
print(f"  each upload: region-a {', '.join(f'{x:.2f}' for x in play['a'])} s; region-b {', '.join(f'{x:.2f}' for x in play['b'])} s; "
      f"replicated to region-b {', '.join(f'{x:.1f}' for x in play['replicated'])} s")
row("replication ready -> verified in region-b p50 s, vs boto3 copy", rep["reel_p50"], rep["boto3_p50"])
row("replication p99 s, vs boto3 copy", rep["reel_p99"], rep["boto3_p99"])
print(f"  {rep['videos']} videos, {rep['objects']} objects, {rep['bytes'] / 1e6:.1f} MB")
row("metadata p99 ms, region-b API: its standby vs region-a's primary", standby[1], remote[1])
row("metadata p50 ms, the same", standby[0], remote[0])
row("metadata req/s, the same", standby[2], remote[2])
pgb_p99 = statistics.median([pgb[1], pgb[5], pgb[7]])
direct_p99 = statistics.median([direct[1], direct[5], direct[7]])
row("metadata p99 ms, region-a API: PgBouncer vs direct (median of 3)", pgb_p99, direct_p99)
row("metadata p50 ms, the same (first run)", pgb[0], direct[0])
row("metadata req/s, the same (median of 3)", statistics.median([pgb[2], pgb[6], pgb[8]]),
    statistics.median([direct[2], direct[6], direct[8]]))
print(f"  reads answered from the API's 1 s memory / from PostgreSQL: standby {standby[3]:.0f}/{standby[4]:.0f}, "
      f"primary {remote[3]:.0f}/{remote[4]:.0f}, direct {direct[3]:.0f}/{direct[4]:.0f}, pgbouncer {pgb[3]:.0f}/{pgb[4]:.0f}")
row("origin requests per 1,000 plays, cold edge: cacheable masters vs --pass-masters",
    cache["origin_per_1000_plays"], passing["origin_per_1000_plays"])
row("origin requests per 1,000 plays, warm edge: the same", cache["origin_per_1000_plays_warm"],
    passing["origin_per_1000_plays_warm"])
print(f"  {cache['plays']} plays of {cache['videos']} videos (Zipf 0.8 over 200), each: master, two media playlists, "
      f"two inits, {cache['segments_per_rung']} segments of the lowest rung and of the audio")
for name, r in (("cacheable", cache), ("pass-masters", passing)):
    if r["failures"]:
        sys.exit(f"origin phase ({name}): {r['failures']} failed requests, first: {r['first_failures']}")
print(f"RESULT playable_a_s={play['a_p50']:.2f} playable_b_s={play['b_p50']:.2f} replication_p99_s={rep['reel_p99']:.2f} "
      f"boto3_p99_s={rep['boto3_p99']:.2f} meta_standby_p99_ms={standby[1]:.2f} meta_primary_p99_ms={remote[1]:.2f} "
      f"pgbouncer_p99_ms={pgb_p99:.2f} direct_p99_ms={direct_p99:.2f} origin_per_1000={cache['origin_per_1000_plays']:.0f} "
      f"origin_per_1000_pass={passing['origin_per_1000_plays']:.0f} origin_per_1000_warm={cache['origin_per_1000_plays_warm']:.0f} "
      f"origin_per_1000_warm_pass={passing['origin_per_1000_plays_warm']:.0f}")
EOF
[ -z "$day_line" ] || echo "$day_line"
